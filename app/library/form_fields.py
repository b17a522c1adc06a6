"""The editor's form fields read into the format's data, and finding things in a draft's content:
limits, numbers, ids made unique. Never stores anything and never reads the database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.library.drafts import EditRefused

MAX_LABEL = 500
MAX_HINT = 2_000
MAX_MARKDOWN = 20_000
MAX_OPTIONS = 50
MAX_COLUMNS = 12
MAX_LEVELS = 12
MAX_SECTIONS = 40
MAX_QUESTIONS = 150  # in one section

TYPE_NAMES = {
    "rating": "Rating on a scale",
    "yes_no": "Yes or no",
    "single_choice": "One option from a list",
    "multiple_choice": "Several options from a list",
    "text": "Short text",
    "long_text": "Long text",
    "number": "Number",
    "date": "Date",
    "evidence": "Evidence files",
    "table": "Table",
}
COLUMN_TYPES = {"text": "Text", "number": "Number", "date": "Date", "yes_no": "Yes or no"}
Form = dict[str, Any]  # field name → text, or a list of texts for checkboxes


def text(form: Form, name: str) -> str:
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).replace("\r\n", "\n").strip()


def texts(form: Form, name: str) -> list[str]:
    value = form.get(name, [])
    return [str(v) for v in (value if isinstance(value, list) else [value]) if str(v).strip()]


def words(
    form: Form, errors: dict[str, str], name: str, what: str, limit: int, *, needed: str = ""
) -> str:
    """A text field: its words, refused past `limit` characters, or when empty if `needed`
    names what to enter."""
    given, key = text(form, name), name.replace("_", "-")
    if needed:
        required(errors, key, given, needed)
    return bounded(errors, key, given, limit, what)


def bounded(errors: dict[str, str], name: str, text: str, limit: int, what: str) -> str:
    if len(text) > limit:
        errors[name] = f"{what} must be {limit:,} characters or fewer (it has {len(text):,})"
    return text


def required(errors: dict[str, str], name: str, text: str, what: str) -> str:
    if not text:
        errors[name] = f"Enter {what}"
    return text


def number(errors: dict[str, str], name: str, text: str, what: str, *, whole: bool) -> Any:
    if not text:
        return None
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        errors[name] = f"{what} must be a {'whole ' if whole else ''}number, like 5"
        return None
    if abs(value) > 1_000_000_000:
        errors[name] = f"{what} must be between -1,000,000,000 and 1,000,000,000"
        return None
    return int(value) if not whole and float(value).is_integer() else value


def refuse_if(errors: dict[str, str]) -> None:
    if errors:
        raise EditRefused(errors)


def set_key(target: dict[str, Any], key: str, value: Any, default: Any = None) -> None:
    """The format leaves a key out when it says the default: keep drafts as a file would."""
    if value is None or value == default or value == "" or value == []:
        target.pop(key, None)
    else:
        target[key] = value


# Finding things ---------------------------------------------------------------------------


def all_questions(content: dict[str, Any]) -> list[tuple[int, int, dict[str, Any]]]:
    return [
        (s, q, question)
        for s, section in enumerate(content.get("sections", []))
        for q, question in enumerate(section.get("questions", []))
    ]


def find_section(content: dict[str, Any], section_id: str) -> int:
    for index, section in enumerate(content.get("sections", [])):
        if section.get("id") == section_id:
            return index
    raise KeyError(section_id)


def find_question(content: dict[str, Any], question_id: str) -> tuple[int, int]:
    for s, q, question in all_questions(content):
        if question.get("id") == question_id:
            return s, q
    raise KeyError(question_id)


def question_at(content: dict[str, Any], question_id: str) -> dict[str, Any]:
    s, q = find_question(content, question_id)
    return content["sections"][s]["questions"][q]


def condition_reads(condition: dict[str, Any] | None) -> set[str]:
    if not condition:
        return set()
    read = {condition["question"]} if condition.get("question") else set()
    for part in condition.get("all") or condition.get("any") or []:
        read |= condition_reads(part)
    return read


def dependents(content: dict[str, Any], question_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Questions whose show_if reads any of these, and those that read them, and so on."""
    wanted, found = set(question_ids), []
    for _, _, question in all_questions(content):
        if question.get("id") not in wanted and condition_reads(question.get("show_if")) & wanted:
            found.append(question)
            wanted.add(question["id"])
    return found


def unique_id(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"-{n}"
        candidate, n = base[: 60 - len(suffix)] + suffix, n + 1
    return candidate


def question_ids(content: dict[str, Any]) -> set[str]:
    return {question["id"] for _, _, question in all_questions(content)}


def rows(form: Form, prefix: str, limit: int, errors: dict[str, str], what: str) -> list[int]:
    count = number(errors, prefix, text(form, f"{prefix}_rows"), what, whole=True) or 0
    if count > limit + 5:
        errors[f"{prefix}-0-label"] = f"Give at most {limit} {what}"
        return []
    return list(range(max(count, 0)))
