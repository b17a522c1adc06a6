"""Changing a question's type in the editor: the fields the new type has kept, the rest dropped,
what it needs given defaults. Never leaves a show_if testing answers the question cannot give."""

from __future__ import annotations

from typing import Any

from app.library.editing import type_defaults
from app.library.form_fields import Form, all_questions, question_at, refuse_if, text
from app.library.show_if import answer_choices
from app.questionnaires.checks import MAPPABLE_TYPES
from app.questionnaires.schema import QUESTION_TYPES, QuestionBase

# Every type has these (QuestionBase); the rest belong to one type or another.
SHARED_FIELDS = frozenset({"type", *QuestionBase.model_fields}) - {"required"}


def _tested_values(condition: dict[str, Any] | None, question_id: str) -> list[set[str]]:
    """The answers each part of a condition that reads this question tests for ("answered"
    tests none, so holds for any type)."""
    if not condition:
        return []
    found = []
    if condition.get("question") == question_id and "answered" not in condition:
        values = [condition["equals"]] if "equals" in condition else condition.get("one_of") or []
        found.append(
            {"yes" if v is True else "no" if v is False else str(v).lower() for v in values}
        )
    for part in condition.get("all") or condition.get("any") or []:
        found += _tested_values(part, question_id)
    return found


def stranded(content: dict[str, Any], question: dict[str, Any]) -> list[dict[str, Any]]:
    """The questions shown only on answers this question (as it is now) cannot give."""
    can_give = {value.lower() for value, _ in answer_choices(question) or []}
    return [
        other
        for _, _, other in all_questions(content)
        if any(tested - can_give for tested in _tested_values(other.get("show_if"), question["id"]))
    ]


def change_type(content: dict[str, Any], question_id: str, form: Form) -> None:
    """The question as the chosen type (a rating on the chosen scale); refused, naming them,
    when questions shown on its answers could no longer be shown."""
    question = question_at(content, question_id)
    errors: dict[str, str] = {}
    kind = text(form, "type")
    if kind not in QUESTION_TYPES:
        errors["type"] = "Choose the kind of answer the question asks for"
    scale = text(form, "scale") or None
    if kind == "rating" and scale not in content.get("scales", {}):
        errors["scale"] = (
            "Choose a scale"
            if content.get("scales")
            else "Add a scale first (Scales, on the questionnaire's page): a rating needs one"
        )
    refuse_if(errors)
    if kind == question["type"]:  # a rating's scale is changed on the question's own page
        return
    changed = {key: value for key, value in question.items() if key in SHARED_FIELDS}
    changed["type"] = kind
    # Evidence is optional unless said otherwise, every other type required: only between
    # those does "required" keep its meaning.
    if "evidence" not in (kind, question["type"]) and "required" in question:
        changed["required"] = question["required"]
    # Single and multiple choice share their options, so answers' values still match.
    if "options" in question and kind in ("single_choice", "multiple_choice"):
        changed["options"] = question["options"]
    for key, value in type_defaults(content, kind).items():
        changed.setdefault(key, value)
    if kind == "rating":
        changed["scale"] = scale
    elif not changed.get("scored_by_panel"):
        changed.pop("scale", None)
    if kind not in MAPPABLE_TYPES:
        changed.pop("maps_to", None)
    blocked = stranded(content, changed)
    if blocked:
        names = ", ".join(f"“{other['label']}”" for other in blocked)
        refuse_if(
            {
                "type": (
                    f"{names} {'is' if len(blocked) == 1 else 'are'} shown only on answers a "
                    f"question of this type cannot give: change when to show "
                    f"{'it' if len(blocked) == 1 else 'them'} first, or choose another type"
                )
            }
        )
    question.clear()
    question.update(changed)
