"""Sign-in rules: who may start a session, and the audit trail of sign-ins and sign-outs.

It never touches cookies or HTTP; routes keep the session, this decides and records.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session, joinedload

from app.audit import service as audit_service
from app.auth.models import (
    Invitation,
    PersonIdentity,
    RateLimitHit,
    SignInLink,
    SignInSession,
)
from app.db import aware, utcnow
from app.directory import service as directory_service
from app.directory.models import Agency, Partnership, Person, Role
from app.notifications.mail import Email

# Writing last_seen_at on every request would make every page view a database write.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


class SignInError(ValueError):
    """A sign-in that cannot go ahead, with a message fit for the error summary."""


def sign_in_demo_person(
    session: Session, *, person_id: int | None, client_address: str | None, request_id: str | None
) -> Person:
    """Development only: start a session as one of the demo people."""
    person = (
        None if person_id is None else directory_service.get_person(session, person_id=person_id)
    )
    if person is None or not (person.memberships or person.is_admin):
        raise SignInError("Select the demo person you want to sign in as")
    record_sign_in(
        session,
        person=person,
        method="development",
        client_address=client_address,
        request_id=request_id,
    )
    return person


def record_sign_in(
    session: Session,
    *,
    person: Person,
    method: str,
    client_address: str | None,
    request_id: str | None,
    **detail: str,
) -> None:
    audit_service.record_event(
        session,
        actor=person,
        action="sign_in",
        object_type="person",
        object_id=person.id,
        client_address=client_address,
        request_id=request_id,
        detail={"method": method, **detail},
    )


def record_sign_out(
    session: Session, *, person: Person, client_address: str | None, request_id: str | None
) -> None:
    audit_service.record_event(
        session,
        actor=person,
        action="sign_out",
        object_type="person",
        object_id=person.id,
        client_address=client_address,
        request_id=request_id,
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start_session(
    session: Session,
    *,
    person: Person,
    method: str,
    lifetime: timedelta,
    client_address: str | None,
    user_agent: str | None,
) -> str:
    """A new server-side session; returns the token the browser keeps (never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        SignInSession(
            token_hash=token_hash(token),
            person_id=person.id,
            method=method,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            client_address=client_address,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    session.flush()
    return token


class SessionEnd(StrEnum):
    UNKNOWN = "unknown"
    IDLE = "idle"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class ResumedSession:
    record: SignInSession
    person: Person
    idle_deadline: datetime


# The session and its person with their roles, in one statement built once: every signed-in
# request runs it, and building a statement with its loader options costs more than running it.
_SESSION_AND_PERSON = (
    select(SignInSession, Person)
    .join(Person, Person.id == SignInSession.person_id)
    .where(SignInSession.token_hash == bindparam("token_hash"))
    .options(directory_service.with_roles())
)


def resume_session(
    session: Session, *, token: str, idle: timedelta, now: datetime | None = None
) -> ResumedSession | SessionEnd:
    """The person behind a session token, or why the session no longer works."""
    now = now or utcnow()
    row = session.execute(_SESSION_AND_PERSON, {"token_hash": token_hash(token)}).unique().first()
    if row is None:  # unknown, or its person was removed (their sessions go with them)
        return SessionEnd.UNKNOWN
    record, person = row
    if record.revoked_at is not None:
        return SessionEnd.REVOKED
    if aware(record.expires_at) <= now:
        return SessionEnd.EXPIRED
    if aware(record.last_seen_at) + idle <= now:
        return SessionEnd.IDLE
    if now - aware(record.last_seen_at) >= LAST_SEEN_RESOLUTION:
        record.last_seen_at = now
        session.flush()
    return ResumedSession(record, person, aware(record.last_seen_at) + idle)


def keep_session_alive(session: Session, *, record: SignInSession) -> None:
    record.last_seen_at = utcnow()
    session.flush()


def end_session(session: Session, *, token: str) -> None:
    session.execute(
        update(SignInSession)
        .where(SignInSession.token_hash == token_hash(token), SignInSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_sessions_of(session: Session, *, person: Person) -> int:
    result = session.execute(
        update(SignInSession)
        .where(SignInSession.person_id == person.id, SignInSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


def within_rate_limit(session: Session, *, key: str, limit: int, window: timedelta) -> bool:
    """Count an attempt against `key`; False once more than `limit` fall within `window`."""
    now = utcnow()
    session.execute(delete(RateLimitHit).where(RateLimitHit.occurred_at < now - timedelta(days=1)))
    recent = session.scalar(
        select(func.count())
        .select_from(RateLimitHit)
        .where(RateLimitHit.key == key, RateLimitHit.occurred_at >= now - window)
    )
    if (recent or 0) >= limit:
        return False
    session.add(RateLimitHit(key=key, occurred_at=now))
    session.flush()
    return True


# Email sign-in links ------------------------------------------------------------------------

SIGN_IN_LINK_LIFETIME = timedelta(minutes=15)


def may_sign_in(person: Person) -> bool:
    """Only people with a role (or site administrators) can sign in: no self-registration."""
    return person.is_admin or bool(person.memberships)


def _checked_email(email: str, error: type[ValueError] = SignInError) -> str:
    try:
        return directory_service.normalise_email(email)
    except directory_service.DirectoryError:
        raise error("Enter an email address in the correct format, like name@example.org") from None


def request_sign_in_link(session: Session, *, email: str, base_url: str) -> Email | None:
    """The email to send, or None for an address with no access (the page says the same)."""
    address = _checked_email(email)
    person_id = session.scalar(select(Person.id).where(Person.email == address))
    person = directory_service.get_person(session, person_id=person_id) if person_id else None
    if person is None or not may_sign_in(person):
        return None
    token = secrets.token_urlsafe(32)
    session.add(
        SignInLink(
            token_hash=token_hash(token),
            person_id=person.id,
            expires_at=utcnow() + SIGN_IN_LINK_LIFETIME,
        )
    )
    session.flush()
    link = f"{base_url.rstrip('/')}/sign-in/email/{token}"
    return Email(
        to=address,
        subject="Your link to sign in to s11",
        body=(
            f"Hello {person.name},\n\n"
            f"Use this link to sign in to s11, the Section 11 self-assessment service:\n\n"
            f"{link}\n\n"
            "The link works once, for 15 minutes. If you did not ask for it, you can ignore this "
            "email: nobody can sign in without the link.\n"
        ),
    )


def use_sign_in_link(
    session: Session, *, token: str, client_address: str | None, request_id: str | None
) -> Person:
    """Spend a sign-in link: once only, within 15 minutes."""
    now = utcnow()
    hashed = token_hash(token)
    # One UPDATE that only succeeds for an unused, unexpired link: two clicks at the same
    # moment cannot both sign in.
    spent = session.execute(
        update(SignInLink)
        .where(
            SignInLink.token_hash == hashed,
            SignInLink.used_at.is_(None),
            SignInLink.expires_at > now,
        )
        .values(used_at=now)
    )
    person = None
    if spent.rowcount == 1:
        person_id = session.scalar(
            select(SignInLink.person_id).where(SignInLink.token_hash == hashed)
        )
        person = directory_service.get_person(session, person_id=person_id) if person_id else None
    if person is None or not may_sign_in(person):
        record_failed_sign_in(
            session,
            method="email_link",
            reason="expired, used or unknown link",
            client_address=client_address,
            request_id=request_id,
        )
        raise SignInError(
            "This sign-in link has expired or has already been used. Ask for a new one below."
        )
    record_sign_in(
        session,
        person=person,
        method="email_link",
        client_address=client_address,
        request_id=request_id,
    )
    return person


def record_failed_sign_in(
    session: Session,
    *,
    method: str,
    reason: str,
    client_address: str | None,
    request_id: str | None,
    email: str | None = None,
) -> None:
    audit_service.record_event(
        session,
        actor=None,
        action="sign_in_failed",
        client_address=client_address,
        request_id=request_id,
        detail={"method": method, "reason": reason, "email": email},
    )


# Invitations --------------------------------------------------------------------------------

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
            f"{inviter} has invited you to the {invitation.partnership.name}'s Section 11 "
            f"self-assessment service, s11, as {role}{where}.\n\n"
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
    address = _checked_email(email, InvitationError)
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
        token_hash=token_hash(token),
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
    audit_service.record_event(
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
    audit_service.record_event(
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
    invitation.token_hash = token_hash(token)
    invitation.sent_at = utcnow()
    invitation.expires_at = utcnow() + INVITATION_LIFETIME
    session.flush()
    audit_service.record_event(
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


def find_invitation(session: Session, *, token: str) -> Invitation | None:
    invitation_id = session.scalar(
        select(Invitation.id).where(Invitation.token_hash == token_hash(token))
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
    audit_service.record_event(
        session,
        actor=person,
        action="invitation_accepted",
        object_type="invitation",
        object_id=invitation.id,
        client_address=client_address,
        request_id=request_id,
    )
    audit_service.record_event(
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


def choose_partnership(
    session: Session, *, person: Person, record: SignInSession, partnership_id: int | None
) -> Partnership | None:
    """Switch the partnership the person works in, if they have a role there."""
    for membership in person.memberships:
        if membership.partnership_id == partnership_id:
            record.active_partnership_id = partnership_id
            session.flush()
            return membership.partnership
    return None


# OpenID Connect -----------------------------------------------------------------------------


def sign_in_with_oidc(
    session: Session,
    *,
    issuer: str,
    subject: str,
    email: str | None,
    email_verified: bool,
    client_address: str | None,
    request_id: str | None,
) -> Person:
    """Match the provider's account by (issuer, subject); on a first sign-in, a verified
    email address may claim a waiting invitation, and nothing else."""
    person_id = session.scalar(
        select(PersonIdentity.person_id).where(
            PersonIdentity.issuer == issuer, PersonIdentity.subject == subject
        )
    )
    person = directory_service.get_person(session, person_id=person_id) if person_id else None
    if person is None and email and email_verified:
        invitation = _waiting_invitation_for(session, email)
        if invitation is not None:
            person = accept_invitation(
                session,
                invitation=invitation,
                signed_in_as=None,
                client_address=client_address,
                request_id=request_id,
            )
            session.add(PersonIdentity(person_id=person.id, issuer=issuer, subject=subject))
            session.flush()
    if person is None or not may_sign_in(person):
        record_failed_sign_in(
            session,
            method="oidc",
            reason="no invitation for this account",
            client_address=client_address,
            request_id=request_id,
            email=email,
        )
        raise SignInError(
            "Your organisation's account has not been invited to s11. Ask your partnership's "
            "business unit for an invitation, or sign in with a link sent by email."
        )
    record_sign_in(
        session,
        person=person,
        method="oidc",
        client_address=client_address,
        request_id=request_id,
        issuer=issuer,
    )
    return person


def _waiting_invitation_for(session: Session, email: str) -> Invitation | None:
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
