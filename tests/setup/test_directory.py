"""A coordinator keeps the partnership's agency directory and its people from year to year, as
they would on a new installation: agencies, leads, imports, roles, and nothing of another's."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Invitation
from app.cycles import service as cycles_service
from app.directory import service as directory_service
from app.directory.models import (
    Agency,
    AgencyDuty,
    AgencySector,
    Membership,
    PartnershipAgency,
    Role,
)
from app.returns.models import AgencyReturn
from tests.conftest import person_by_email, sign_in


def post(client, url, data=None, files=None):
    return client.post(
        url,
        data={"csrf_token": client.csrf_token("/"), **(data or {})},
        files=files,
        follow_redirects=False,
    )


AGENCY = {
    "name": "Breckland Police",
    "sector": "police",
    "duty": "",
    "lead_name": "Pat Lead",
    "lead_email": "pat@police.example.org",
}


def test_a_coordinator_adds_an_agency_by_hand_and_its_lead_is_invited(client, db, coordinator):
    response = post(client, "/agencies/new", AGENCY)
    assert response.status_code == 303, response.text
    agency = db.scalars(select(Agency).where(Agency.name == "Breckland Police")).one()
    assert agency.duty.value == "section_11"  # by sector when not chosen
    invitation = db.scalars(select(Invitation).where(Invitation.agency_id == agency.id)).one()
    assert invitation.role is Role.AGENCY_LEAD and invitation.email == "pat@police.example.org"
    listing = client.page("/agencies").get_text()
    assert "Breckland Police" in listing and "invited: Pat Lead" in listing


def test_the_same_agency_name_with_other_case_or_spacing_is_refused_beside_the_field(
    client, db, coordinator
):
    assert post(client, "/agencies/new", AGENCY).status_code == 303
    again = post(client, "/agencies/new", {**AGENCY, "name": "  breckland   POLICE "})
    assert again.status_code == 400 and "is in your directory already" in again.text
    assert db.scalar(select(func.count()).select_from(Agency)) == 1


def test_an_agency_known_from_another_partnership_stays_one_agency(client, db, coordinator):
    other = directory_service.ensure_partnership(
        db, slug="norwich", name="Norwich", short_name="N", colour="#1d4f91"
    )
    shared = directory_service.ensure_agency(
        db,
        name="Breckland Police",
        sector=AgencySector.POLICE,
        duty=AgencyDuty.SECTION_11,
        partnership=other,
    )
    assert post(client, "/agencies/new", AGENCY).status_code == 303
    assert db.scalar(select(func.count()).select_from(Agency)) == 1
    links = db.scalars(select(PartnershipAgency).where(PartnershipAgency.agency_id == shared.id))
    assert len(list(links)) == 2


def test_a_coordinator_renames_archives_and_restores_an_agency(client, db, coordinator):
    post(client, "/agencies/new", AGENCY)
    post(
        client,
        "/agencies/new",
        {**AGENCY, "name": "Breckland Council", "sector": "district_council"},
    )
    agency = db.scalars(select(Agency).where(Agency.name == "Breckland Police")).one()
    taken = post(
        client, f"/agencies/{agency.id}",
        {"name": "breckland council", "sector": "police", "duty": "section_11"},
    )  # fmt: skip
    assert taken.status_code == 400 and "Another agency is already called" in taken.text
    renamed = post(
        client, f"/agencies/{agency.id}",
        {"name": "Norfolk Constabulary (Breckland)", "sector": "police", "duty": "section_11"},
    )  # fmt: skip
    assert renamed.status_code == 303
    db.refresh(agency)
    assert agency.name == "Norfolk Constabulary (Breckland)"

    assert post(client, f"/agencies/{agency.id}/archive").status_code == 303
    assert "Norfolk Constabulary" not in client.page("/agencies").get_text()
    assert "Norfolk Constabulary" in client.page("/agencies?show=archived").get_text()
    assert post(client, f"/agencies/{agency.id}/restore").status_code == 303
    assert "Norfolk Constabulary" in client.page("/agencies").get_text()
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"agency_added", "agency_changed", "agency_archived", "agency_restored"} <= actions


CSV_WITH_A_BAD_ROW = (
    "Agency,Sector,Lead name,Lead email\n"
    "Home-Start Breckland,voluntary,Ann Other,ann@homestart.example.org\n"
    "Breckland Foodbank,Voluntary,Bob Jones,not-an-address\n"
)


def test_a_directory_import_shows_every_row_and_saves_nothing_until_fixed(client, db, coordinator):
    checked = post(
        client,
        "/agencies/import",
        files={"file": ("a.csv", CSV_WITH_A_BAD_ROW.encode(), "text/csv")},
    )
    assert checked.status_code == 400 and "Line 3" in checked.text
    assert db.scalar(select(func.count()).select_from(Agency)) == 0
    fixed = CSV_WITH_A_BAD_ROW.replace("not-an-address", "bob@foodbank.example.org")
    checked = post(
        client, "/agencies/import", files={"file": ("a.csv", fixed.encode(), "text/csv")}
    )
    assert checked.status_code == 200
    action = checked.text.split('action="/agencies/import/')[1].split('"')[0]
    done = post(client, f"/agencies/import/{action}")
    assert done.status_code == 303 and done.headers["location"].startswith("/agencies?imported=2")
    names = set(db.scalars(select(Agency.name)))
    assert names == {"Home-Start Breckland", "Breckland Foodbank"}
    assert db.scalar(select(func.count()).select_from(AgencyReturn)) == 0  # no cycle touched


def test_a_new_cycle_takes_its_agencies_from_the_directory_by_sector(
    client, db, coordinator, partnership, every_type
):
    post(client, "/agencies/new", AGENCY)
    post(client, "/agencies/new", {**AGENCY, "name": "Home-Start", "sector": "voluntary",
                                   "lead_email": "hs@example.org"})  # fmt: skip
    cycle = cycles_service.ensure_cycle(
        db, slug="bp-2027", name="Section 11 2027", version=every_type,
        partnerships=[partnership], opens_on=date.today(),
        deadline_on=date.today() + timedelta(days=60),
    )  # fmt: skip
    nothing = post(client, "/round/cycles/bp-2027/agencies/directory", {"choice": "sector"})
    assert nothing.status_code == 400 and "Select at least one agency" in nothing.text
    response = post(
        client, "/round/cycles/bp-2027/agencies/directory",
        {"choice": "sector", "sectors": "voluntary"},
    )  # fmt: skip
    assert response.status_code == 303 and "opened=1" in response.headers["location"]
    returns = db.scalars(select(AgencyReturn).where(AgencyReturn.cycle_id == cycle.id)).all()
    assert [db.get(Agency, r.agency_id).name for r in returns] == ["Home-Start"]


def test_people_are_listed_filtered_and_their_roles_changed_but_never_the_last_coordinator(
    client, db, coordinator, partnership
):
    member = directory_service.ensure_person(db, email="sam@example.org", name="Sam Steer")
    role = directory_service.ensure_membership(
        db, person=member, partnership=partnership, role=Role.PANEL_MEMBER
    )
    page = client.page("/people?role=panel_member").select_one("main table").get_text()
    assert "Sam Steer" in page and "Cora Ordinator" not in page

    changed = post(client, f"/people/roles/{role.id}", {"role": "chair"})
    assert changed.status_code == 303
    db.refresh(role)
    assert role.role is Role.CHAIR

    [mine] = [m for m in coordinator.memberships if m.role is Role.COORDINATOR]
    refused = post(client, f"/people/roles/{mine.id}/remove")
    assert refused.status_code == 400 and "only coordinator" in refused.text
    refused = post(client, f"/people/roles/{mine.id}", {"role": "chair"})
    assert refused.status_code == 400

    assert post(client, f"/people/roles/{role.id}/remove").status_code == 303
    assert db.get(Membership, role.id) is None
    assert (
        db.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "role_change")
        )
        >= 2
    )


def test_a_removed_role_stops_working_on_the_persons_next_request(client, db, demo):
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    chair = directory_service.get_person(
        db,
        person_id=db.scalar(select(Membership.person_id).where(Membership.role == Role.CHAIR)),
    )
    [chair_role] = [m for m in chair.memberships if m.role is Role.CHAIR]
    sign_in(client, chair)
    assert client.get("/summary").status_code == 200
    chair_cookies = dict(client.cookies)
    sign_in(client, coordinator)
    assert post(client, f"/people/roles/{chair_role.id}/remove").status_code == 303
    db.expire_all()  # the chair's next request reads afresh, as a new request's session does
    client.cookies.clear()
    client.cookies.update(chair_cookies)
    assert client.get("/summary").status_code == 404


def test_a_coordinator_of_one_partnership_finds_nothing_of_anothers(client, db, demo, coordinator):
    norfolk_agency = db.scalars(select(Agency).order_by(Agency.id)).first()
    norfolk_role = db.scalars(select(Membership).order_by(Membership.id)).first()
    assert client.get(f"/agencies/{norfolk_agency.id}").status_code == 404
    assert post(client, f"/agencies/{norfolk_agency.id}/archive").status_code == 404
    assert client.get(f"/people/roles/{norfolk_role.id}").status_code == 404
    assert post(client, f"/people/roles/{norfolk_role.id}/remove").status_code == 404
    taking = post(client, "/round/cycles/s11-2021/agencies/directory", {"choice": "all"})
    assert taking.status_code == 404


def test_the_menu_offers_only_what_the_person_may_use_in_the_partnership_they_work_in(
    client, db, partnership
):
    other = directory_service.ensure_partnership(
        db, slug="norwich", name="Norwich", short_name="N", colour="#1d4f91"
    )
    agency = directory_service.ensure_agency(
        db, name="Norwich Police", sector=AgencySector.POLICE, duty=AgencyDuty.SECTION_11,
        partnership=other,
    )  # fmt: skip
    person = directory_service.ensure_person(db, email="two.hats@example.org", name="Two Hats")
    directory_service.ensure_membership(
        db, person=person, partnership=partnership, role=Role.COORDINATOR
    )
    directory_service.ensure_membership(
        db, person=person, partnership=other, role=Role.AGENCY_LEAD, agency=agency
    )
    sign_in(client, person)

    def menu() -> dict[str, str]:
        page = client.page("/")
        links = page.select(".govuk-service-navigation__item a")
        return {a.get_text(strip=True): str(a["href"]) for a in links}

    working_in_breckland = menu()  # "Breckland" sorts before "Norwich": it is chosen first
    assert "Round" in working_in_breckland and "Returns" not in working_in_breckland
    chosen = client.post(
        "/partnerships/active",
        data={"csrf_token": client.csrf_token("/partnerships"), "partnership_id": str(other.id)},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    working_in_norwich = menu()
    assert "Returns" in working_in_norwich
    assert not {"Round", "People", "Agencies"} & set(working_in_norwich)
    for href in working_in_norwich.values():  # no link leads to "not found"
        assert client.get(href).status_code == 200, href
