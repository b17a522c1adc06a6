"""Partnerships, agencies, people and memberships: the rules the rest of s11 relies on."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.directory import service as directory_service
from app.directory.models import (
    Agency,
    AgencyDuty,
    AgencySector,
    Membership,
    PartnershipAgency,
    Role,
)


@pytest.fixture
def two_partnerships(db):
    norfolk = directory_service.ensure_partnership(
        db, slug="n", name="Norfolk", short_name="N", colour="#4c2c92"
    )
    suffolk = directory_service.ensure_partnership(
        db, slug="s", name="Suffolk", short_name="S", colour="#00703c"
    )
    return norfolk, suffolk


def test_an_agency_working_with_two_partnerships_is_one_record(db, two_partnerships):
    norfolk, suffolk = two_partnerships
    first = directory_service.ensure_agency(
        db,
        name="Police Force",
        sector=AgencySector.POLICE,
        duty=AgencyDuty.SECTION_11,
        partnership=norfolk,
    )
    second = directory_service.ensure_agency(
        db,
        name="  police force ",
        sector=AgencySector.POLICE,
        duty=AgencyDuty.SECTION_11,
        partnership=suffolk,
    )
    assert first.id == second.id
    assert db.scalar(select(func.count()).select_from(Agency)) == 1
    links = db.scalars(select(PartnershipAgency).where(PartnershipAgency.agency_id == first.id))
    assert {link.partnership_id for link in links} == {norfolk.id, suffolk.id}


def test_one_email_address_is_one_person_whatever_its_case(db):
    first = directory_service.ensure_person(db, email="Lead@Agency.org", name="Lead")
    second = directory_service.ensure_person(db, email=" lead@agency.ORG", name="Lead again")
    assert first.id == second.id and first.email == "lead@agency.org"


def test_an_address_without_a_domain_is_refused_with_a_clear_message(db):
    with pytest.raises(directory_service.DirectoryError, match="correct format"):
        directory_service.ensure_person(db, email="lead@agency", name="Lead")


def test_agency_roles_must_name_their_agency_and_partnership_roles_must_not(db, two_partnerships):
    norfolk, _ = two_partnerships
    person = directory_service.ensure_person(db, email="p@x.org", name="P")
    agency = directory_service.ensure_agency(
        db, name="Charity", sector=AgencySector.VOLUNTARY, duty=AgencyDuty.EQUIVALENT_STANDARDS
    )
    with pytest.raises(directory_service.DirectoryError, match="must name the agency"):
        directory_service.ensure_membership(
            db, person=person, partnership=norfolk, role=Role.AGENCY_LEAD
        )
    with pytest.raises(directory_service.DirectoryError, match="does not belong to an agency"):
        directory_service.ensure_membership(
            db, person=person, partnership=norfolk, role=Role.CHAIR, agency=agency
        )


def test_the_database_also_refuses_an_agency_role_without_an_agency(db, two_partnerships):
    norfolk, _ = two_partnerships
    person = directory_service.ensure_person(db, email="p@x.org", name="P")
    db.add(Membership(person_id=person.id, partnership_id=norfolk.id, role=Role.CONTRIBUTOR))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_one_person_may_hold_several_roles_in_several_partnerships(db, two_partnerships):
    norfolk, suffolk = two_partnerships
    person = directory_service.ensure_person(db, email="p@x.org", name="P")
    agency = directory_service.ensure_agency(
        db, name="Trust", sector=AgencySector.HEALTH_PROVIDER, duty=AgencyDuty.SECTION_11
    )
    directory_service.ensure_membership(
        db, person=person, partnership=norfolk, role=Role.AGENCY_LEAD, agency=agency
    )
    directory_service.ensure_membership(
        db, person=person, partnership=norfolk, role=Role.PANEL_MEMBER
    )
    directory_service.ensure_membership(
        db, person=person, partnership=suffolk, role=Role.AGENCY_LEAD, agency=agency
    )
    again = directory_service.ensure_membership(
        db, person=person, partnership=norfolk, role=Role.PANEL_MEMBER
    )
    loaded = directory_service.get_person(db, person_id=person.id)
    assert loaded is not None and len(loaded.memberships) == 3
    assert again.id == loaded.memberships[1].id
    grouped = directory_service.partnerships_of(loaded)
    assert [entry.partnership.name for entry in grouped] == ["Norfolk", "Suffolk"]
    assert grouped[0].role_labels == ["Agency lead, Trust", "Panel member"]


def test_every_sector_has_a_label_people_recognise():
    assert AgencySector.HEALTH_COMMISSIONER.label == "Health commissioner / ICB"
    assert AgencySector.VOLUNTARY.label == "Voluntary, community and faith"
    assert all(sector.label for sector in AgencySector)


def test_a_partnership_colour_that_is_not_a_hex_code_is_refused(db):
    with pytest.raises(directory_service.DirectoryError, match="hex code"):
        directory_service.ensure_partnership(
            db, slug="x", name="X", short_name="X", colour="purple"
        )
