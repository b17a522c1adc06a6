"""A return as a workbook to fill in offline: answer cells open, the rest protected, drop-downs for
ratings and choices, and a signed hidden sheet saying which return and versions it came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from itsdangerous import BadSignature, URLSafeSerializer
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from app.db import utcnow
from app.questionnaires.rendering import answer_text, condition_text, levels_for
from app.questionnaires.rules import is_shown, questions_read
from app.questionnaires.schema import QuestionBase, Questionnaire, Section
from app.returns.service import ReturnView
from app.spreadsheets import HEADER_FILL, safe_text, sheet_title

# Where each thing sits on a section sheet; the hidden columns come first so a table's columns
# can run on to the right of the answer without meeting them.
ID_COLUMN, VERSION_COLUMN, QUESTION_COLUMN, ANSWER_COLUMN = "A", "B", "C", "D"
NA_COLUMN, LAST_YEAR_COLUMN, HINT_COLUMN = "E", "F", "G"
HEADERS = ("Question id", "Version", "Question", "Your answer", "Not applicable because",
           "Last year's answer", "Hint and guidance")  # fmt: skip
NA_ANSWER = "Not applicable"  # typed (or chosen) as the answer, with the reason beside it
IDENTITY_SHEET = "s11"
SALT = "s11-return-workbook"
# Excel refuses an input message longer than this, and a drop-down list longer than this.
PROMPT_LIMIT = 255
LIST_LIMIT = 255
ANSWER_FILL = "FFF7BF"  # the cells to fill in, tinted so people find them


@dataclass(frozen=True)
class Identity:
    """What the hidden sheet says: the return, its round and questionnaire, and when."""

    return_id: int
    cycle_id: int
    questionnaire_version_id: int
    downloaded_at: str  # ISO, UTC


def sign(identity: Identity, secret: str) -> str:
    return URLSafeSerializer(secret, salt=SALT).dumps(identity.__dict__)


def unsign(token: str, secret: str) -> Identity | None:
    """The identity a workbook claims, or None if its hidden sheet was edited."""
    try:
        data = URLSafeSerializer(secret, salt=SALT).loads(token)
        return Identity(**data)
    except (BadSignature, TypeError):
        return None


def rating_label(level_value: int, label: str) -> str:
    return f"{level_value} - {label}"


def cell_text(questionnaire: Questionnaire, question: QuestionBase, value: Any) -> Any:
    """An answer as it goes in its cell, so that reading the cell back gives the same answer."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, dict) and value.get("not_applicable"):
        return NA_ANSWER
    kind = getattr(question, "type", "")
    if kind == "rating":
        for level in levels_for(questionnaire, question):
            if level.value == value:
                return rating_label(level.value, level.label)
    if kind in ("number",) and isinstance(value, int | float):
        return value
    return safe_text(answer_text(questionnaire, question, value))


def choices_of(questionnaire: Questionnaire, question: QuestionBase) -> list[str]:
    """What a drop-down offers for this question (empty: typed freely)."""
    kind = getattr(question, "type", "")
    if kind == "rating":
        return [rating_label(lv.value, lv.label) for lv in levels_for(questionnaire, question)]
    if kind == "yes_no":
        return ["Yes", "No"]
    if kind == "single_choice":
        return [option.label for option in question.options]  # type: ignore[attr-defined]
    return []


def write_fillable(
    view: ReturnView, *, secret: str, last_year: dict[str, str], target: IO[bytes]
) -> None:
    """Write the return's fillable workbook to `target`."""
    book = Workbook()
    taken: set[str] = set()
    intro = book.active
    intro.title = sheet_title("Instructions", taken)
    _instructions(intro, view)
    values = view.values
    for section in view.questionnaire.sections:
        questions = offered(view, section, values)
        if not questions:
            continue
        sheet = book.create_sheet(sheet_title(section.title, taken))
        _section_sheet(sheet, view, questions, values, last_year)
    identity = Identity(
        return_id=view.agency_return.id,
        cycle_id=view.cycle.id,
        questionnaire_version_id=view.agency_return.questionnaire_version_id,
        downloaded_at=utcnow().isoformat(),
    )
    hidden = book.create_sheet(IDENTITY_SHEET)
    hidden["A1"] = sign(identity, secret)
    hidden.sheet_state = "veryHidden"  # not even listed under Unhide; the signature still guards it
    hidden.protection.sheet = True
    book.save(target)


def offered(view: ReturnView, section: Section, values: dict[str, Any]) -> list[QuestionBase]:
    """The questions shown now, and those an answer could still show: offline nobody sees a
    question appear, so it is there with the rule that asks for it. Rules on the agency itself
    (its sector, its school type) are settled, and what they hide stays out."""
    shown = view.shown(section)
    return [
        q
        for q in section.questions
        if q in shown
        or (not (q.sectors and view.agency.sector not in q.sectors) and questions_read(q.show_if))
    ]


def _instructions(sheet: Worksheet, view: ReturnView) -> None:
    sheet.column_dimensions["A"].width = 100
    lines = [
        f"{view.agency.name}: {view.cycle.name}",
        "",
        "Fill in the yellow cells on each section's sheet, then upload this workbook to s11 from "
        "the return's task list.",
        "For ratings and choices, pick from the cell's drop-down list; its message describes each "
        "level.",
        "A question that starts 'Only if' needs an answer only when its rule holds.",
        f"If a question does not apply, choose or type '{NA_ANSWER}' and say why in the next "
        "column.",
        "Leave the hidden columns and sheets as they are: they tell s11 which answer each cell "
        "is and which version you started from, so nobody's newer answer is overwritten.",
        "Before anything is saved, s11 shows every change for you to check.",
    ]
    for line in lines:
        sheet.append([safe_text(line)])
    sheet["A1"].font = Font(bold=True, size=14)
    for row in sheet.iter_rows(min_row=3):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.protection.sheet = True


def _section_sheet(
    sheet: Worksheet,
    view: ReturnView,
    questions: list[QuestionBase],
    values: dict[str, Any],
    last_year: dict[str, str],
) -> None:
    questionnaire = view.questionnaire
    shown = {q.id for q in questions if is_shown(q, agency=view.agency, values=values)}
    for column, width in zip("ABCDEFG", (12, 8, 50, 40, 30, 30, 50), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.column_dimensions[ID_COLUMN].hidden = True
    sheet.column_dimensions[VERSION_COLUMN].hidden = True
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
    sheet.freeze_panes = "C2"
    wrap = Alignment(wrap_text=True, vertical="top")
    open_cell = Protection(locked=False)
    fill = PatternFill("solid", fgColor=ANSWER_FILL)
    for q in questions:
        answer = view.answers.get(q.id)
        value = values.get(q.id)
        kind = getattr(q, "type", "")
        if kind == "evidence":
            continue  # files are uploaded online, not typed into a cell
        rule = (
            f"Only if {condition_text(q.show_if, questionnaire)}."
            if q.show_if is not None and q.id not in shown
            else None
        )
        hint = "\n\n".join(text for text in (rule, q.hint, getattr(q, "guidance", None)) if text)
        na_reason = value.get("reason") if isinstance(value, dict) else None
        row = [
            q.id,
            answer.version if answer else 0,
            safe_text(q.label),
            None if kind == "table" else cell_text(questionnaire, q, value),
            safe_text(na_reason) if na_reason else None,
            safe_text(last_year[q.id]) if q.id in last_year else None,
            safe_text(hint) if hint else None,
        ]
        sheet.append(row)
        here = sheet.max_row
        for column in (QUESTION_COLUMN, LAST_YEAR_COLUMN, HINT_COLUMN, ANSWER_COLUMN, NA_COLUMN):
            sheet[f"{column}{here}"].alignment = wrap
        if kind == "table":
            _table_rows(sheet, q, value if isinstance(value, list) else [], open_cell, fill)
            continue
        for column in (ANSWER_COLUMN,) + ((NA_COLUMN,) if q.not_applicable else ()):
            sheet[f"{column}{here}"].protection = open_cell
            sheet[f"{column}{here}"].fill = fill
        _drop_down(sheet, questionnaire, q, f"{ANSWER_COLUMN}{here}")
    sheet.protection.sheet = True  # structure only, no password: the answer cells are open
    sheet.protection.formatColumns = False  # people may still widen a column to read


def _table_rows(
    sheet: Worksheet, q: QuestionBase, rows: list[dict], open_cell: Protection, fill: PatternFill
) -> None:
    """A table question as rows under it: a header of its columns from the answer column on,
    then one open row per row it may hold, each id'd `question#n` in the hidden column."""
    columns = q.columns  # type: ignore[attr-defined]
    first = ord(ANSWER_COLUMN) - ord("A")
    header = [None] * first + [safe_text(column.label) for column in columns]
    sheet.append(header)
    for cell in sheet[sheet.max_row][first:]:
        cell.font = Font(bold=True)
    top = sheet.max_row + 1
    for index in range(q.max_rows):  # type: ignore[attr-defined]
        existing = rows[index] if index < len(rows) else {}
        cells = [safe_text(str(existing.get(column.id) or "")) or None for column in columns]
        sheet.append([f"{q.id}#{index}", None, None] + cells)
        for cell in sheet[sheet.max_row][first : first + len(columns)]:
            cell.protection = open_cell
            cell.fill = fill
    for offset, column in enumerate(columns):
        letter = chr(ord(ANSWER_COLUMN) + offset)
        _column_drop_down(sheet, column, f"{letter}{top}:{letter}{sheet.max_row}")


def _column_drop_down(sheet: Worksheet, column: Any, ref: str) -> None:
    """A table column of yes/no or choices as a drop-down of the values a row stores, which is
    what the cells are read back as; a choice's wording is in the input message."""
    if column.type == "yes_no":
        values, prompt = ["yes", "no"], ""
    elif column.type == "single_choice":
        values = [option.value for option in column.options]
        prompt = "\n".join(f"{option.value}: {option.label}" for option in column.options)
    else:
        return
    validation = _list_validation(values)
    if validation is None:
        return
    if prompt:
        _input_message(validation, "The choices", prompt)
    sheet.add_data_validation(validation)
    validation.add(ref)


def _list_validation(choices: list[str]) -> DataValidation | None:
    listed = ",".join(f"{choice.replace(',', ' ')}" for choice in choices)
    if len(listed) + 2 > LIST_LIMIT:
        return None  # too long for a drop-down: typed, and checked on upload
    validation = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True)
    validation.errorStyle = "warning"  # s11 checks on upload; a warning never traps anyone
    return validation


def _input_message(validation: DataValidation, title: str, text: str) -> None:
    validation.promptTitle = title[:32]
    validation.prompt = text[:PROMPT_LIMIT]
    validation.showInputMessage = True


def _drop_down(sheet: Worksheet, questionnaire: Questionnaire, q: QuestionBase, ref: str) -> None:
    kind = getattr(q, "type", "")
    if kind == "multiple_choice":
        # Excel's lists pick one value: several are typed, and the message says how.
        labels = "; ".join(option.label for option in q.options)  # type: ignore[attr-defined]
        validation = DataValidation(allow_blank=True)
        _input_message(
            validation, "Choose any", f"Type any of these, separated by commas: {labels}"
        )
        sheet.add_data_validation(validation)
        validation.add(ref)
        return
    choices = choices_of(questionnaire, q)
    if q.not_applicable and choices:
        choices = [*choices, NA_ANSWER]
    validation = _list_validation(choices) if choices else None
    if validation is None:
        return
    if kind == "rating":
        descriptors = "\n".join(
            f"{level.value}: {level.descriptor}" for level in levels_for(questionnaire, q)
        )
        _input_message(validation, "The levels", descriptors)
    sheet.add_data_validation(validation)
    validation.add(ref)


def downloaded_name(view: ReturnView) -> str:
    stamp = datetime.now().strftime("%Y-%m-%d")
    name = "".join(ch if ch.isalnum() else "-" for ch in view.agency.name).strip("-")
    return f"{name}-return-to-fill-in-{stamp}.xlsx"
