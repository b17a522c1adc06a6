"""Which questions a return shows: sector rules and show_if conditions on earlier answers.

Evaluated on the server for every page and count; hidden answers keep their values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.directory.models import AgencySector, SchoolPhase, SchoolType
from app.questionnaires.schema import Condition, QuestionBase


class AgencyFacts(Protocol):
    """What the rules read of an agency: an Agency row, an export's row, or a preview's choice."""

    @property
    def sector(self) -> AgencySector: ...
    @property
    def school_type(self) -> SchoolType | None: ...
    @property
    def school_phase(self) -> SchoolPhase | None: ...


def _answered(value: Any) -> bool:
    return value not in (None, "", [], {})


def _same(given: Any, expected: Any) -> bool:
    if isinstance(expected, bool):
        return given in (("yes", True) if expected else ("no", False))
    if isinstance(given, list):
        return str(expected) in [str(item) for item in given]
    return str(given) == str(expected)


def condition_holds(
    condition: Condition, values: dict[str, Any], agency: AgencyFacts | None = None
) -> bool:
    if condition.all is not None:
        return all(condition_holds(part, values, agency) for part in condition.all)
    if condition.any is not None:
        return any(condition_holds(part, values, agency) for part in condition.any)
    if condition.agency is not None:
        # No agency (a questionnaire previewed on its own): an attribute is simply not known.
        attribute = getattr(agency, condition.agency.value, None) if agency else None
        value: Any = attribute.value if attribute is not None else None
    else:
        value = values.get(condition.question or "")
    if isinstance(value, dict) and value.get("not_applicable"):
        value = None
    if condition.answered is not None:
        return _answered(value) == condition.answered
    if condition.equals is not None:
        return _same(value, condition.equals)
    return any(_same(value, option) for option in condition.one_of or [])


def questions_read(condition: Condition | None) -> set[str]:
    """The ids of the questions whose answers a show_if condition looks at."""
    if condition is None:
        return set()
    parts = [*(condition.all or []), *(condition.any or [])]
    read = {condition.question} if condition.question else set()
    return read.union(*(questions_read(part) for part in parts))


def is_shown(question: QuestionBase, *, agency: AgencyFacts, values: dict[str, Any]) -> bool:
    if question.sectors and agency.sector not in question.sectors:
        return False
    return question.show_if is None or condition_holds(question.show_if, values, agency)


def counts_as_answered(question: QuestionBase, value: Any) -> bool:
    if isinstance(value, dict) and value.get("not_applicable"):
        return bool(str(value.get("reason") or "").strip())
    return _answered(value)


def follow_ups(questions: list[QuestionBase], *, agency: AgencyFacts) -> list[QuestionBase]:
    """The questions of a page that an answer on the same page shows or hides: the page
    carries them (hidden when not asked) so that they can open as soon as that answer is given.
    A question never asked of the agency's sector is left out."""
    here = {q.id for q in questions}
    return [
        q
        for q in questions
        if questions_read(q.show_if) & here and (not q.sectors or agency.sector in q.sectors)
    ]


def controlling(questions: list[QuestionBase], *, agency: AgencyFacts) -> set[str]:
    """The ids of a page's questions whose answers open or close one of its follow-ups."""
    here = {q.id for q in questions}
    read = set().union(*(questions_read(q.show_if) for q in follow_ups(questions, agency=agency)))
    return read & here


@dataclass(frozen=True)
class Reveal:
    """What the page's follow-up questions should look like for the answers it holds now."""

    shown: list[QuestionBase]
    added: list[QuestionBase]  # shown now and not on the person's screen a moment ago
    removed: list[QuestionBase]  # on the screen a moment ago and no longer asked


def reveal(
    questions: list[QuestionBase],
    *,
    agency: AgencyFacts,
    values: dict[str, Any],
    on_screen: set[str],
) -> Reveal:
    """The page's follow-ups for these answers, against those the person had on screen."""
    candidates = follow_ups(questions, agency=agency)
    shown = [q for q in candidates if is_shown(q, agency=agency, values=values)]
    shown_ids = {q.id for q in shown}
    return Reveal(
        shown=shown,
        added=[q for q in shown if q.id not in on_screen],
        removed=[q for q in candidates if q.id in on_screen and q.id not in shown_ids],
    )


def newly_asked(
    questions: list[QuestionBase],
    *,
    agency: AgencyFacts,
    values: dict[str, Any],
    on_screen: set[str],
) -> list[QuestionBase]:
    """Questions a saved page now asks that the person did not see and has not answered: the
    page is shown again with them rather than moving on (how a page works without JavaScript)."""
    return [
        q
        for q in questions
        if q.id not in on_screen
        and is_shown(q, agency=agency, values=values)
        and not counts_as_answered(q, values.get(q.id))
    ]
