"""Invitations into a role, the only way a person gets access: who may invite whom, sending,
resending, cancelling and accepting them. Never signs anyone in: accepting returns the person."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.auth import service as auth_service
from app.auth.models import (
    Invitation,
)
from app.db import aware, utcnow
from app.directory import service as directory_service
from app.directory.models import Agency, Partnership, Person, Role
from app.directory.terms import terms_for
from app.notifications import service as notifications_service
from app.notifications.mail import Email

INVITATION_LIFETIME = timedelta(days=14)


class InvitationError(ValueError):
    """An invitation that cannot be made, accepted or changed, with a message for the page."""


@dataclass(frozen=True)
class InvitationScope:
    """What an actor may invite in one partnership: every role, or contributors of one agency."""

    partnership: Partnership
    any_role: bool
    agency_ids: frozenset[int]

    def allows(self, role: Role, agency_id: int | None) -> bool:
        if self.any_role:
            return True
        return role is Role.CONTRIBUTOR and agency_id in self.agency_ids


def invitation_scope(person: Person, partnership: Partnership) -> InvitationScope | None:
    """Coordinators invite anyone into the partnership; agency leads invite colleagues from
    their own agency as contributors. Everyone else invites nobody."""
    here = [m for m in person.memberships if m.partnership_id == partnership.id]
    if any(m.role is Role.COORDINATOR for m in here):
        return InvitationScope(partnership, any_role=True, agency_ids=frozenset())
    lead_of = frozenset(m.agency_id for m in here if m.role is Role.AGENCY_LEAD and m.agency_id)
    if lead_of:
        return InvitationScope(partnership, any_role=False, agency_ids=lead_of)
    return None


def _invitation_email(invitation: Invitation, token: str, base_url: str, inviter: str) -> Email:
    role = invitation.role.label.lower()
    where = f" for {invitation.agency.name}" if invitation.agency else ""
    link = f"{base_url.rstrip('/')}/join/{token}"
    return Email(
        to=invitation.email,
        subject=f"You are invited to s11 as {role}{where}",
        body=(
            f"Hello {invitation.name},\n\n"
            f"{inviter} has invited you to the {invitation.partnership.name}'s "
            f"{terms_for(invitation.partnership).self_assessment} service, s11, as "
            f"{role}{where}.\n\n"
            f"Accept the invitation here:\n\n{link}\n\n"
            f"The invitation expires on {invitation.expires_at:%-d %B %Y}. If you were not "
            "expecting it, you can ignore this email.\n"
        ),
    )


def invite(
    session: Session,
    *,
    actor: Person,
    scope: InvitationScope,
    email: str,
    name: str,
    role: Role,
    agency_id: int | None,
    base_url: str,
) -> tuple[Invitation, Email]:
    address = auth_service.checked_email(email, InvitationError)
    if not name.strip():
        raise InvitationError("Enter the person's name")
    if not scope.any_role:
        # An agency lead invites colleagues from their own agency, as contributors: whatever
        # the form said about role or agency is ignored.
        role = Role.CONTRIBUTOR
        if agency_id not in scope.agency_ids:
            agency_id = min(scope.agency_ids)
    if role.belongs_to_agency and agency_id is None:
        raise InvitationError(f"Select the agency the {role.label.lower()} works for")
    if not role.belongs_to_agency:
        agency_id = None
    agency = session.get(Agency, agency_id) if agency_id else None
    if agency_id and (agency is None or not _agency_in(session, agency_id, scope.partnership)):
        raise InvitationError("Select an agency that works with this partnership")
    existing = session.scalar(
        select(Invitation).where(
            Invitation.email == address,
            Invitation.partnership_id == scope.partnership.id,
            Invitation.role == role,
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    if existing is not None:
        raise InvitationError(f"{address} already has an invitation waiting: resend it instead")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=auth_service.token_hash(token),
        email=address,
        name=name.strip(),
        partnership_id=scope.partnership.id,
        role=role,
        agency_id=agency_id,
        invited_by_id=actor.id,
        sent_at=utcnow(),
        expires_at=utcnow() + INVITATION_LIFETIME,
    )
    session.add(invitation)
    session.flush()
    invitation = _load_invitation(session, invitation.id)
    auth_service.record_event(
        session,
        actor=actor,
        action="invitation_sent",
        object_type="invitation",
        object_id=invitation.id,
        detail={"email": address, "role": role.value, "agency_id": agency_id},
    )
    return invitation, _invitation_email(invitation, token, base_url, actor.name)


def _agency_in(session: Session, agency_id: int, partnership: Partnership) -> bool:
    from app.directory.models import PartnershipAgency

    return session.get(PartnershipAgency, (partnership.id, agency_id)) is not None


def _load_invitation(session: Session, invitation_id: int) -> Invitation:
    return session.scalars(
        select(Invitation)
        .where(Invitation.id == invitation_id)
        .options(joinedload(Invitation.partnership), joinedload(Invitation.agency))
        .execution_options(populate_existing=True)
    ).one()


def invitations_for(session: Session, *, scope: InvitationScope) -> list[Invitation]:
    """The invitations the actor may see: the partnership's, or their own agency's."""
    query = (
        select(Invitation)
        .where(Invitation.partnership_id == scope.partnership.id)
        .options(joinedload(Invitation.partnership), joinedload(Invitation.agency))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    if not scope.any_role:
        query = query.where(Invitation.agency_id.in_(scope.agency_ids))
    return list(session.scalars(query))


def get_invitation(
    session: Session, *, scope: InvitationScope, invitation_id: int
) -> Invitation | None:
    """Fetch through the policy: an invitation the actor may not see does not exist for them."""
    for invitation in invitations_for(session, scope=scope):
        if invitation.id == invitation_id:
            return invitation
    return None


def invitation_state(invitation: Invitation, now: datetime | None = None) -> str:
    now = now or utcnow()
    if invitation.accepted_at:
        return "accepted"
    if invitation.cancelled_at:
        return "cancelled"
    if aware(invitation.expires_at) <= now:
        return "expired"
    return "waiting"


def cancel_invitation(session: Session, *, actor: Person, invitation: Invitation) -> None:
    if invitation_state(invitation) != "waiting":
        raise InvitationError("Only an invitation that is still waiting can be cancelled")
    invitation.cancelled_at = utcnow()
    auth_service.record_event(
        session,
        actor=actor,
        action="invitation_cancelled",
        object_type="invitation",
        object_id=invitation.id,
    )
    session.flush()


def resend_invitation(
    session: Session, *, actor: Person, invitation: Invitation, base_url: str
) -> Email:
    """A fresh link and a fresh expiry date; the old link stops working."""
    if invitation.accepted_at or invitation.cancelled_at:
        raise InvitationError("An accepted or cancelled invitation cannot be sent again")
    token = secrets.token_urlsafe(32)
    invitation.token_hash = auth_service.token_hash(token)
    invitation.sent_at = utcnow()
    invitation.expires_at = utcnow() + INVITATION_LIFETIME
    session.flush()
    auth_service.record_event(
        session,
        actor=actor,
        action="invitation_sent",
        object_type="invitation",
        object_id=invitation.id,
        detail={"email": invitation.email, "resent": True},
    )
    return _invitation_email(invitation, token, base_url, actor.name)


JOIN_LINK = re.compile(r"/join/([A-Za-z0-9_-]+)")


def stale_invitation_link(session: Session, *, text: str) -> str | None:
    """Why the invitation link in an email's text no longer works, or None while it does: an
    invitation email that failed must not go out once its link was replaced, used or ended."""
    found = JOIN_LINK.search(text)
    if found is None:
        return None
    invitation = find_invitation(session, token=found.group(1))
    if invitation is None:  # resending gives the invitation a new link; this one is gone
        return "the invitation was sent again with a new link"
    state = invitation_state(invitation)
    if state == "waiting":
        return None
    return f"the invitation has {'been ' if state != 'expired' else ''}{state}"


notifications_service.DEAD_LINK_CHECKS["invitation"] = lambda session, text: stale_invitation_link(
    session, text=text
)


def find_invitation(session: Session, *, token: str) -> Invitation | None:
    invitation_id = session.scalar(
        select(Invitation.id).where(Invitation.token_hash == auth_service.token_hash(token))
    )
    return _load_invitation(session, invitation_id) if invitation_id else None


def accept_invitation(
    session: Session,
    *,
    invitation: Invitation,
    signed_in_as: Person | None,
    client_address: str | None,
    request_id: str | None,
) -> Person:
    state = invitation_state(invitation)
    if state != "waiting":
        raise InvitationError(
            f"This invitation has {'been ' if state != 'expired' else ''}{state}. "
            "Ask the person who invited you to send a new one."
        )
    if signed_in_as is not None and signed_in_as.email != invitation.email:
        raise InvitationError(
            f"This invitation is for {invitation.email}, but you are signed in as "
            f"{signed_in_as.email}. Sign out, then follow the link in the email again."
        )
    person = directory_service.ensure_person(session, email=invitation.email, name=invitation.name)
    agency = session.get(Agency, invitation.agency_id) if invitation.agency_id else None
    directory_service.ensure_membership(
        session,
        person=person,
        partnership=invitation.partnership,
        role=invitation.role,
        agency=agency,
    )
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = person.id
    session.flush()
    auth_service.record_event(
        session,
        actor=person,
        action="invitation_accepted",
        object_type="invitation",
        object_id=invitation.id,
        client_address=client_address,
        request_id=request_id,
    )
    auth_service.record_event(
        session,
        actor=person,
        action="role_change",
        object_type="person",
        object_id=person.id,
        detail={
            "granted": invitation.role.value,
            "partnership_id": invitation.partnership_id,
            "agency_id": invitation.agency_id,
        },
    )
    loaded = directory_service.get_person(session, person_id=person.id)
    assert loaded is not None
    return loaded


def waiting_invitation_for(session: Session, email: str) -> Invitation | None:
    try:
        address = directory_service.normalise_email(email)
    except directory_service.DirectoryError:
        return None
    invitation_id = session.scalar(
        select(Invitation.id)
        .where(
            Invitation.email == address,
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at.desc())
        .limit(1)
    )
    return _load_invitation(session, invitation_id) if invitation_id else None
