"""Triangulation: each agency's self-rating of a standard beside what its staff say about it.

A survey question's `maps_to` names the return's standards it tests. Staff agree when they chose
a green or blue level (Agree, Strongly agree) or "yes"; "Don't know" and unscored levels are not
counted. The divergence rule: a green or blue self-rating meeting less agreement than the
survey's `green_below` per cent, or an amber one less than `amber_below`, is flagged, and only
where the agency has at least k responses. Never a figure for fewer than k.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.cycle_models import Cycle
from app.cycles.progress import SUBMITTED
from app.directory.models import Agency
from app.panels.models import AgreedRating
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.rendering import levels_for
from app.questionnaires.schema import Level, LevelColour, QuestionBase, Questionnaire
from app.returns.models import AgencyReturn, Answer
from app.surveys import results as survey_results
from app.surveys.models import Survey
from app.surveys.service import questionnaire_of, threshold_of

HIGH = (LevelColour.GREEN, LevelColour.BLUE)


def agreeing_choices(questionnaire: Questionnaire, q: QuestionBase) -> tuple[set[str], set[str]]:
    """(choices that agree, choices that count) for a question; both empty: not counted."""
    kind = getattr(q, "type", "")
    if kind == "rating":
        levels = [lv for lv in levels_for(questionnaire, q) if lv.scored]
        return {str(lv.value) for lv in levels if lv.colour in HIGH}, {
            str(lv.value) for lv in levels
        }
    if kind == "yes_no":
        return {"yes"}, {"yes", "no"}
    if kind == "single_choice":
        options = {o.value for o in q.options}  # type: ignore[attr-defined]
        if "yes" in options:
            return {"yes"}, options
    return set(), set()


@dataclass(frozen=True)
class Standard:
    """One mapped standard of one agency's return, beside its staff's agreement."""

    agency: Agency
    return_id: int
    key: str  # the panel's item key: question:<id> or section:<id>
    title: str
    self_rating: Level | None
    agreed: Level | None
    agreeing: int
    counted: int
    respondents: int
    k: int
    flagged: bool

    @property
    def shown(self) -> bool:
        return self.respondents >= self.k and self.counted > 0

    @property
    def percent(self) -> int | None:
        return round(100 * self.agreeing / self.counted) if self.shown else None

    @property
    def gap(self) -> int:
        """How far the self-rating sits above staff agreement, in points (for ordering)."""
        if self.percent is None or self.self_rating is None:
            return -1
        expected = {LevelColour.BLUE: 100, LevelColour.GREEN: 85, LevelColour.AMBER: 50}
        return expected.get(self.self_rating.colour, 0) - self.percent


def _targets(
    survey_questionnaire: Questionnaire, return_questionnaire: Questionnaire
) -> dict[str, tuple[str, str, list[Level]]]:
    """item key → (title, question id or '', levels) for each standard the survey maps to."""
    questions = {q.id: q for section in return_questionnaire.sections for q in section.questions}
    sections = {section.id: section for section in return_questionnaire.sections}
    found: dict[str, tuple[str, str, list[Level]]] = {}
    for section in survey_questionnaire.sections:
        for q in section.questions:
            for target in q.maps_to or []:
                qid, _, standard = target.partition("/")
                if qid != return_questionnaire.id:
                    continue
                if standard in questions:
                    mapped = questions[standard]
                    found[f"question:{standard}"] = (
                        mapped.label,
                        standard,
                        levels_for(return_questionnaire, mapped),
                    )
                elif standard in sections:
                    scale = return_questionnaire.scales.get(sections[standard].scale or "")
                    found[f"section:{standard}"] = (
                        sections[standard].title,
                        "",
                        scale.all_levels() if scale else [],
                    )
    return found


def _mapped_questions(
    survey_questionnaire: Questionnaire, return_qid: str, key: str
) -> list[QuestionBase]:
    standard = key.partition(":")[2]
    return [
        q
        for section in survey_questionnaire.sections
        for q in section.questions
        if f"{return_qid}/{standard}" in (q.maps_to or [])
    ]


def triangulate(
    session: Session,
    *,
    survey: Survey,
    k: int,
    agency_ids: set[int] | Select | None = None,
    shown_only: bool = False,
) -> list[Standard]:
    """Every mapped standard of every (or the given) agency's return, in a fixed number of
    statements whatever the number of responses or returns; `shown_only`: only agencies with
    k or more responses, whose figures can be shown."""
    survey_questionnaire = questionnaire_of(session, survey)
    counts = survey_results.counted(session, survey=survey)
    people = survey_results.respondents(session, survey=survey)
    query = (
        select(AgencyReturn, Agency, QuestionnaireVersion)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .join(
            QuestionnaireVersion, QuestionnaireVersion.id == AgencyReturn.questionnaire_version_id
        )
        .where(
            AgencyReturn.cycle_id == survey.cycle_id,
            # A draft is its own agency's business: only submitted returns are compared.
            AgencyReturn.status.in_(sorted(SUBMITTED)),
        )
        .order_by(Agency.name)
    )
    if agency_ids is not None:
        query = query.where(AgencyReturn.agency_id.in_(agency_ids))
    if shown_only:
        # A round of thousands of returns has responses from a few dozen agencies: the rest
        # would be read only to be hidden.
        query = query.where(AgencyReturn.agency_id.in_([a for a, n in people.items() if n >= k]))
    returns = session.execute(query).all()
    return_ids = [r.id for r, _, _ in returns]
    targets: dict[int, dict[str, tuple[str, str, list[Level]]]] = {}
    for _r, _a, version in returns:
        if version.id not in targets:
            targets[version.id] = _targets(
                survey_questionnaire, questionnaire_service.snapshot(version)
            )
    # Only the self-ratings the survey is compared with, not every narrative of the round.
    wanted = sorted({qid for found in targets.values() for _t, qid, _l in found.values() if qid})
    self_values = {
        (return_id, question_id): value
        for return_id, question_id, value in session.execute(
            select(Answer.return_id, Answer.question_id, Answer.value).where(
                Answer.return_id.in_(return_ids), Answer.question_id.in_(wanted)
            )
        )
    }
    agreed = {
        (return_id, item): rating
        for return_id, item, rating in session.execute(
            select(AgreedRating.return_id, AgreedRating.item, AgreedRating.rating).where(
                AgreedRating.return_id.in_(return_ids)
            )
        )
    }
    standards = []
    for agency_return, agency, version in returns:
        return_questionnaire = questionnaire_service.snapshot(version)
        for key, (title, question_id, levels) in targets[version.id].items():
            agreeing = counted = 0
            for q in _mapped_questions(survey_questionnaire, return_questionnaire.id, key):
                agree, count = agreeing_choices(survey_questionnaire, q)
                for choice in count:
                    n = counts.get((agency.id, q.id, choice), 0)
                    counted += n
                    agreeing += n if choice in agree else 0
            own = self_values.get((agency_return.id, question_id)) if question_id else None
            by_value = {level.value: level for level in levels}
            self_level = by_value.get(own) if isinstance(own, int) else None
            respondents = people.get(agency.id, 0)
            percent = round(100 * agreeing / counted) if counted else None
            flagged = (
                respondents >= k
                and percent is not None
                and self_level is not None
                and (
                    (self_level.colour in HIGH and percent < survey.green_below)
                    or (self_level.colour == LevelColour.AMBER and percent < survey.amber_below)
                )
            )
            standards.append(
                Standard(
                    agency,
                    agency_return.id,
                    key,
                    title,
                    self_level,
                    by_value.get(agreed.get((agency_return.id, key))),  # type: ignore[arg-type]
                    agreeing,
                    counted,
                    respondents,
                    k,
                    flagged,
                )
            )
    return standards


def round_triangulation(
    session: Session, *, survey: Survey, k: int, agency_ids: set[int] | Select
) -> list[Standard]:
    """The chair's view: the standards shown (k or more responses), widest gaps first."""
    found = triangulate(session, survey=survey, k=k, agency_ids=agency_ids, shown_only=True)
    shown = [s for s in found if s.shown]
    return sorted(shown, key=lambda s: (-s.flagged, -s.gap, s.agency.name, s.title))


def for_return(session: Session, *, cycle: Cycle, agency_id: int) -> dict[str, Standard]:
    """A return's mapped standards by item key, for its panel's pre-reading and moderation."""
    survey = session.scalar(select(Survey).where(Survey.cycle_id == cycle.id))
    if survey is None:
        return {}
    k = threshold_of(session, cycle=cycle)
    return {s.key: s for s in triangulate(session, survey=survey, k=k, agency_ids={agency_id})}


def by_agency(standards: list[Standard]) -> dict[int, list[Standard]]:
    grouped: dict[int, list[Standard]] = defaultdict(list)
    for standard in standards:
        grouped[standard.agency.id].append(standard)
    return grouped
