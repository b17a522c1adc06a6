"""Invitations, not registration: coordinators invite into roles, leads invite contributors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.auth.models import Invitation
from app.db import utcnow
from app.directory.models import Agency, Membership, Person, Role
from tests.conftest import lead_of, person_by_email, sign_in


@pytest.fixture
def coordinator(db, demo):
    return person_by_email(db, "coordinator@nscp.example.org")


def invite(client, **fields):
    token = client.csrf_token("/invitations/new")
    return client.post(
        "/invitations/new", data={"csrf_token": token, **fields}, follow_redirects=False
    )


def accept(client, link: str):
    page = client.page(link)
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    return client.post(link, data={"csrf_token": token}, follow_redirects=False)


def test_a_coordinator_invites_a_panel_member_who_accepts_and_is_signed_in(
    mail_client, mailbox, db, coordinator
):
    sign_in(mail_client, coordinator)
    response = invite(
        mail_client, email="Sam.Reed@Example.org", name="Sam Reed", role="panel_member"
    )
    assert response.status_code == 303
    assert "The invitation has been sent" in mail_client.get(response.headers["location"]).text
    [message] = mailbox.to("sam.reed@example.org")
    assert "as panel member" in message["Subject"]
    link = mailbox.link_in_last_to("sam.reed@example.org", "/join/")

    mail_client.cookies.clear()
    assert accept(mail_client, link).headers["location"] == "/"
    assert "Sam Reed" in mail_client.page("/").get_text()
    sam = db.scalars(select(Person).where(Person.email == "sam.reed@example.org")).one()
    membership = db.scalars(select(Membership).where(Membership.person_id == sam.id)).one()
    assert membership.role is Role.PANEL_MEMBER
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"invitation_sent", "invitation_accepted", "role_change"} <= actions


def test_an_invitation_the_mail_server_refuses_shows_as_failed_on_the_emails_page(
    mail_client, mailbox, coordinator
):
    sign_in(mail_client, coordinator)
    mailbox.refused.add("full.box@example.org")
    response = invite(mail_client, email="full.box@example.org", name="Full Box", role="chair")
    assert response.status_code == 303
    first_row = mail_client.page("/round/emails").select("tbody tr")[0].get_text(" ", strip=True)
    assert "full.box@example.org" in first_row and "Failed" in first_row
    assert "Mailbox full" in first_row
    assert mailbox.to("full.box@example.org") == []


def test_an_agency_lead_invites_a_contributor_and_cannot_choose_another_role_or_agency(
    mail_client, mailbox, db
):
    from app.demo import load_demo

    load_demo(db)
    lead = lead_of(db, "NSPCC")
    other = db.scalars(select(Agency).where(Agency.name == "Norfolk Constabulary")).one()
    sign_in(mail_client, lead)
    page = mail_client.page("/invitations/new")
    assert not page.find("input", attrs={"name": "role", "value": "coordinator"})
    response = invite(
        mail_client,
        email="helper@nspcc.example.org",
        name="Helper",
        role="coordinator",
        agency_id=str(other.id),
    )
    assert response.status_code == 303
    invitation = db.scalars(select(Invitation)).one()
    assert invitation.role is Role.CONTRIBUTOR
    assert invitation.agency_id == lead.memberships[0].agency_id


def test_an_invitation_accepted_while_signed_in_as_someone_else_is_refused(
    mail_client, mailbox, db, coordinator
):
    sign_in(mail_client, coordinator)
    invite(mail_client, email="new@example.org", name="New", role="chair")
    link = mailbox.link_in_last_to("new@example.org", "/join/")
    response = accept(mail_client, link)  # still signed in as the coordinator
    assert response.status_code == 400
    assert "This invitation is for new@example.org, but you are signed in as" in response.text
    assert db.scalars(select(Invitation)).one().accepted_at is None


def test_an_expired_invitation_cannot_be_accepted_but_can_be_resent(
    mail_client, mailbox, db, coordinator
):
    sign_in(mail_client, coordinator)
    invite(mail_client, email="late@example.org", name="Late", role="chair")
    old_link = mailbox.link_in_last_to("late@example.org", "/join/")
    db.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
    invitation = db.scalars(select(Invitation)).one()
    token = mail_client.csrf_token("/invitations")
    mail_client.post(f"/invitations/{invitation.id}/resend", data={"csrf_token": token})
    new_link = mailbox.link_in_last_to("late@example.org", "/join/")
    assert new_link != old_link

    mail_client.cookies.clear()
    assert mail_client.get(old_link).status_code == 404  # the old link no longer works
    assert accept(mail_client, new_link).status_code == 303


def test_a_cancelled_invitation_cannot_be_accepted(mail_client, mailbox, db, coordinator):
    sign_in(mail_client, coordinator)
    invite(mail_client, email="gone@example.org", name="Gone", role="chair")
    link = mailbox.link_in_last_to("gone@example.org", "/join/")
    invitation = db.scalars(select(Invitation)).one()
    token = mail_client.csrf_token("/invitations")
    mail_client.post(f"/invitations/{invitation.id}/cancel", data={"csrf_token": token})
    mail_client.cookies.clear()
    page = mail_client.page(link)
    assert "This invitation has been cancelled" in page.get_text()
    assert not page.find("button", string="Accept the invitation")


def test_an_agency_lead_never_sees_or_touches_another_agencys_invitation(
    mail_client, mailbox, db, coordinator
):
    sign_in(mail_client, coordinator)
    police = db.scalars(select(Agency).where(Agency.name == "Norfolk Constabulary")).one()
    invite(
        mail_client,
        email="pc@police.example.org",
        name="PC",
        role="contributor",
        agency_id=str(police.id),
    )
    invitation = db.scalars(select(Invitation)).one()

    sign_in(mail_client, lead_of(db, "NSPCC"))
    assert "pc@police.example.org" not in mail_client.get("/invitations").text
    token = mail_client.csrf_token("/invitations")
    for action in ("cancel", "resend"):
        response = mail_client.post(
            f"/invitations/{invitation.id}/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 404
    assert db.scalars(select(Invitation)).one().cancelled_at is None


def test_inviting_with_a_bad_address_shows_the_error_and_keeps_what_was_typed(client, coordinator):
    sign_in(client, coordinator)
    response = invite(client, email="not-an-address", name="Kept Name", role="chair")
    assert response.status_code == 400
    assert "Enter an email address in the correct format" in response.text
    assert 'value="Kept Name"' in response.text


def test_an_agency_role_needs_an_agency(client, coordinator):
    sign_in(client, coordinator)
    response = invite(client, email="x@example.org", name="X", role="agency_lead")
    assert response.status_code == 400
    assert "Select the agency the agency lead works for" in response.text


def test_panel_members_and_chairs_cannot_invite(client, db, demo):
    from tests.conftest import person_with_role

    for role in (Role.PANEL_MEMBER, Role.CHAIR, Role.CONTRIBUTOR):
        sign_in(client, person_with_role(db, role))
        assert client.get("/invitations").status_code == 404


def test_a_person_in_two_partnerships_switches_the_one_they_work_in(client, db, demo):
    lead = lead_of(db, "Norfolk and Suffolk NHS Foundation Trust")
    sign_in(client, lead)
    assert "NSCP" in client.get("/").text.split("</header>")[0]
    page = client.page("/partnerships")
    suffolk = page.find("label", string=lambda s: s and "Suffolk Safeguarding" in s)
    value = page.find("input", id=suffolk["for"])["value"]
    token = client.csrf_token("/partnerships")
    client.post("/partnerships/active", data={"csrf_token": token, "partnership_id": value})
    assert "SSP" in client.get("/").text.split("</header>")[0]
    assert "Switch partnership" in client.get("/").text
    response = client.post(
        "/partnerships/active", data={"csrf_token": token, "partnership_id": "99999"}
    )
    assert response.status_code == 400
