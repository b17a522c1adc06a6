"""Which questions a return shows: sector rules and show_if conditions on earlier answers.

Evaluated on the server for every page and count; hidden answers keep their values.
"""

from __future__ import annotations

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
