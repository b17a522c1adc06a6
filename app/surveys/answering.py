"""Answering the survey without an account: one page per section, answers carried from page to
page in the form itself (no cookie, nothing stored) until the person sends them.

Never keeps a client address past the rate limit's window, and never stores a refused answer.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from app.questionnaires.rules import (
    AgencyFacts,
    Reveal,
    counts_as_answered,
    follow_ups,
    is_shown,
    newly_asked,
    reveal,
)
from app.questionnaires.schema import QuestionBase, Questionnaire, Section
from app.returns.forms import parse_question

AGENCY_FIELD = "__agency"
# Far more than any honest survey form carries (two 2,000-character answers, percent-encoded,
# and every choice): anything bigger is refused before it is read.
MAX_BODY_BYTES = 128 * 1024
MAX_FIELDS = 300


class BadSubmission(ValueError):
    """Something no survey page sends: a choice not offered, a hidden answer tampered with."""


def sections_of(questionnaire: Questionnaire) -> list[Section]:
    return [s for s in questionnaire.sections if s.questions]


def section_by_id(questionnaire: Questionnaire, section_id: str) -> Section | None:
    return next((s for s in sections_of(questionnaire) if s.id == section_id), None)


def shown_on_page(
    section: Section, *, agency: AgencyFacts, values: dict[str, Any]
) -> list[QuestionBase]:
    """The page's questions: one that depends on an answer on the same page travels with it
    (hidden until that answer asks for it, see `hidden_on_page`)."""
    carried = {q.id for q in follow_ups(section.questions, agency=agency)}
    return [
        q for q in section.questions if q.id in carried or is_shown(q, agency=agency, values=values)
    ]


def hidden_on_page(section: Section, *, agency: AgencyFacts, values: dict[str, Any]) -> set[str]:
    """The follow-ups the page carries hidden, for these answers."""
    return {
        q.id
        for q in follow_ups(section.questions, agency=agency)
        if not is_shown(q, agency=agency, values=values)
    }


def page_values(
    form: FormData, questionnaire: Questionnaire, section: Section, carried: dict[str, Any]
) -> dict[str, Any]:
    """The answers as the person's screen holds them: a page's answer that cannot be read
    yet counts as not given."""
    values = dict(carried)
    for q in section.questions:
        try:
            values[q.id] = parse_question(form, questionnaire, q)
        except ValueError:
            values.pop(q.id, None)
    return values


def follow_ups_for(
    section: Section, *, agency: AgencyFacts, values: dict[str, Any], on_screen: set[str]
) -> Reveal:
    return reveal(section.questions, agency=agency, values=values, on_screen=on_screen)


def asked_since_shown(
    section: Section, *, agency: AgencyFacts, values: dict[str, Any], follow_ups_shown: set[str]
) -> list[QuestionBase]:
    """Questions a page's answers now ask that the person did not have on screen: the other
    questions do not depend on this page, so they were on screen whenever they are asked."""
    carried = {q.id for q in follow_ups(section.questions, agency=agency)}
    always = {q.id for q in section.questions if q.id not in carried}
    return newly_asked(
        section.questions,
        agency=agency,
        values=values,
        on_screen=always | (follow_ups_shown & carried),
    )


def carried_values(
    form: FormData, questionnaire: Questionnaire, *, skip: set[str]
) -> dict[str, Any]:
    """The answers earlier pages carried in hidden fields; refused whole if any is not one a
    page could have sent."""
    values: dict[str, Any] = {}
    for section in sections_of(questionnaire):
        for q in section.questions:
            if q.id in skip or q.id not in form:
                continue
            try:
                value = parse_question(form, questionnaire, q)
            except ValueError:
                raise BadSubmission(q.id) from None
            if value is not None:
                values[q.id] = value
    return values


@dataclass
class ParsedPage:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    typed: dict[str, Any] = field(default_factory=dict)


def parse_page(
    form: FormData,
    questionnaire: Questionnaire,
    section: Section,
    *,
    agency: AgencyFacts,
    carried: dict[str, Any],
) -> ParsedPage:
    """One page's answers: each checked against its question, required ones asked for."""
    parsed = ParsedPage()
    questions = shown_on_page(section, agency=agency, values=carried)
    for q in questions:
        try:
            value = parse_question(form, questionnaire, q)
        except ValueError as error:
            parsed.errors[q.id] = str(error)
            parsed.typed[q.id] = form.get(q.id)
            continue
        if value is not None:
            parsed.values[q.id] = value
    everything = carried | parsed.values
    for q in questions:
        asked = is_shown(q, agency=agency, values=everything)
        if not asked:
            parsed.values.pop(q.id, None)  # an answer to a question that no longer applies
        elif (
            q.required
            and q.id not in parsed.errors
            and not counts_as_answered(q, parsed.values.get(q.id))
        ):
            parsed.errors[q.id] = "Answer this question"
    return parsed


def answers_in_order(
    questionnaire: Questionnaire, values: dict[str, Any], *, agency: AgencyFacts
) -> list[tuple[Section, list[tuple[QuestionBase, Any]]]]:
    """What the check-answers page lists: each section's asked questions and their answers."""
    listed = []
    for section in sections_of(questionnaire):
        rows = [
            (q, values.get(q.id))
            for q in section.questions
            if is_shown(q, agency=agency, values=values)
        ]
        listed.append((section, rows))
    return listed


def missing_required(
    questionnaire: Questionnaire, values: dict[str, Any], *, agency: AgencyFacts
) -> Section | None:
    """The first section with a required question left unanswered, if any."""
    for section, rows in answers_in_order(questionnaire, values, agency=agency):
        if any(q.required and not counts_as_answered(q, value) for q, value in rows):
            return section
    return None


def kept_values(
    questionnaire: Questionnaire, values: dict[str, Any], *, agency: AgencyFacts
) -> dict[str, Any]:
    """Only the answers to questions the person was asked."""
    return {
        q.id: value
        for _section, rows in answers_in_order(questionnaire, values, agency=agency)
        for q, value in rows
        if value is not None
    }


class SubmissionLimiter:
    """At most `limit` submissions a window from one client address, counted in memory. An
    address is forgotten as soon as its window ends: nothing keeps it longer."""

    def __init__(self, *, limit: int = 10, window_seconds: float = 60.0) -> None:
        self.limit = limit
        self.window = window_seconds
        self._seen: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._forget_before(now - self.window)
            started, count = self._seen.get(address, (now, 0))
            if count >= self.limit:
                return False
            self._seen[address] = (started, count + 1)
            return True

    def _forget_before(self, moment: float) -> None:
        for address in [a for a, (started, _) in self._seen.items() if started <= moment]:
            del self._seen[address]

    def addresses_kept(self, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._forget_before(now - self.window)
            return len(self._seen)
