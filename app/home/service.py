"""What the home page shows a person: their partnerships and what needs their attention.

Later modules add their own attention items here (returns to finish, panels to score).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.directory import service as directory_service
from app.directory.models import Person


@dataclass(frozen=True)
class AttentionItem:
    text: str
    href: str
    due: str | None = None


@dataclass(frozen=True)
class HomePage:
    partnerships: list[directory_service.PartnershipRoles]
    attention: list[AttentionItem]


def home_page_for(session: Session, *, person: Person) -> HomePage:
    # Nothing produces attention items until cycles and panels exist; the list is real,
    # and each later module appends to it from here.
    return HomePage(partnerships=directory_service.partnerships_of(person), attention=[])
