"""show_if built with pickers: an earlier question and the answers that show this one, an
agency's sector, school type or phase, all or any. Never lets a question look at a later one.
"""

from __future__ import annotations

from typing import Any

from app.directory.models import AgencySector, SchoolPhase, SchoolType
from app.library.drafts import questionnaire_of
from app.library.form_fields import (
    Form,
    all_questions,
    question_at,
    refuse_if,
    text,
    texts,
)
from app.questionnaires.checks import AGENCY_VALUES
from app.questionnaires.rendering import condition_text
from app.questionnaires.schema import AgencyAttribute, Condition

# show_if ----------------------------------------------------------------------------------


def answer_choices(question: dict[str, Any]) -> list[tuple[str, str]] | None:
    """What a show_if may test an earlier question for: its answers, as (value, label)."""
    if question.get("type") == "yes_no":
        return [("yes", "Yes"), ("no", "No")]
    if question.get("type") in ("single_choice", "multiple_choice"):
        return [(option["value"], option["label"]) for option in question.get("options", [])]
    return None


def earlier_questions(content: dict[str, Any], question_id: str) -> list[dict[str, Any]]:
    """The questions before this one whose answers a show_if can look at."""
    earlier = []
    for _, _, question in all_questions(content):
        if question["id"] == question_id:
            break
        if answer_choices(question) is not None:
            earlier.append(question)
    return earlier


AGENCY_FIELDS = {
    AgencyAttribute.SECTOR.value: [(s.value, s.label) for s in AgencySector],
    AgencyAttribute.SCHOOL_TYPE.value: [(t.value, t.label) for t in SchoolType],
    AgencyAttribute.SCHOOL_PHASE.value: [(p.value, p.label) for p in SchoolPhase],
}


def _part(subject: str, name: str, values: list[str]) -> dict[str, Any]:
    part: dict[str, Any] = {subject: name}
    if len(values) == 1:
        part["equals"] = values[0]
    else:
        part["one_of"] = values
    return part


def set_show_if(content: dict[str, Any], question_id: str, form: Form) -> None:
    """show_if from the pickers: for each earlier question (or agency attribute) the answers
    that show this one, joined by all or any. A later question is refused, however asked."""
    question = question_at(content, question_id)
    earlier = {q["id"]: q for q in earlier_questions(content, question_id)}
    errors: dict[str, str] = {}
    parts: list[dict[str, Any]] = []
    for name in texts(form, "questions"):
        if name not in earlier:
            errors["questions"] = (
                "Choose a question that comes before this one: a question can only depend on "
                "answers already given"
            )
            continue
        allowed = {value for value, _ in answer_choices(earlier[name]) or []}
        values = texts(form, f"answers_{name}")
        if not values:
            errors[f"answers-{name}"] = (
                f"Choose the answers to “{earlier[name]['label']}” that show this question"
            )
        elif set(values) - allowed:
            errors[f"answers-{name}"] = "Choose answers from the list"
        else:
            parts.append(_part("question", name, values))
    for attribute, choices in AGENCY_FIELDS.items():
        values = texts(form, f"agency_{attribute}")
        if (
            set(values) - {value for value, _ in choices}
            or set(values) - AGENCY_VALUES[AgencyAttribute(attribute)]
        ):
            errors[f"agency-{attribute.replace('_', '-')}"] = "Choose from the list"
        elif values:
            parts.append(_part("agency", attribute, values))
    join = text(form, "join") or "all"
    if join not in ("all", "any"):
        errors["join"] = "Choose whether all or any of these must hold"
    refuse_if(errors)
    if not parts:
        question.pop("show_if", None)
        return
    condition = parts[0] if len(parts) == 1 else {join: parts}
    Condition.model_validate(condition)  # the pickers only make what the format allows
    question["show_if"] = condition


def show_if_choices(condition: dict[str, Any] | None) -> tuple[dict[str, list[str]], str, bool]:
    """The pickers' state for a condition: chosen answers by question or agency_<attribute>,
    all/any, and whether it says more than the pickers can (nested groups, 'answered')."""
    if not condition:
        return {}, "all", False
    join = "any" if condition.get("any") else "all"
    parts = condition.get("all") or condition.get("any") or [condition]
    chosen: dict[str, list[str]] = {}
    beyond = False
    for part in parts:
        subject = part.get("question") or (
            f"agency_{part['agency']}" if part.get("agency") else None
        )
        values = [part["equals"]] if "equals" in part else part.get("one_of")
        if subject is None or values is None:
            beyond = True
            continue
        chosen[subject] = [("yes" if v is True else "no" if v is False else str(v)) for v in values]
    return chosen, join, beyond


def describe(content: dict[str, Any], condition: dict[str, Any] | None) -> str:
    """The condition in words, as the preview says it ("Is there a lead? is No")."""
    if not condition:
        return ""
    questionnaire = questionnaire_of(content)
    if questionnaire is None:
        return ""
    return condition_text(Condition.model_validate(condition), questionnaire)
