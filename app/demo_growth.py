"""Growing the demo round to a realistic size for benchmarks and query-count tests: answers of
every type, panel scores, agreed ratings, recommendations, actions, last year and a survey.
Never touches the demo's own named agencies' returns; only adds rows, in bulk statements."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from app.actions.models import (
    Action,
    ActionPlan,
    ActionSource,
    ActionStatus,
    ActionUpdate,
    PlanStatus,
    Recommendation,
)
from app.cycle_models import Cycle
from app.demo import DEMO_SURVEY_RESPONSES, DEMO_SURVEY_TEXT, grow_round
from app.directory.models import Agency, Membership, Partnership, Role
from app.exports.gather import Plan, plans_of
from app.panels.models import AgreedRating, Feedback, PanelScore, ScoreSheet
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.rendering import levels_for
from app.questionnaires.rules import is_shown
from app.questionnaires.schema import Questionnaire, TableQuestion
from app.returns.models import AgencyReturn, Answer, ReturnStatus
from app.surveys.models import Survey, SurveyAnswer, SurveyResponse

GROWN = "Grown School %"
# Sentences a safeguarding lead writes; narratives join several, as real returns run to
# several paragraphs (a few hundred to two thousand characters).
SENTENCES = (
    "Our designated safeguarding lead reviews every concern within one working day.",
    "Supervision is monthly for all staff who work directly with children and families.",
    "We audited twenty case files this year and found the child's voice recorded in most.",
    "Training records show that nine in ten staff completed level two training on time.",
    "Information is shared with partners through the multi-agency safeguarding hub.",
    "Managers check that referrals are followed up and that outcomes are recorded.",
    "The board receives a quarterly report on safeguarding activity and learning.",
    "We have strengthened our response to neglect using the graded care profile.",
    "Staff told us in the survey that they know whom to contact with a worry.",
    "Exploitation screening is now used at every first contact with a young person.",
    "Learning from local practice reviews is shared in team meetings and briefings.",
    "Our safer recruitment checks are audited each term by the human resources team.",
    "Where practice fell short we set out actions, owners and dates in the plan.",
    "Further work is needed to hear from children with additional needs.",
)
WORRIES = (
    "Supervision records do not show how decisions about children were reached.",
    "Training take-up among part-time staff is lower than among full-time staff.",
    "The child's lived experience is not consistently recorded in case notes.",
    "Escalation routes are not understood by all frontline staff.",
)
THEMES_FALLBACK = ("Professional curiosity", "Information sharing")
AGENCY_FRACTION_WITH_PLAN = 1  # every return agreed at panel has recommendations


@dataclass(frozen=True)
class Grown:
    """What one growth added, for the command's message and the tests."""

    returns: int = 0
    answers: int = 0
    agreed: int = 0
    scores: int = 0
    recommendations: int = 0
    actions: int = 0
    last_year: int = 0
    responses: int = 0


def narrative(rng: random.Random, limit: int) -> str:
    """A few sentences to a couple of thousand characters, within the question's limit."""
    wanted = min(limit, rng.choice((300, 600, 900, 1400, 2000)))
    text = ""
    while len(text) < wanted:
        text += (" " if text else "") + rng.choice(SENTENCES)
    return text[:limit]


def _rating(rng: random.Random, values: list[int]) -> int:
    """Ratings spread over the whole scale, the middle more often than the ends."""
    weights = [1 + min(i, len(values) - 1 - i) * 2 for i in range(len(values))]
    return rng.choices(values, weights=weights)[0]


def _cell(rng: random.Random, column: Any) -> object:
    kind = str(column.type)
    if kind == "number":
        return str(rng.randint(1, 120))
    if kind == "date":
        return (date(2021, 1, 1) + timedelta(days=rng.randint(0, 300))).isoformat()
    if kind == "yes_no":
        return rng.choice(("yes", "no"))
    if column.options:
        return rng.choice(column.options).value
    return rng.choice(SENTENCES)[:60]


def answer_value(rng: random.Random, question: Any, questionnaire: Questionnaire) -> object:
    """A plausible answer of the question's type; None for evidence (no files are grown)."""
    kind = getattr(question, "type", "")
    if kind == "rating":
        levels = [lv.value for lv in levels_for(questionnaire, question) if lv.scored]
        return _rating(rng, levels) if levels else None
    if kind == "yes_no":
        return "yes" if rng.random() < 0.75 else "no"
    if kind == "single_choice":
        return rng.choice(question.options).value
    if kind == "multiple_choice":
        return [o.value for o in rng.sample(question.options, min(len(question.options), 2))]
    if kind == "number":
        low = int(question.min or 0)
        return rng.randint(low, int(question.max) if question.max is not None else low + 200)
    if kind == "date":
        return (date(2021, 1, 1) + timedelta(days=rng.randint(0, 300))).isoformat()
    if isinstance(question, TableQuestion):
        return [
            {column.id: _cell(rng, column) for column in question.columns}
            for _ in range(rng.randint(3, 6))
        ]
    if kind == "long_text":
        return narrative(rng, question.max_length)
    if kind == "text":
        return rng.choice(SENTENCES)[: question.max_length]
    return None


def answers_for(
    rng: random.Random, questionnaire: Questionnaire, agency: Any, *, sections: int | None
) -> dict[str, object]:
    """Every question shown to the agency answered, in the first `sections` sections."""
    values: dict[str, object] = {}
    for section in questionnaire.sections[:sections]:
        for question in section.questions:
            value = answer_value(rng, question, questionnaire)
            if value is not None:
                values[question.id] = value
    # A follow-up question hidden by an earlier answer keeps no answer, as on the page.
    return {
        qid: value
        for qid, value in values.items()
        if is_shown(questionnaire.question(qid), agency=agency, values=values)  # type: ignore[arg-type]
    }


def grow_real_round(
    session: Session,
    *,
    returns: int,
    responses: int = 0,
    cycle_slug: str = "s11-2021",
    partnership_slug: str = "norfolk",
) -> Grown:
    """The demo round grown to `returns` returns filled as real ones are, and its survey to
    `responses` responses. Additive: returns already filled are left alone, so running it
    again with the same numbers adds nothing."""
    added = grow_round(
        session, returns=returns, cycle_slug=cycle_slug, partnership_slug=partnership_slug
    )
    cycle = session.scalars(select(Cycle).where(Cycle.slug == cycle_slug)).one()
    partnership = session.scalars(
        select(Partnership).where(Partnership.slug == partnership_slug)
    ).one()
    rows = _unfilled(session, cycle)
    plans = plans_of(session, {cycle.questionnaire_version_id})
    plan = plans[cycle.questionnaire_version_id]
    answers = _fill(session, plan.questionnaire, rows)
    panel = _panel_people(session, partnership)
    at_panel = [r for r in rows if r[2] in (ReturnStatus.SUBMITTED, ReturnStatus.AT_PANEL)]
    scores, agreed = _score_and_agree(session, plan, at_panel, panel)
    agreed_returns = [r for r in at_panel if r[2] is ReturnStatus.AT_PANEL]
    recommended, actions = _recommend_and_act(session, cycle, plan, agreed_returns, panel)
    last_year = _last_year(session, cycle, [r[1] for r in agreed_returns], panel)
    survey_added = _survey(session, cycle, responses) if responses else 0
    session.flush()
    return Grown(added, answers, agreed, scores, recommended, actions, last_year, survey_added)


def _unfilled(session: Session, cycle: Cycle) -> list[tuple[int, Agency, ReturnStatus]]:
    """Grown returns started but holding at most grow_round's one placeholder answer."""
    answered = (
        select(Answer.return_id, func.count().label("n")).group_by(Answer.return_id).subquery()
    )
    found = session.execute(
        select(AgencyReturn.id, Agency, AgencyReturn.status)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .outerjoin(answered, answered.c.return_id == AgencyReturn.id)
        .where(
            AgencyReturn.cycle_id == cycle.id,
            Agency.name.like(GROWN),
            AgencyReturn.status != ReturnStatus.NOT_STARTED,
            func.coalesce(answered.c.n, 0) <= 1,
        )
        .order_by(AgencyReturn.id)
    ).all()
    return [tuple(row) for row in found]  # type: ignore[misc]


def _fill(session: Session, questionnaire: Questionnaire, rows: list) -> int:
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    session.execute(Answer.__table__.delete().where(Answer.return_id.in_(ids)))
    batch: list[dict[str, Any]] = []
    total = 0
    for return_id, agency, status in rows:
        rng = random.Random(return_id)
        sections = None if status is not ReturnStatus.IN_PROGRESS else 2
        for question_id, value in answers_for(
            rng, questionnaire, agency, sections=sections
        ).items():
            batch.append({"return_id": return_id, "question_id": question_id, "value": value})
        if len(batch) > 5000:
            session.execute(insert(Answer), batch)
            total += len(batch)
            batch = []
    if batch:
        session.execute(insert(Answer), batch)
        total += len(batch)
    return total


def _panel_people(session: Session, partnership: Partnership) -> list[int]:
    """The partnership's panel members and chair: the people who score and agree."""
    return list(
        session.scalars(
            select(Membership.person_id)
            .where(
                Membership.partnership_id == partnership.id,
                Membership.role.in_([Role.PANEL_MEMBER, Role.CHAIR]),
            )
            .order_by(Membership.person_id)
            .distinct()
        )
    )


def _scored(rng: random.Random, plan: Plan, key: str) -> int:
    return _rating(rng, [lv.value for lv in plan.levels[key] if lv.scored])


def _score_and_agree(session: Session, plan: Plan, rows: list, panel: list[int]) -> tuple[int, int]:
    """Three members' submitted scores on every item; the chair's agreed ratings for the
    returns at panel (a submitted one waits for its meeting)."""
    keys = plan.scored_keys()
    scores, sheets, agreed = [], [], []
    members = panel[:3]
    for return_id, _agency, status in rows:
        rng = random.Random(return_id * 7)
        for person_id in members:
            sheets.append({"return_id": return_id, "person_id": person_id})
            for key in keys:
                scores.append(
                    {
                        "return_id": return_id,
                        "person_id": person_id,
                        "item": key,
                        "rating": _scored(rng, plan, key),
                        "strengths": rng.choice(SENTENCES),
                        "worries": rng.choice(WORRIES),
                    }
                )
        if status is ReturnStatus.AT_PANEL:
            agreed += [
                {"return_id": return_id, "item": key, "rating": _scored(rng, plan, key)}
                | {"notes": rng.choice(SENTENCES)}
                for key in keys
            ]
    for table, batch in ((ScoreSheet, sheets), (PanelScore, scores), (AgreedRating, agreed)):
        for start in range(0, len(batch), 5000):
            session.execute(insert(table), batch[start : start + 5000])
    return len(scores), len(agreed)


def _recommend_and_act(
    session: Session, cycle: Cycle, plan: Plan, rows: list, panel: list[int]
) -> tuple[int, int]:
    """Several recommendations for each return agreed at panel, its feedback issued and its
    plan agreed, each recommendation with an action, most with progress reported since."""
    chosen = [r for n, r in enumerate(rows) if n % AGENCY_FRACTION_WITH_PLAN == 0]
    if not chosen:
        return 0, 0
    themes = list(cycle.themes) or list(THEMES_FALLBACK)
    priorities = list(cycle.priorities) or ["Neglect"]
    keys = plan.scored_keys()
    agreed_at = datetime.combine(cycle.deadline_on, time(12), tzinfo=UTC)
    plan_ids = session.scalars(
        insert(ActionPlan).returning(ActionPlan.id, sort_by_parameter_order=True),
        [{"return_id": r[0], "status": PlanStatus.AGREED, "agreed_at": agreed_at} for r in chosen],
    ).all()
    # Feedback issued and the plan agreed: only then is a return's plan in the partnership's
    # Composite Action Plan.
    chosen_ids = [r[0] for r in chosen]
    session.execute(
        update(AgencyReturn)
        .where(AgencyReturn.id.in_(chosen_ids))
        .values(status=ReturnStatus.ACTION_PLAN_AGREED)
    )
    session.execute(
        insert(Feedback),
        [
            {"return_id": r, "strengths": SENTENCES[r % len(SENTENCES)], "issued_at": agreed_at}
            for r in chosen_ids
        ],
    )
    drafts, owners = [], []
    for (return_id, agency, _status), plan_id in zip(chosen, plan_ids, strict=True):
        rng = random.Random(return_id * 11)
        for _ in range(rng.randint(4, 6)):
            drafts.append(
                {
                    "return_id": return_id,
                    "item": rng.choice(keys) if keys else None,
                    "worry_statement": rng.choice(WORRIES),
                    "safety_goal": rng.choice(SENTENCES),
                    "next_steps": narrative(rng, 600),
                    "priority": rng.choice(priorities),
                    "theme": rng.choice(themes),
                    "created_by_id": panel[0] if panel else None,
                }
            )
            owners.append((plan_id, agency.name, rng))
    recommendation_ids = session.scalars(
        insert(Recommendation).returning(Recommendation.id, sort_by_parameter_order=True), drafts
    ).all()
    statuses = list(ActionStatus)
    action_rows = []
    for n, (recommendation_id, (plan_id, agency_name, rng)) in enumerate(
        zip(recommendation_ids, owners, strict=True)
    ):
        action_rows.append(
            {
                "cycle_id": cycle.id,
                "plan_id": plan_id,
                "recommendation_id": recommendation_id,
                "source": ActionSource.SECTION_11,
                "description": narrative(rng, 400),
                "owner": f"Safeguarding lead, {agency_name}",
                # Some already past their date, so the attention list has work in it.
                "due_on": cycle.deadline_on + timedelta(days=rng.randint(-60, 300)),
                "success_measure": rng.choice(SENTENCES),
                "status": statuses[n % len(statuses)],  # each status in turn
                "created_at": agreed_at,
            }
        )
    action_ids = session.scalars(
        insert(Action).returning(Action.id, sort_by_parameter_order=True), action_rows
    ).all()
    # Each action's history starts when its plan was agreed (the plan's counts at past dates
    # read it), then a later update for those whose owner has reported progress.
    updates = [
        {"action_id": action_id, "status": ActionStatus.NOT_STARTED}
        | {"note": "", "made_at": agreed_at}
        for action_id in action_ids
    ] + [
        {
            "action_id": action_id,
            "status": row["status"],
            "note": SENTENCES[action_id % len(SENTENCES)],
            "made_at": agreed_at + timedelta(days=30 + action_id % 90),
        }
        for action_id, row in zip(action_ids, action_rows, strict=True)
        if row["status"] != ActionStatus.NOT_STARTED
    ]
    for start in range(0, len(updates), 5000):
        session.execute(insert(ActionUpdate), updates[start : start + 5000])
    return len(recommendation_ids), len(action_ids)


def _last_year(session: Session, cycle: Cycle, agencies: list[Agency], panel: list[int]) -> int:
    """Last year's closed return, with agreed ratings, for each agency agreed this year: what
    the change by agency compares with."""
    previous = session.scalar(
        select(Cycle)
        .where(Cycle.deadline_on < cycle.deadline_on, Cycle.slug != cycle.slug)
        .order_by(Cycle.deadline_on.desc())
        .limit(1)
    )
    if previous is None or not agencies:
        return 0
    have = set(
        session.scalars(select(AgencyReturn.agency_id).where(AgencyReturn.cycle_id == previous.id))
    )
    agencies = [a for a in agencies if a.id not in have]
    if not agencies:
        return 0
    closed = datetime.combine(previous.deadline_on, time(12), tzinfo=UTC)
    return_ids = session.scalars(
        insert(AgencyReturn).returning(AgencyReturn.id, sort_by_parameter_order=True),
        [
            {
                "cycle_id": previous.id,
                "agency_id": agency.id,
                "questionnaire_version_id": previous.questionnaire_version_id,
                "status": ReturnStatus.CLOSED,
                "submitted_at": closed,
            }
            for agency in agencies
        ],
    ).all()
    plan = plans_of(session, {previous.questionnaire_version_id})[previous.questionnaire_version_id]
    agreed = [
        {
            "return_id": return_id,
            "item": key,
            "rating": _scored(random.Random(return_id), plan, key),
        }
        for return_id in return_ids
        for key in plan.scored_keys()
    ]
    for start in range(0, len(agreed), 5000):
        session.execute(insert(AgreedRating), agreed[start : start + 5000])
    return len(return_ids)


def _survey(session: Session, cycle: Cycle, responses: int) -> int:
    """Survey responses up to `responses`, most from the demo's surveyed agencies."""
    survey = session.scalar(select(Survey).where(Survey.cycle_id == cycle.id))
    if survey is None:
        return 0
    have = (
        session.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.survey_id == survey.id)
        )
        or 0
    )
    wanted = responses - have
    if wanted <= 0:
        return 0
    names = list(DEMO_SURVEY_RESPONSES)
    agency_ids = dict(
        session.execute(select(Agency.name, Agency.id).where(Agency.name.in_(names))).all()
    )
    version = session.get(QuestionnaireVersion, survey.questionnaire_version_id)
    questionnaire = questionnaire_service.snapshot(version)
    free_text = {
        q.id
        for _s, q in questionnaire.questions()
        if getattr(q, "type", "") in ("text", "long_text")
    }
    response_ids = session.scalars(
        insert(SurveyResponse).returning(SurveyResponse.id, sort_by_parameter_order=True),
        [
            {
                "survey_id": survey.id,
                "agency_id": agency_ids[names[n % len(names)]],
                "submitted_on": cycle.opens_on + timedelta(days=n % 30),
            }
            for n in range(wanted)
        ],
    ).all()
    batch: list[dict[str, Any]] = []
    for response_id in response_ids:
        rng = random.Random(response_id)
        for _section, question in questionnaire.questions():
            if question.id in free_text:
                if rng.random() < 0.3:
                    batch.append(
                        {
                            "response_id": response_id,
                            "question_id": question.id,
                            "text": rng.choice(DEMO_SURVEY_TEXT),
                        }
                    )
                continue
            value = answer_value(rng, question, questionnaire)
            for one in value if isinstance(value, list) else [value]:
                if one is not None:
                    batch.append(
                        {"response_id": response_id, "question_id": question.id}
                        | {"choice": str(one)}
                    )
        if len(batch) > 5000:
            session.execute(insert(SurveyAnswer), batch)
            batch = []
    if batch:
        session.execute(insert(SurveyAnswer), batch)
    return len(response_ids)
