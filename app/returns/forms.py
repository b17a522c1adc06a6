"""Reading a section's answers from a posted form, one question type at a time.

Bad input becomes a message for that question; what the person typed is kept to show again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from app.params import whole_number_from
from app.questionnaires.rendering import levels_for
from app.questionnaires.schema import QuestionBase, Questionnaire

VERSION_FIELD = "__version__"
ORIGINAL_FIELD = "__original__"
# Sent once for each follow-up question the person has on screen (disabled while it is hidden).
SHOWN_FIELD = "__shown__"
FILES_FIELD = "__files"  # after the question id: the evidence files chosen for it


@dataclass
class ParsedSection:
    values: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    typed: dict[str, Any] = field(default_factory=dict)  # as typed, to show again with errors
    unchanged: set[str] = field(default_factory=set)  # the person left these as they found them


def _number(text: str) -> float | int:
    number = float(text.replace(",", ""))
    return int(number) if number.is_integer() and "." not in text else number


def parse_question(form: FormData, questionnaire: Questionnaire, q: QuestionBase) -> Any:
    """The answer to one question as stored, or raise ValueError with a message."""
    if form.get(f"{q.id}__na") == "yes":
        reason = str(form.get(f"{q.id}__na_reason") or "").strip()
        if not reason:
            raise ValueError("Say why this question does not apply to your agency")
        return {"not_applicable": True, "reason": reason}
    kind = getattr(q, "type", "")
    raw = form.get(q.id)
    text = raw.strip() if isinstance(raw, str) else ""
    if kind == "rating":
        if not text:
            return None
        values = {str(level.value): level.value for level in levels_for(questionnaire, q)}
        if text not in values:
            raise ValueError("Choose one of the levels")
        return values[text]
    if kind == "yes_no":
        if text and text not in ("yes", "no"):
            raise ValueError("Choose yes or no")
        return text or None
    if kind == "single_choice":
        options = {option.value for option in q.options}  # type: ignore[attr-defined]
        if text and text not in options:
            raise ValueError("Choose one of the options")
        return text or None
    if kind == "multiple_choice":
        options = [option.value for option in q.options]  # type: ignore[attr-defined]
        chosen = [str(v) for v in form.getlist(q.id)]
        if any(value not in options for value in chosen):
            raise ValueError("Choose from the options given")
        return [value for value in options if value in chosen] or None
    if kind in ("text", "long_text"):
        value = raw if isinstance(raw, str) else ""
        limit = q.max_length  # type: ignore[attr-defined]
        if len(value) > limit:
            raise ValueError(f"Use {limit:,} characters or fewer (you have {len(value):,})")
        return value if value.strip() else None
    if kind == "number":
        if not text:
            return None
        try:
            number = _number(text)
        except ValueError:
            raise ValueError("Enter a number, like 12 or 3.5") from None
        low, high = q.min, q.max  # type: ignore[attr-defined]
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValueError(f"Enter a number from {low:g} to {high:g}")
        return number
    if kind == "date":
        parts = [str(form.get(f"{q.id}-{part}") or "").strip() for part in ("day", "month", "year")]
        if not any(parts):
            return None
        try:
            day, month, year = (int(part) for part in parts)
            return date(year, month, day).isoformat()
        except ValueError:
            raise ValueError("Enter a real date, like 27 3 2021") from None
    if kind == "table":
        limit = q.max_rows  # type: ignore[attr-defined]
        prefix = f"{q.id}__"
        posted = {
            key.split("__")[1]
            for key, value in form.multi_items()
            if key.startswith(prefix) and str(value).strip()
        }
        outside = any(not (i.isdigit() and int(i) < limit) for i in posted)
        if len(posted) > limit or outside:
            raise ValueError(
                f"This table takes up to {limit:,} rows and {len(posted):,} were sent: "
                "remove some rows, or put the detail in an evidence file"
            )
        rows = []
        for index in range(limit):
            row = {
                column.id: str(form.get(f"{q.id}__{index}__{column.id}") or "").strip()
                for column in q.columns  # type: ignore[attr-defined]
            }
            if any(row.values()):
                rows.append(row)
        return rows or None
    return None  # evidence is uploaded, not typed


def fingerprint(value: Any) -> str:
    """A short digest of an answer as shown, to tell later whether the person changed it."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _as_typed(form: FormData, q: QuestionBase) -> Any:
    if getattr(q, "type", "") == "date":
        day, month, year = (str(form.get(f"{q.id}-{p}") or "") for p in ("day", "month", "year"))
        return f"{year}-{month}-{day}"
    return form.get(q.id)


def parse_section(
    form: FormData, questionnaire: Questionnaire, questions: list[QuestionBase]
) -> ParsedSection:
    parsed = ParsedSection()
    for q in questions:
        version = str(form.get(f"{VERSION_FIELD}{q.id}") or "0")
        parsed.versions[q.id] = whole_number_from(version) or 0
        try:
            value = parse_question(form, questionnaire, q)
        except ValueError as error:
            parsed.errors[q.id] = str(error)
            parsed.typed[q.id] = _as_typed(form, q)
            continue
        parsed.values[q.id] = value
        if form.get(f"{ORIGINAL_FIELD}{q.id}") == fingerprint(value):
            parsed.unchanged.add(q.id)
    return parsed
