"""`s11 demo --returns N --responses N`: a round grown with data as real returns hold it."""

from __future__ import annotations

from sqlalchemy import func, select

from app.actions.models import Action, ActionPlan, ActionUpdate, PlanStatus, Recommendation
from app.cycle_models import Cycle
from app.demo import load_demo
from app.demo_growth import grow_real_round
from app.directory.models import Agency
from app.panels.models import AgreedRating, Feedback, PanelScore, ScoreSheet
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.returns.models import AgencyReturn, Answer, ReturnStatus
from app.surveys.models import Survey, SurveyResponse


def _grown_returns(db, slug: str):  # type: ignore[no-untyped-def]
    return db.execute(
        select(AgencyReturn.id, AgencyReturn.status)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
        .where(Cycle.slug == slug, Agency.name.like("Grown School %"))
    ).all()


def test_grown_round_returns_hold_answers_of_every_type_their_questionnaire_has(db):
    load_demo(db)
    grow_real_round(db, returns=100)
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    questionnaire = questionnaire_service.snapshot(
        db.get(QuestionnaireVersion, cycle.questionnaire_version_id)
    )
    kinds = {q.id: q.type for _s, q in questionnaire.questions()}  # type: ignore[attr-defined]
    submitted = [r for r, status in _grown_returns(db, "s11-2021") if not status.editable]
    assert submitted
    answers = db.execute(
        select(Answer.return_id, Answer.question_id, Answer.value).where(
            Answer.return_id.in_(submitted)
        )
    ).all()
    per_return = {r: sum(1 for a in answers if a[0] == r) for r in submitted}
    assert min(per_return.values()) >= 25  # a whole questionnaire, not a placeholder
    answered_kinds = {kinds[qid] for _r, qid, _v in answers}
    assert answered_kinds == set(kinds.values()) - {"evidence"}
    ratings = {v for _r, qid, v in answers if kinds[qid] == "rating"}
    assert len(ratings) >= 3  # spread over the scale
    narratives = [v for _r, qid, v in answers if kinds[qid] == "long_text"]
    assert sum(len(v) for v in narratives) / len(narratives) > 400
    tables = [v for _r, qid, v in answers if kinds[qid] == "table"]
    assert min(len(rows) for rows in tables) >= 3


def test_grown_round_has_panel_scores_agreed_ratings_plans_and_last_year(db):
    load_demo(db)
    grown = grow_real_round(db, returns=100)
    # Those met at panel have their feedback issued and their plans agreed.
    at_panel = [
        r for r, s in _grown_returns(db, "s11-2021") if s is ReturnStatus.ACTION_PLAN_AGREED
    ]
    assert at_panel and set(db.scalars(select(Feedback.return_id))) >= set(at_panel)
    waiting = [r for r, s in _grown_returns(db, "s11-2021") if s is ReturnStatus.SUBMITTED]
    agreed = set(
        db.scalars(select(AgreedRating.return_id).where(AgreedRating.return_id.in_(at_panel)))
    )
    assert agreed == set(at_panel)
    scored = set(db.scalars(select(ScoreSheet.return_id)))
    assert set(at_panel + waiting) <= scored
    assert db.scalar(select(func.count()).select_from(PanelScore)) >= grown.scores
    recommended = set(db.scalars(select(Recommendation.return_id)))
    assert set(at_panel) <= recommended
    plans = db.scalars(select(ActionPlan).where(ActionPlan.return_id.in_(at_panel))).all()
    assert {p.status for p in plans} == {PlanStatus.AGREED}
    actions = list(db.scalars(select(Action.id).where(Action.plan_id.in_([p.id for p in plans]))))
    assert len(actions) == grown.actions == grown.recommendations > len(at_panel)
    histories = list(
        db.scalars(select(ActionUpdate.action_id).where(ActionUpdate.action_id.in_(actions)))
    )
    assert set(histories) == set(actions)  # each action's history starts with its plan
    progressed = {a for a in histories if histories.count(a) > 1}
    assert 0 < len(progressed) < len(actions)  # progress reported on some, not all
    last_year = [r for r, s in _grown_returns(db, "s11-2020")]
    assert len(last_year) == len(at_panel) == grown.last_year
    assert set(
        db.scalars(select(AgreedRating.return_id).where(AgreedRating.return_id.in_(last_year)))
    ) == set(last_year)


def test_growing_again_to_the_same_size_adds_nothing(db):
    load_demo(db)
    first = grow_real_round(db, returns=80, responses=60)
    assert first.returns and first.answers and first.responses
    counts = [
        db.scalar(select(func.count()).select_from(t))
        for t in (AgencyReturn, Answer, AgreedRating, Recommendation, SurveyResponse)
    ]
    again = grow_real_round(db, returns=80, responses=60)
    assert (again.returns, again.answers, again.recommendations, again.responses) == (0, 0, 0, 0)
    assert [
        db.scalar(select(func.count()).select_from(t))
        for t in (AgencyReturn, Answer, AgreedRating, Recommendation, SurveyResponse)
    ] == counts
    survey = db.scalars(select(Survey)).one()
    assert (
        db.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.survey_id == survey.id)
        )
        == 60
    )
