"""What templates need to show questionnaires: safe Markdown guidance and answers as text.

Guidance is Markdown with raw HTML switched off; links and lists get GOV.UK classes.
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from typing import Any

from jinja2 import Environment
from markdown_it import MarkdownIt
from markupsafe import Markup

from app.directory.models import AgencySector, SchoolPhase, SchoolType
from app.questionnaires.schema import (
    AgencyAttribute,
    Condition,
    Level,
    QuestionBase,
    Questionnaire,
    RatingQuestion,
)

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")

_CLASSES = {
    "paragraph_open": "govuk-body",
    "bullet_list_open": "govuk-list govuk-list--bullet",
    "ordered_list_open": "govuk-list govuk-list--number",
    "link_open": "govuk-link",
    "heading_open": "govuk-heading-s",
    "blockquote_open": "govuk-inset-text",
}


@lru_cache(maxsize=1024)
def guidance_html(text: str | None, heading: str = "h3") -> Markup:
    """Guidance as GOV.UK markup; its headings all become `heading`, the level below the
    heading the guidance sits under (h3 under a section's h2, h2 on a section's own page)."""
    if not text:
        return Markup("")
    tokens = _markdown.parse(text)
    for token in tokens:
        css = _CLASSES.get(token.type)
        if css:
            token.attrSet("class", css)
        if token.type in ("heading_open", "heading_close"):
            token.tag = heading
        for child in token.children or []:
            if child.type == "link_open":
                child.attrSet("class", "govuk-link")
    return Markup(_markdown.renderer.render(tokens, _markdown.options, {}))


def levels_for(questionnaire: Questionnaire, question: QuestionBase) -> list[Level]:
    """The question's scale levels, with its own descriptors where it gives them."""
    if question.scale is None or question.scale not in questionnaire.scales:
        return []
    own = (question.descriptors or {}) if isinstance(question, RatingQuestion) else {}
    return [
        level.model_copy(update={"descriptor": own.get(level.value, level.descriptor)})
        for level in questionnaire.scales[question.scale].all_levels()
    ]


def condition_text(condition: Condition, questionnaire: Questionnaire) -> str:
    """A show_if rule in words, for coordinators previewing a questionnaire."""
    if condition.all or condition.any:
        joiner = " and " if condition.all else " or "
        parts = [
            condition_text(part, questionnaire) for part in condition.all or condition.any or []
        ]
        return "(" + joiner.join(parts) + ")"
    if condition.agency is not None:
        return _agency_condition_text(condition)
    target = questionnaire.question(condition.question or "")
    name = f"“{target.label}”" if target else condition.question
    if condition.answered is not None:
        return f"{name} is {'answered' if condition.answered else 'not answered'}"
    if condition.equals is not None:
        return f"the answer to {name} is {_value_text(condition.equals)}"
    values = ", ".join(_value_text(v) for v in condition.one_of or [])
    return f"the answer to {name} is one of {values}"


AGENCY_WORDS = {
    AgencyAttribute.SECTOR: ("sector", {s.value: s.label for s in AgencySector}),
    AgencyAttribute.SCHOOL_TYPE: ("school type", {t.value: t.label for t in SchoolType}),
    AgencyAttribute.SCHOOL_PHASE: ("phase", {p.value: p.label for p in SchoolPhase}),
}


def _agency_condition_text(condition: Condition) -> str:
    assert condition.agency is not None
    noun, labels = AGENCY_WORDS[condition.agency]
    if condition.answered is not None:
        return f"the agency's {noun} is {'given' if condition.answered else 'not given'}"
    if condition.equals is not None:
        return f"the agency's {noun} is {labels.get(str(condition.equals), condition.equals)}"
    chosen = ", ".join(labels.get(str(v), str(v)) for v in condition.one_of or [])
    return f"the agency's {noun} is one of {chosen}"


def _value_text(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def sector_labels(sectors: list[AgencySector] | None) -> list[str]:
    return [sector.label for sector in sectors or []]


def answer_text(questionnaire: Questionnaire, question: QuestionBase, value: Any) -> str:
    """An answer as a person reads it: level labels, option labels, dates in words."""
    if value is None or value == "" or value == []:
        return "Not answered"
    if isinstance(value, dict) and value.get("not_applicable"):
        return f"Not applicable: {value.get('reason') or 'no reason given'}"
    kind = getattr(question, "type", "")
    if kind == "rating":
        for level in levels_for(questionnaire, question):
            if level.value == value:
                return level.label
    if kind == "yes_no":
        return "Yes" if value in ("yes", True) else "No"
    if kind in ("single_choice", "multiple_choice"):
        labels = {option.value: option.label for option in question.options}  # type: ignore[attr-defined]
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, str(v)) for v in chosen)
    if kind == "date":
        try:
            return date.fromisoformat(str(value)).strftime("%-d %B %Y")
        except ValueError:
            return str(value)
    if kind == "evidence" and isinstance(value, list):
        return ", ".join(str(name) for name in value)
    if kind == "table" and isinstance(value, list):
        return f"{len(value)} row{'s' if len(value) != 1 else ''}"
    return str(value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def number_range(question: QuestionBase) -> str:
    """'Enter a number from 0 to 100.' for number questions with limits."""
    low, high = getattr(question, "min", None), getattr(question, "max", None)
    if low is not None and high is not None:
        return f"Enter a number from {_number(low)} to {_number(high)}."
    if low is not None:
        return f"Enter a number of at least {_number(low)}."
    if high is not None:
        return f"Enter a number no more than {_number(high)}."
    return ""


# Rendering a question through the GOV.UK macros costs about a millisecond; its markup depends
# only on the arguments below, so each questionnaire keeps what it rendered (bounded).
MARKUP_KEPT = 4000


def _question_field(environment: Environment) -> Any:
    def question_field(
        q: QuestionBase,
        questionnaire: Questionnaire,
        answer: Any = None,
        error: str | None = None,
        readonly: bool = False,
        equivalent: bool = False,
    ) -> Markup:
        """One question as a form field, or as text when read-only, from _question.html."""
        macro = environment.get_template("questionnaires/_question.html").module.question_field  # type: ignore[attr-defined]
        if environment.auto_reload:  # development: a changed template shows at once
            return macro(q, questionnaire, answer, error, readonly, equivalent)
        key = (
            q.id,
            json.dumps(answer, sort_keys=True, default=str),
            str(error) if error else None,
            bool(readonly),
            bool(equivalent),
        )
        kept = questionnaire.markup
        markup = kept.get(key)
        if markup is None:
            if len(kept) >= MARKUP_KEPT:
                kept.clear()
            markup = kept[key] = macro(q, questionnaire, answer, error, readonly, equivalent)
        return Markup(markup)

    return question_field


def register_template_helpers(environment: Environment) -> None:
    """Make the questionnaire renderer's helpers available to every template."""
    environment.filters["markdown"] = guidance_html
    environment.globals["question_field"] = _question_field(environment)
    environment.globals.update(
        answer_text=answer_text,
        levels_for=levels_for,
        condition_text=condition_text,
        sector_labels=sector_labels,
        number_range=number_range,
    )
