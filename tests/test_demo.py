"""`s11 demo`: a Norfolk-style partnership to explore straight after `make run`, running this
year's round jointly with Suffolk."""

from __future__ import annotations

from sqlalchemy import func, select

from app.cycles.models import Cycle
from app.demo import SUFFOLK_AGENCIES, load_demo
from app.directory.models import Agency, AgencyDuty, AgencySector, Membership, Person, Role
from app.returns.models import AgencyReturn, ReturnStatus
from tests.conftest import person_by_email, sign_in


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


def test_demo_has_returns_not_started_in_progress_and_submitted(db):
    load_demo(db)
    this_year = select(AgencyReturn.status).join(Cycle).where(Cycle.slug == "s11-2021")
    statuses = list(db.scalars(this_year))
    assert len(statuses) == 38 + len(SUFFOLK_AGENCIES)  # Norfolk's, and Suffolk's own
    assert statuses.count(ReturnStatus.SUBMITTED) == 2
    assert statuses.count(ReturnStatus.IN_PROGRESS) == 2
    assert statuses.count(ReturnStatus.NOT_STARTED) == 34 + len(SUFFOLK_AGENCIES)
    last_year = select(AgencyReturn.status).join(Cycle).where(Cycle.slug == "s11-2020")
    assert set(db.scalars(last_year)) == {ReturnStatus.CLOSED}
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
    assert "2 of 38 agencies have submitted" in norfolk
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
