"""The summary page and the workbooks run a fixed number of SQL statements, however many
returns, answers, ratings and scores stand behind them."""

from __future__ import annotations

from sqlalchemy import select

from app.actions.models import Recommendation
from app.cycle_models import Cycle
from app.db import utcnow
from app.directory.models import Agency, Role
from app.panels.models import AgreedRating, PanelScore, ScoreSheet
from app.returns import answers
from app.returns import service as returns_service
from app.returns.models import AgencyReturn, ReturnStatus
from tests.conftest import person_by_email, person_with_role, sign_in

PAGES = (
    "/summary/s11-2021",
    "/exports/s11-2021/scored-returns",
    "/exports/s11-2021/summary",
    "/exports/s11-2021/return?agency={agency}",
)


def submit_more_returns(db, count: int) -> None:
    """Returns not yet started, now answered in part, submitted, rated by the panel with a
    member's submitted score and a recommendation (as a small factory, not the whole journey)."""
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    member = person_with_role(db, Role.PANEL_MEMBER)
    waiting = db.scalars(
        select(AgencyReturn)
        .join(Cycle)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(Cycle.slug == "s11-2021", AgencyReturn.status == ReturnStatus.NOT_STARTED)
        .order_by(Agency.name)
        .limit(count)
    ).all()
    assert len(waiting) == count
    for agency_return in waiting:
        questionnaire = returns_service.view_of(db, agency_return).questionnaire
        for question_id, value in (
            ("neglect-rating", 2),
            ("neglect-narrative", "We audit neglect cases every quarter."),
            ("covid-learning", "Keep the online multi-agency meetings."),
        ):
            answers.save_answer(
                db,
                agency_return=agency_return,
                questionnaire=questionnaire,
                question_id=question_id,
                value=value,
                based_on_version=0,
                actor=coordinator,
            )
        agency_return.status = ReturnStatus.AT_PANEL
        agency_return.submitted_at = utcnow()
        db.add(AgreedRating(return_id=agency_return.id, item="question:neglect-rating", rating=1))
        db.add(
            PanelScore(
                return_id=agency_return.id,
                person_id=member.id,
                item="question:neglect-rating",
                rating=1,
            )
        )
        db.add(ScoreSheet(return_id=agency_return.id, person_id=member.id))
        db.add(
            Recommendation(
                return_id=agency_return.id,
                item="question:neglect-rating",
                worry_statement="Neglect is missed.",
                safety_goal="Neglect is seen early.",
                next_steps="Train every team.",
                priority="Neglect",
                theme="Professional curiosity",
            )
        )
    db.commit()  # as the requests will find them: already in the database


def test_the_summary_and_every_workbook_cost_the_same_queries_with_more_returns(
    client, db, demo, count_queries
):
    agency = db.scalar(select(Agency.id).where(Agency.name == "Norfolk Youth Justice Service"))
    sign_in(client, person_by_email(db, "chair@nscp.example.org"))

    def queries() -> dict[str, int]:
        counted_by_page = {}
        for page in PAGES:
            path = page.format(agency=agency)
            with count_queries() as counted:
                assert client.get(path).status_code == 200, path
            counted_by_page[page] = counted.count
        return counted_by_page

    queries()  # the first visit parses each questionnaire version once for the process
    few = queries()
    submit_more_returns(db, 12)
    assert queries() == few
    assert max(few.values()) <= 25, few
