"""The survey's results: each question's distribution overall, by sector and by agency, counted
in SQL (the statements do not grow with responses). Never a figure for a group below k."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.directory.models import Agency, AgencySector
from app.questionnaires.rendering import levels_for
from app.questionnaires.schema import QuestionBase, Questionnaire
from app.surveys.models import Survey, SurveyAnswer, SurveyLink, SurveyResponse

FEWER_THAN = "fewer than {k} responses"
# Free-text answers listed per question and group before "and N more": at 5,000 responses the
# full list made the page slow to send and to read.
FREE_TEXT_SHOWN = 200
# The question asking the respondent's staff role: its answer splits each agency's figures.
ROLE_QUESTION = "practitioner-role"
NO_ROLE = "Role not given"
CHOICE_TYPES = ("rating", "yes_no", "single_choice", "multiple_choice")


def choices_of(questionnaire: Questionnaire, q: QuestionBase) -> list[tuple[str, str]]:
    """A question's answers as (stored value, label), in the questionnaire's order."""
    kind = getattr(q, "type", "")
    if kind == "rating":
        return [(str(level.value), level.label) for level in levels_for(questionnaire, q)]
    if kind == "yes_no":
        return [("yes", "Yes"), ("no", "No")]
    if kind in ("single_choice", "multiple_choice"):
        return [(o.value, o.label) for o in q.options]  # type: ignore[attr-defined]
    return []


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class Distribution:
    """One group's answers to one question, or None bars when the group is below k."""

    group: str
    respondents: int
    bars: list[Bar] | None

    @property
    def answered(self) -> int:
        return sum(bar.count for bar in self.bars or [])


@dataclass
class QuestionResults:
    question: QuestionBase
    overall: Distribution
    by_sector: list[Distribution] = field(default_factory=list)
    by_agency: list[Distribution] = field(default_factory=list)
    by_role: list[Distribution] = field(default_factory=list)


@dataclass(frozen=True)
class AgencyCount:
    agency: Agency
    responses: int
    staff_number: int | None

    @property
    def rate(self) -> int | None:
        if not self.staff_number:
            return None
        return round(100 * self.responses / self.staff_number)


@dataclass
class Results:
    k: int
    total: int
    questions: list[QuestionResults]
    agencies: list[AgencyCount]
    sectors: list[tuple[AgencySector, int, int | None]]  # sector, responses, staff given


def counted(session: Session, *, survey: Survey) -> dict[tuple[int, str, str], int]:
    """(agency, question, choice) → how many answered so: one statement, whatever the count."""
    rows = session.execute(
        select(
            SurveyResponse.agency_id, SurveyAnswer.question_id, SurveyAnswer.choice, func.count()
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.choice.is_not(None))
        .group_by(SurveyResponse.agency_id, SurveyAnswer.question_id, SurveyAnswer.choice)
    )
    return {(a, q, c): n for a, q, c, n in rows}


def counted_by_role(
    session: Session, *, survey: Survey, agency_ids: set[int] | None = None
) -> dict[tuple[int, str, str, str], int]:
    """(agency, role, question, choice) → how many answered so, the role being the respondent's
    own answer to ROLE_QUESTION (NO_ROLE when they gave none): one statement, over the given
    agencies only if given."""
    role = aliased(SurveyAnswer)
    query = (
        select(
            SurveyResponse.agency_id,
            role.choice,
            SurveyAnswer.question_id,
            SurveyAnswer.choice,
            func.count(),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .outerjoin(
            role, (role.response_id == SurveyResponse.id) & (role.question_id == ROLE_QUESTION)
        )
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.choice.is_not(None))
        .group_by(
            SurveyResponse.agency_id, role.choice, SurveyAnswer.question_id, SurveyAnswer.choice
        )
    )
    if agency_ids is not None:
        query = query.where(SurveyResponse.agency_id.in_(sorted(agency_ids)))
    rows = session.execute(query)
    return {(a, r or NO_ROLE, q, c): n for a, r, q, c, n in rows}


def _role_groups(
    agencies: list[AgencyCount], roles: list[tuple[str, str]], by_role: dict, k: int
) -> dict[int, tuple[bool, list[tuple[str, str, int]]]]:
    """Each agency's role groups as (shown, [(role value, label, respondents)]).

    An agency's role rows show only when every role group it has (including those who gave no
    role) reaches k: the agency's own total is shown beside them, so one small group hidden among
    shown ones could be worked out by subtraction. Agencies below k show no role figures."""
    groups = {}
    for row in agencies:
        people = {
            value: by_role.get((row.agency.id, value, ROLE_QUESTION, value), 0)
            for value, _ in roles
        }
        found = [(value, label, people[value]) for value, label in roles if people[value]]
        no_role = row.responses - sum(people.values())
        if no_role > 0:
            found.append((NO_ROLE, NO_ROLE, no_role))
        shown = row.responses >= k and all(n >= k for _, _, n in found)
        groups[row.agency.id] = (shown, found)
    return groups


def _role_rows(
    agencies: list[AgencyCount],
    groups: dict[int, tuple[bool, list[tuple[str, str, int]]]],
    by_role: dict,
    question_id: str,
    choices: list[tuple[str, str]],
    k: int,
) -> list[Distribution]:
    rows = []
    for row in agencies:
        shown, found = groups[row.agency.id]
        if not found:
            rows.append(Distribution(f"{row.agency.name}: all roles", 0, None))
        for value, label, people in found:
            group = f"{row.agency.name}: {label}"
            if not shown:
                rows.append(Distribution(group, 0, None))
                continue
            counts = {c: by_role.get((row.agency.id, value, question_id, c), 0) for c, _ in choices}
            rows.append(_distribution(group, people, k, choices, counts))
    return rows


def respondents(session: Session, *, survey: Survey) -> dict[int, int]:
    rows = session.execute(
        select(SurveyResponse.agency_id, func.count())
        .where(SurveyResponse.survey_id == survey.id)
        .group_by(SurveyResponse.agency_id)
    )
    return {agency_id: n for agency_id, n in rows}


def _distribution(
    group: str, people: int, k: int, choices: list[tuple[str, str]], counts: dict[str, int]
) -> Distribution:
    if people < k:
        return Distribution(group, people, None)
    answered = sum(counts.get(value, 0) for value, _ in choices) or 1
    return Distribution(
        group,
        people,
        [
            Bar(label, counts.get(value, 0), round(100 * counts.get(value, 0) / answered))
            for value, label in choices
        ],
    )


def results_of(
    session: Session,
    *,
    survey: Survey,
    questionnaire: Questionnaire,
    k: int,
    agency_ids: set[int],
    roles_of: set[int] | None = None,
) -> Results:
    """Every choice question's results over these agencies (the reader partnership's own),
    by staff role for the agencies in `roles_of` (None: all, as the workbook has them); free
    text is for `free_text_of`, coordinators only."""
    counts = {key: n for key, n in counted(session, survey=survey).items() if key[0] in agency_ids}
    people = {a: n for a, n in respondents(session, survey=survey).items() if a in agency_ids}
    links = session.execute(
        select(SurveyLink.agency_id, SurveyLink.staff_number, Agency)
        .join(Agency, Agency.id == SurveyLink.agency_id)
        .where(SurveyLink.survey_id == survey.id, SurveyLink.replaced_at.is_(None))
        .order_by(Agency.name)
    ).all()
    agencies = [
        AgencyCount(agency, people.get(agency.id, 0), staff)
        for _, staff, agency in links
        if agency.id in agency_ids
    ]
    sector_of = {row.agency.id: row.agency.sector for row in agencies}
    sector_people: dict[AgencySector, int] = defaultdict(int)
    sector_staff: dict[AgencySector, int] = defaultdict(int)
    for row in agencies:
        sector_people[row.agency.sector] += row.responses
        sector_staff[row.agency.sector] += row.staff_number or 0
    total = sum(people.values())
    # The role figures are the costliest count (a self-join of every answer): only for the
    # agencies whose role rows are shown.
    wanted = None if roles_of is None else agency_ids & roles_of
    by_role = (
        {
            key: n
            for key, n in counted_by_role(session, survey=survey, agency_ids=wanted).items()
            if key[0] in agency_ids
        }
        if wanted is None or wanted
        else {}
    )
    role_q = next(
        (q for sec in questionnaire.sections for q in sec.questions if q.id == ROLE_QUESTION), None
    )
    roles = choices_of(questionnaire, role_q) if role_q is not None else []
    role_rows = [row for row in agencies if roles_of is None or row.agency.id in roles_of]
    groups = _role_groups(role_rows, roles, by_role, k) if roles else {}
    questions = []
    for section in questionnaire.sections:
        for q in section.questions:
            choices = choices_of(questionnaire, q)
            if not choices:
                continue
            overall: dict[str, int] = defaultdict(int)
            by_sector: dict[AgencySector, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            by_agency: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for (agency_id, question_id, choice), n in counts.items():
                if question_id != q.id:
                    continue
                overall[choice] += n
                by_agency[agency_id][choice] += n
                if agency_id in sector_of:
                    by_sector[sector_of[agency_id]][choice] += n
            questions.append(
                QuestionResults(
                    q,
                    _distribution("All agencies", total, k, choices, overall),
                    [
                        _distribution(s.label, sector_people[s], k, choices, by_sector[s])
                        for s in sorted(sector_people, key=lambda s: s.label)
                    ],
                    [
                        _distribution(
                            row.agency.name, row.responses, k, choices, by_agency[row.agency.id]
                        )
                        for row in agencies
                    ],
                    _role_rows(role_rows, groups, by_role, q.id, choices, k) if roles else [],
                )
            )
    sectors = [
        (s, sector_people[s], sector_staff[s] or None)
        for s in sorted(sector_people, key=lambda s: s.label)
    ]
    return Results(k, total, questions, agencies, sectors)


@dataclass(frozen=True)
class FreeText:
    """Free-text answers to one question from one group (an agency at or above k, or all the
    smaller agencies pooled when together they reach k)."""

    question: QuestionBase
    group: str
    answers: list[str]
    more: int = 0  # answers left out of the page (the oldest), listed with ?all=1


def free_text_of(
    session: Session,
    *,
    survey: Survey,
    questionnaire: Questionnaire,
    k: int,
    agency_ids: set[int],
    limit: int | None = None,
) -> list[FreeText]:
    """Coordinators only: what people wrote, grouped by agency only where it has k or more."""
    people = {a: n for a, n in respondents(session, survey=survey).items() if a in agency_ids}
    names = dict(session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(people))).all())
    rows = session.execute(
        select(SurveyResponse.agency_id, SurveyAnswer.question_id, SurveyAnswer.text)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.text.is_not(None))
        .order_by(SurveyAnswer.id)
    )
    grouped: dict[tuple[str, Any], list[str]] = defaultdict(list)
    small_people = sum(n for n in people.values() if n < k)
    for agency_id, question_id, text in rows:
        if agency_id not in people:
            continue
        if people.get(agency_id, 0) >= k:
            grouped[(question_id, names.get(agency_id, ""))].append(text)
        elif small_people >= k:
            grouped[(question_id, None)].append(text)
    found = []
    for section in questionnaire.sections:
        for q in section.questions:
            for (question_id, group), answers in grouped.items():
                if question_id == q.id:
                    label = group or f"Agencies with fewer than {k} responses each, together"
                    if limit is not None and len(answers) > limit:
                        found.append(FreeText(q, label, answers[-limit:], len(answers) - limit))
                    else:
                        found.append(FreeText(q, label, answers))
    return found
