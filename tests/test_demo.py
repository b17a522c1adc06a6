"""`s11 demo`: a Norfolk-style partnership to explore straight after `make run`, running this
year's round jointly with Suffolk."""

from __future__ import annotations

from sqlalchemy import func, select

from app.actions import recommendations
from app.actions.models import Recommendation
from app.cycle_models import Cycle
from app.demo import SUFFOLK_AGENCIES, load_demo
from app.directory.models import Agency, AgencyDuty, AgencySector, Membership, Person, Role
from app.panels import booking, feedback, reading, sessions
from app.panels import scoring as panel_scoring
from app.panels.models import (
    AgreedRating,
    Feedback,
    PanelMember,
    PanelScore,
    PanelSession,
    PanelSlot,
    ScoreSheet,
)
from app.returns.models import AgencyReturn, ReturnStatus
from tests.conftest import person_by_email, person_with_role, sign_in


def test_demo_has_38_norfolk_agencies_13_of_them_voluntary_sector(db):
    summary = load_demo(db)
    assert (summary.agencies, summary.voluntary_agencies) == (38, 13)
    sectors = set(db.scalars(select(Agency.sector)))
    assert len(sectors) >= 10  # agencies across the sectors, not just a few


def test_demo_loaded_twice_changes_nothing(db):
    load_demo(db)
    counts = [db.scalar(select(func.count()).select_from(t)) for t in (Agency, Person, Membership)]
    load_demo(db)
    assert [
        db.scalar(select(func.count()).select_from(t)) for t in (Agency, Person, Membership)
    ] == counts


def test_demo_gives_every_agency_a_lead_and_has_each_partnership_role(db):
    load_demo(db)
    led = set(db.scalars(select(Membership.agency_id).where(Membership.role == Role.AGENCY_LEAD)))
    assert led == set(db.scalars(select(Agency.id)))
    assert set(db.scalars(select(Membership.role))) == set(Role)


def test_voluntary_sector_agencies_sign_up_to_equivalent_standards(db):
    load_demo(db)
    duties = set(db.scalars(select(Agency.duty).where(Agency.sector == AgencySector.VOLUNTARY)))
    assert duties == {AgencyDuty.EQUIVALENT_STANDARDS}


def test_demo_people_have_different_names_so_they_can_be_told_apart(db):
    load_demo(db)
    names = list(db.scalars(select(Person.name)))
    assert len(names) == len(set(names))


def test_demo_has_returns_not_started_in_progress_submitted_at_panel_and_with_feedback(db):
    load_demo(db)
    this_year = select(AgencyReturn.status).join(Cycle).where(Cycle.slug == "s11-2021")
    statuses = list(db.scalars(this_year))
    assert len(statuses) == 38 + len(SUFFOLK_AGENCIES)  # Norfolk's, and Suffolk's own
    assert statuses.count(ReturnStatus.FEEDBACK_ISSUED) == 1
    assert statuses.count(ReturnStatus.AT_PANEL) == 3
    assert statuses.count(ReturnStatus.SUBMITTED) == 2  # waiting for a slot
    assert statuses.count(ReturnStatus.IN_PROGRESS) == 2
    assert statuses.count(ReturnStatus.NOT_STARTED) == 30 + len(SUFFOLK_AGENCIES)
    last_year = select(AgencyReturn.status).join(Cycle).where(Cycle.slug == "s11-2020")
    # Five plans agreed and the returns closed; one plan returned, one waiting for agreement.
    assert sorted(db.scalars(last_year)) == sorted(
        [ReturnStatus.CLOSED] * 5 + [ReturnStatus.FEEDBACK_ISSUED] * 2
    )
    load_demo(db)  # and loading it again changes nothing
    assert sorted(db.scalars(this_year)) == sorted(statuses)


def test_demo_round_is_joint_so_both_coordinators_see_the_shared_return_and_only_their_agencies(
    client, db
):
    load_demo(db)
    shared = "East of England Ambulance Service NHS Trust"  # works with both partnerships
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    norfolk = " ".join(client.page("/round/cycles/s11-2021").get_text().split())
    sign_in(client, person_by_email(db, "coordinator@ssp.example.org"))
    suffolk = " ".join(client.page("/round/cycles/s11-2021").get_text().split())

    assert shared in norfolk and shared in suffolk
    assert "6 of 38 agencies have submitted" in norfolk
    assert "0 of 7 agencies have submitted" in suffolk  # 3 shared with Norfolk, 4 its own
    assert "Suffolk Constabulary" in suffolk and "Suffolk Constabulary" not in norfolk
    assert "Norfolk Constabulary" in norfolk and "Norfolk Constabulary" not in suffolk
    one_return = (
        select(AgencyReturn.id)
        .join(Cycle)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(Cycle.slug == "s11-2021", Agency.name == shared)
    )
    assert len(db.scalars(one_return).all()) == 1


def _panel_1(db) -> PanelSession:
    return db.scalars(select(PanelSession).join(Cycle).where(Cycle.slug == "s11-2021")).one()


def _return_of(db, agency_name: str, cycle: str = "s11-2021") -> AgencyReturn:
    return db.scalars(
        select(AgencyReturn)
        .join(Cycle)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(Agency.name == agency_name, Cycle.slug == cycle)
    ).one()


def test_demo_schedules_a_panel_in_the_window_with_the_steering_group_and_the_first_in_the_chair(
    db,
):
    load_demo(db)
    panel = _panel_1(db)
    cycle = db.get(Cycle, panel.cycle_id)
    day = sessions.london(panel.starts_at).date()
    assert cycle.panel_starts_on <= day <= cycle.panel_ends_on
    assert panel.cancelled_at is None
    members = sessions.members_of(db, panel)
    steering_group = set(
        db.scalars(select(Membership.person_id).where(Membership.role == Role.PANEL_MEMBER))
    )
    assert {m.person_id for m in members} == steering_group
    assert panel.chair_id == person_with_role(db, Role.PANEL_MEMBER).id
    # Each member sits for the agency whose email domain they share, so never scores it.
    for member in members:
        agency = db.get(Agency, member.agency_id)
        lead_domains = {
            email.split("@")[1]
            for email in db.scalars(
                select(Person.email).join(Membership).where(Membership.agency_id == agency.id)
            )
        }
        assert member.email.split("@")[1] in lead_domains


def test_demo_panel_has_agencies_at_panel_and_with_feedback_and_scores_submitted_and_in_draft(
    db,
):
    load_demo(db)
    panel = _panel_1(db)
    booked = booking.booked_returns(db, sessions.slots_of(db, panel))
    statuses = sorted(r.status for r, _agency in booked.values())
    assert statuses == sorted([ReturnStatus.FEEDBACK_ISSUED] + [ReturnStatus.AT_PANEL] * 3)
    scoring = _return_of(db, "Great Yarmouth Borough Council")
    sheets = panel_scoring.sheets_of(db, return_id=scoring.id)
    scorers = set(panel_scoring.scores_of(db, return_id=scoring.id))
    assert len(sheets) == 1 and len(scorers - set(sheets)) == 2  # one submitted, two drafts
    unread = _return_of(db, "City College Norwich")
    assert unread.status is ReturnStatus.AT_PANEL
    assert not panel_scoring.scores_of(db, return_id=unread.id)


def test_demo_feedback_was_issued_with_a_red_rating_and_recommendations_in_signs_of_safety_form(
    db,
):
    load_demo(db)
    met = _return_of(db, "Norfolk Youth Justice Service")
    assert met.status is ReturnStatus.FEEDBACK_ISSUED
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    target = reading.panel_return_for(db, person=coordinator, return_id=met.id)
    assert feedback.feedback_problems(db, target) == []
    shown = feedback.feedback_of(db, view=target.view)
    assert shown.feedback.strengths
    colours = {item.level(agreed.rating).colour.value for item, agreed in shown.ratings}
    assert "red" in colours and colours & {"amber", "green"}
    assert len(shown.recommendations) == 2
    for recommendation in shown.recommendations:
        assert recommendation.worry_statement and recommendation.safety_goal
        assert recommendation.next_steps
        assert recommendation.priority in target.view.cycle.priorities
        assert recommendation.theme in target.view.cycle.themes


def test_demo_chair_has_a_return_still_at_panel_with_a_recommendation_to_work_on(db):
    load_demo(db)
    moderating = _return_of(db, "Norfolk Fire and Rescue Service")
    chair = person_with_role(db, Role.PANEL_MEMBER)
    target = reading.panel_return_for(db, person=chair, return_id=moderating.id)
    assert target is not None and target.is_chair
    assert moderating.status is ReturnStatus.AT_PANEL
    assert recommendations.recommendations_of(db, return_id=moderating.id)
    assert feedback.feedback_problems(db, target)  # ratings still to agree


def test_demo_panel_reads_what_was_agreed_last_year_and_last_years_feedback_is_there(db):
    load_demo(db)
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    target = reading.panel_return_for(
        db, person=coordinator, return_id=_return_of(db, "Norfolk Fire and Rescue Service").id
    )
    agreed = reading.last_years_agreed(db, target)
    assert set(agreed) == {item.key for item in target.items}
    last_year = _return_of(db, "Norfolk County Council Children's Services", "s11-2020")
    assert last_year.status is ReturnStatus.CLOSED
    assert db.get(Feedback, last_year.id) is not None
    assert recommendations.recommendations_of(db, return_id=last_year.id)


def test_demo_loaded_twice_schedules_no_second_panel_and_scores_nothing_twice(db):
    load_demo(db)
    tables = (
        PanelSession,
        PanelSlot,
        PanelMember,
        PanelScore,
        ScoreSheet,
        AgreedRating,
        Recommendation,
        Feedback,
    )
    counts = [db.scalar(select(func.count()).select_from(t)) for t in tables]
    load_demo(db)
    assert [db.scalar(select(func.count()).select_from(t)) for t in tables] == counts
    assert db.scalar(select(func.count()).select_from(PanelSession)) == 2  # this year's, last
