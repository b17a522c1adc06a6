"""What every workbook is: a kind (name, title, readers, writer) and the facts its writer
reports for the cover sheet. Never knows any one workbook; exporting.py lists them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.exports.scope import Reader, Scope
from app.questionnaires.models import QuestionnaireVersion
from app.spreadsheets import Book


@dataclass(frozen=True)
class Kind:
    """One kind of workbook: `s11 export NAME`, and /exports/<cycle>/NAME on the web."""

    name: str
    title: str
    readers: frozenset[Reader]
    write: Callable[[Session, Scope, Book], WorkbookFacts]
    by_agency: bool = False  # asks which agency (--agency ID, ?agency=ID)


@dataclass(frozen=True)
class WorkbookFacts:
    """What a kind's writer tells the cover sheet and the audit log."""

    returns: int
    versions: list[QuestionnaireVersion]
    agency: str | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)
