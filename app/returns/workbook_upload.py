"""Reading a filled-in return workbook back: checked as a zip first, then read as text (formulas
never run), each cell compared with the answer as it was downloaded and as it is now."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from app.directory.models import Person
from app.directory.service import leads_of
from app.notifications.mail import Email
from app.questionnaires.rendering import condition_text, levels_for
from app.questionnaires.rules import is_shown
from app.questionnaires.schema import QuestionBase
from app.returns import evidence
from app.returns.answers import save_answer
from app.returns.fillable_workbook import IDENTITY_SHEET, NA_ANSWER, unsign
from app.returns.service import ReturnView, partnership_id_of

# A zip is refused before openpyxl opens it when it would unpack past this (a zip bomb).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 20_000  # far more than any return's questions and table rows
ID, VERSION, ANSWER, NA_REASON = 0, 1, 3, 4  # columns, from 0


class WorkbookRefused(ValueError):
    """The upload is not a workbook of this return that s11 can take; nothing was changed."""


def check_zip(data: bytes) -> zipfile.ZipFile:
    """The upload as a zip, through the shared check every zip s11 takes passes (size, entries,
    packing ratio), and refused if it carries macros."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise WorkbookRefused(
            "The file is not an Excel workbook (.xlsx): save it as an Excel workbook and try again"
        ) from None
    try:
        evidence.check_zip(archive, max_unpacked=MAX_UNPACKED_BYTES)
    except evidence.ZipRefused as error:
        raise WorkbookRefused(str(error)) from None
    if any(entry.filename.lower().endswith("vbaproject.bin") for entry in archive.infolist()):
        raise WorkbookRefused(
            "The workbook contains macros (.xlsm): save it as a plain Excel workbook (.xlsx)"
        )
    return archive


@dataclass
class Change:
    question_id: str
    label: str
    cell: str  # like "Section 2!D14"
    downloaded_version: int
    current_version: int
    old: Any  # the answer now, online
    new: Any  # the workbook's

    @property
    def conflict(self) -> bool:
        """Someone changed the answer online after the download."""
        return self.current_version != self.downloaded_version


@dataclass
class Invalid:
    question_id: str
    label: str
    cell: str
    message: str


@dataclass
class Preview:
    changes: list[Change] = field(default_factory=list)
    invalid: list[Invalid] = field(default_factory=list)
    # Values for questions the workbook's own answers skip: kept out, with why.
    unused: list[Invalid] = field(default_factory=list)

    @property
    def clean(self) -> list[Change]:
        return [change for change in self.changes if not change.conflict]

    @property
    def conflicts(self) -> list[Change]:
        return [change for change in self.changes if change.conflict]


def read_workbook(data: bytes, *, view: ReturnView, secret: str) -> Preview:
    """Every change the workbook makes to this return, or WorkbookRefused naming the problem."""
    if not view.agency_return.status.editable:
        raise WorkbookRefused("This return has been submitted: its answers can no longer change")
    check_zip(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_vba=False)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise WorkbookRefused("The workbook could not be read: it may be damaged") from None
    try:
        return _read(book, view, secret)
    finally:
        book.close()


def _read(book: Any, view: ReturnView, secret: str) -> Preview:
    if IDENTITY_SHEET not in book.sheetnames:
        raise WorkbookRefused("This is not a workbook downloaded from s11 for a return")
    token = next(book[IDENTITY_SHEET].iter_rows(max_row=1, values_only=True), (None,))[0]
    identity = unsign(str(token or ""), secret)
    if identity is None:
        raise WorkbookRefused(
            "The workbook's hidden s11 sheet has been changed, so s11 cannot tell which return "
            "it belongs to: download a fresh copy"
        )
    agency_return = view.agency_return
    if identity.return_id != agency_return.id:
        raise WorkbookRefused(f"This workbook is for another return, not {view.agency.name}'s")
    if identity.cycle_id != view.cycle.id:
        raise WorkbookRefused("This workbook is from another round")
    if identity.questionnaire_version_id != agency_return.questionnaire_version_id:
        raise WorkbookRefused(
            "This workbook was made for another version of the questionnaire: download a fresh copy"
        )
    questions = {q.id: q for _, q in view.questionnaire.questions()}
    preview = Preview()
    tables: dict[str, list[dict[str, str]]] = {}
    table_cells: dict[str, tuple[str, int]] = {}
    for title in book.sheetnames:
        if title == IDENTITY_SHEET:
            continue
        sheet = book[title]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS:
                raise WorkbookRefused(f"The sheet '{title}' has more than {MAX_ROWS:,} rows")
            if number == 1 or not row or not isinstance(row[ID], str):
                continue
            key = row[ID]
            if "#" in key:  # a table's row
                question_id = key.split("#", 1)[0]
                q = questions.get(question_id)
                if q is not None and getattr(q, "type", "") == "table":
                    cells = row[ANSWER : ANSWER + len(q.columns)]  # type: ignore[attr-defined]
                    tables.setdefault(question_id, [])
                    entry = {
                        column.id: _as_text(cell)
                        for column, cell in zip(q.columns, cells, strict=False)  # type: ignore[attr-defined]
                    }
                    if any(entry.values()):
                        tables[question_id].append(entry)
                continue
            q = questions.get(key)
            if q is None:
                continue
            downloaded = row[VERSION] if isinstance(row[VERSION], int) else 0
            if getattr(q, "type", "") == "table":
                table_cells[q.id] = (f"{title}!D{number}", downloaded)
                continue
            cell = f"{title}!D{number}"
            answer = row[ANSWER] if len(row) > ANSWER else None
            reason = row[NA_REASON] if len(row) > NA_REASON else None
            try:
                value = cell_value(view, q, answer, reason)
            except ValueError as error:
                preview.invalid.append(Invalid(q.id, q.label, cell, str(error)))
                continue
            _compare(preview, view, q, cell, downloaded, value)
    for question_id, (cell, downloaded) in table_cells.items():
        _compare(preview, view, questions[question_id], cell, downloaded,
                 tables.get(question_id) or None)  # fmt: skip
    _set_aside_skipped(preview, view, questions)
    return preview


def _set_aside_skipped(
    preview: Preview, view: ReturnView, questions: dict[str, QuestionBase]
) -> None:
    """A value given for a question that the answers, with the workbook's applied, do not ask
    is listed as not used, with the rule that skips it, rather than saved unseen."""
    values = view.values | {change.question_id: change.new for change in preview.changes}
    kept = []
    for change in preview.changes:
        q = questions[change.question_id]
        if change.new is None or is_shown(q, agency=view.agency, values=values):
            kept.append(change)
            continue
        if q.sectors and view.agency.sector not in q.sectors:
            why = f"Not asked of {view.agency.sector.label.lower()} agencies"
        else:
            assert q.show_if is not None
            rule = condition_text(q.show_if, view.questionnaire)
            why = f"Asked only if {rule}, and the answers here say otherwise"
        preview.unused.append(Invalid(q.id, q.label, change.cell, why))
    preview.changes = kept


def _compare(
    preview: Preview, view: ReturnView, q: QuestionBase, cell: str, downloaded: int, value: Any
) -> None:
    answer = view.answers.get(q.id)
    current = answer.value if answer else None
    if value == current:
        return
    preview.changes.append(
        Change(q.id, q.label, cell, downloaded, answer.version if answer else 0, current, value)
    )


def _as_text(cell: Any) -> str:
    """A cell as text: a formula is kept as the text it is, never worked out."""
    if cell is None:
        return ""
    if isinstance(cell, datetime | date):
        return cell.strftime("%Y-%m-%d")
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def cell_value(view: ReturnView, q: QuestionBase, answer: Any, reason: Any) -> Any:
    """The stored answer a cell holds, by the question's rules; ValueError says what is wrong."""
    questionnaire = view.questionnaire
    text = _as_text(answer)
    kind = getattr(q, "type", "")
    if text.lower() == NA_ANSWER.lower():
        if not q.not_applicable:
            raise ValueError("This question must be answered: it cannot be marked not applicable")
        why = _as_text(reason)
        if not why:
            raise ValueError("Say why this question does not apply, in the next column")
        return {"not_applicable": True, "reason": why}
    if not text:
        return None
    if kind == "rating":
        for level in levels_for(questionnaire, q):
            if text in (str(level.value), level.label) or text.startswith(f"{level.value} - "):
                return level.value
        raise ValueError(f"'{text}' is not one of the levels")
    if kind == "yes_no":
        if text.lower() not in ("yes", "no"):
            raise ValueError("Choose Yes or No")
        return text.lower()
    if kind in ("single_choice", "multiple_choice"):
        by_label = {option.label: option.value for option in q.options}  # type: ignore[attr-defined]
        by_label |= {option.value: option.value for option in q.options}  # type: ignore[attr-defined]
        if kind == "single_choice":
            if text not in by_label:
                raise ValueError(f"'{text}' is not one of the options")
            return by_label[text]
        chosen = [part.strip() for part in text.split(",") if part.strip()]
        if any(part not in by_label for part in chosen):
            raise ValueError("Choose from the options given, separated by commas")
        picked = {by_label[part] for part in chosen}
        return [option.value for option in q.options if option.value in picked]  # type: ignore[attr-defined]
    if kind in ("text", "long_text"):
        limit = q.max_length  # type: ignore[attr-defined]
        if len(text) > limit:
            raise ValueError(f"Use {limit:,} characters or fewer (this has {len(text):,})")
        return text
    if kind == "number":
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise ValueError(f"'{text}' is not a number") from None
        low, high = q.min, q.max  # type: ignore[attr-defined]
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValueError(f"Enter a number from {low:g} to {high:g}")
        return int(number) if number.is_integer() else number
    if kind == "date":
        for form in ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%d %b %Y"):
            try:
                return datetime.strptime(text, form).date().isoformat()
            except ValueError:
                continue
        raise ValueError(f"'{text}' is not a date: enter one like 27/03/2026")
    return None


@dataclass
class Applied:
    saved: list[str]  # question ids
    skipped: list[str]


def apply_changes(
    session: Session, *, view: ReturnView, preview: Preview, keep_mine: set[str], actor: Person
) -> Applied:
    """Apply the clean changes, and the conflicts whose person chose their own text, in one
    transaction, each through the same save as online (so each is a revision, from the workbook).
    A conflict is saved over the online answer only when chosen: nobody loses a word unseen."""
    applied = Applied(saved=[], skipped=[])
    with session.begin_nested():
        for change in preview.changes:
            if change.conflict and change.question_id not in keep_mine:
                applied.skipped.append(change.question_id)
                continue
            save_answer(
                session,
                agency_return=view.agency_return,
                questionnaire=view.questionnaire,
                question_id=change.question_id,
                value=change.new,
                # A chosen conflict is saved over the version the person was shown in the preview.
                based_on_version=change.current_version,
                actor=actor,
                source="workbook",
            )
            applied.saved.append(change.question_id)
    return applied


def uploaded_for_agency_emails(
    session: Session, *, view: ReturnView, coordinator: Person, applied: list[str], base_url: str
) -> list[Email]:
    """A message to each of the agency's leads when a coordinator applied a workbook to their
    return: the answers are the agency's, so nobody's text changes without them hearing of it."""
    partnership_id = partnership_id_of(session, agency_return=view.agency_return)
    if partnership_id is None:
        return []
    listed = "\n".join(f"- {label}" for label in applied)
    link = f"{base_url.rstrip('/')}/returns/{view.agency_return.id}"
    return [
        Email(
            to=email,
            subject=f"Answers from a workbook: {view.agency.name}'s return for {view.cycle.name}",
            body=(
                f"Hello {name},\n\n"
                f"{coordinator.name}, for the partnership, uploaded a filled-in workbook to "
                f"{view.agency.name}'s return for {view.cycle.name} and applied "
                f"{len(applied)} answer{'' if len(applied) == 1 else 's'}:\n\n{listed}\n\n"
                "Each answer's history shows the change as from a workbook. "
                f"Check the return at {link}\n"
            ),
        )
        for name, email in leads_of(
            session, partnership_id=partnership_id, agency_id=view.agency.id
        )
    ]


PREVIEW_SALT = "s11-workbook-preview"


def preview_token(preview: Preview, *, return_id: int, secret: str) -> str:
    """The previewed changes, signed, for the confirming form to carry back: what is applied is
    exactly what the person saw, and the uploaded file need not be kept anywhere."""
    changes = [
        [c.question_id, c.cell, c.downloaded_version, c.current_version, c.new]
        for c in preview.changes
    ]
    return URLSafeSerializer(secret, salt=PREVIEW_SALT).dumps([return_id, changes])


def preview_from_token(token: str, *, view: ReturnView, secret: str) -> Preview:
    """The changes a preview showed, against the answers as they are now."""
    try:
        return_id, changes = URLSafeSerializer(secret, salt=PREVIEW_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise WorkbookRefused(
            "The preview could not be read back: upload the workbook again"
        ) from None
    if return_id != view.agency_return.id:
        raise WorkbookRefused("This preview is for another return")
    labels = {q.id: q.label for _, q in view.questionnaire.questions()}
    preview = Preview()
    for question_id, cell, downloaded, shown_version, new in changes:
        answer = view.answers.get(question_id)
        preview.changes.append(
            Change(
                question_id, labels.get(question_id, question_id), cell, downloaded,
                shown_version, answer.value if answer else None, new,
            )
        )  # fmt: skip
    return preview
