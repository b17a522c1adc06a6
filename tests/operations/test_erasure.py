"""Erasing a person as a coordinator and a site administrator do it: a confirmation page saying
what will change, then "former member" wherever their name and email were, and the audit
trail still saying who did what."""

from __future__ import annotations

from sqlalchemy import String, cast, func, select

from app.audit.models import AuditEvent
from app.auth import invitations as auth_invitations
from app.directory import service as directory_service
from app.directory.models import Agency, Membership, Partnership, Person, Role
from app.notifications.models import SentEmail
from app.returns.models import AnswerRevision
from tests.conftest import lead_of, person_by_email, sign_in

COORDINATOR = "coordinator@nscp.example.org"


def traces_of(db, email: str, name: str) -> int:
    """Rows anywhere s11 keeps people's names and addresses that still name them."""
    return sum(
        db.scalar(select(func.count()).where(condition))
        for condition in (
            Person.email == email,
            Person.name == name,
            SentEmail.to == email,
            cast(AuditEvent.detail, String).contains(email),
        )
    )


def test_coordinator_erases_a_contributor_who_left_and_the_audit_trail_keeps_its_shape(
    client, db, demo
):
    coordinator = person_by_email(db, COORDINATOR)
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    lead = lead_of(db, "Norfolk Fire and Rescue Service")
    invitation, email = auth_invitations.invite(
        db,
        actor=coordinator,
        scope=auth_invitations.invitation_scope(coordinator, norfolk),
        email="leaver@fire.example.org",
        name="Leah Vere",
        role=Role.CONTRIBUTOR,
        agency_id=lead.memberships[0].agency_id,
        base_url="http://localhost",
    )
    from app.notifications import service as notifications_service

    notifications_service.record(db, email, kind="invitation", partnership_id=norfolk.id)
    leaver = directory_service.ensure_person(db, email="leaver@fire.example.org", name="Leah Vere")
    directory_service.ensure_membership(
        db,
        person=leaver,
        partnership=norfolk,
        role=Role.CONTRIBUTOR,
        agency=db.get(Agency, invitation.agency_id),
    )
    revision = db.scalars(select(AnswerRevision).order_by(AnswerRevision.id)).first()
    revision.changed_by_id = leaver.id
    events_before = db.scalar(select(func.count()).select_from(AuditEvent))
    db.commit()
    assert traces_of(db, "leaver@fire.example.org", "Leah Vere") > 0

    sign_in(client, coordinator)
    people = client.page("/people")
    assert f"/people/{leaver.id}/erase" in str(people)
    confirm = client.page(f"/people/{leaver.id}/erase").get_text(" ", strip=True)
    assert "Erase Leah Vere" in confirm and "leaver@fire.example.org" in confirm
    assert "1 role ended: contributor" in confirm and "1 invitation to them renamed" in confirm
    assert "1 email sent to them renamed" in confirm

    token = client.csrf_token("/people")
    done = client.post(f"/people/{leaver.id}/erase", data={"csrf_token": token})
    assert done.status_code == 200 and "former member" in done.text

    db.expire_all()
    assert traces_of(db, "leaver@fire.example.org", "Leah Vere") == 0
    erased = db.get(Person, leaver.id)
    assert erased.name == "former member" and erased.email.endswith("@erased.invalid")
    assert db.scalar(select(func.count()).where(Membership.person_id == leaver.id)) == 0
    # Who changed the answer is still the same row, now "former member"; nothing was removed
    # from the audit log, which gained the erasure itself.
    assert db.get(AnswerRevision, revision.id).changed_by_id == leaver.id
    invited = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "invitation_sent", AuditEvent.object_id == str(invitation.id)
        )
    ).first()
    assert invited.detail["email"].endswith("@erased.invalid") and invited.detail["role"]
    assert db.scalar(select(func.count()).select_from(AuditEvent)) > events_before
    erasure_event = db.scalars(select(AuditEvent).where(AuditEvent.action == "person_erased")).one()
    assert erasure_event.actor_id == coordinator.id and erasure_event.object_id == str(leaver.id)
    assert "Leah" not in str(erasure_event.detail)


def test_site_administrator_erases_someone_of_two_partnerships_and_not_themselves(client, db, demo):
    admin = directory_service.make_admin(db, email="it@council.example.org", name="IT Team")
    both = directory_service.ensure_person(db, email="both@example.org", name="Two Hats")
    for partnership in db.scalars(select(Partnership)):
        directory_service.ensure_membership(
            db, person=both, partnership=partnership, role=Role.PANEL_MEMBER
        )
    db.commit()
    sign_in(client, admin)
    assert client.get(f"/admin/people/{admin.id}/erase").status_code == 404
    confirm = client.page(f"/admin/people/{both.id}/erase").get_text(" ", strip=True)
    assert "2 roles ended" in confirm
    token = client.csrf_token("/admin")
    done = client.post(
        f"/admin/people/{both.id}/erase", data={"csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303
    db.expire_all()
    assert db.get(Person, both.id).name == "former member"
