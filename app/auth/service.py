"""Sign-in rules: who may start a session, and the audit trail of sign-ins and sign-outs.

It never touches cookies or HTTP; routes keep the session, this decides and records.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from app.auth.models import (
    RateLimitHit,
    SignInLink,
    SignInSession,
)
from app.db import aware, utcnow
from app.directory import service as directory_service
from app.directory.models import Partnership, Person
from app.notifications.mail import Email

# Writing last_seen_at on every request would make every page view a database write.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)

# The audit log sits above auth (its page needs the access policy), so auth names it not:
# app/audit/__init__.py hands in its writer, and sign-ins and invitations go through it.
AUDIT_WRITERS: list[Callable[..., object]] = []


def record_event(session: Session, **event: object) -> None:
    """Append an audit event (app.audit.service.record_event's arguments); never dropped."""
    if not AUDIT_WRITERS:
        raise RuntimeError("the audit log is not loaded: import app.audit before signing in")
    for write in AUDIT_WRITERS:
        write(session, **event)


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
    record_event(
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
    record_event(
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


def checked_email(email: str, error: type[ValueError] = SignInError) -> str:
    try:
        return directory_service.normalise_email(email)
    except directory_service.DirectoryError:
        raise error("Enter an email address in the correct format, like name@example.org") from None


def request_sign_in_link(session: Session, *, email: str, base_url: str) -> Email | None:
    """The email to send, or None for an address with no access (the page says the same)."""
    address = checked_email(email)
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
    record_event(
        session,
        actor=None,
        action="sign_in_failed",
        client_address=client_address,
        request_id=request_id,
        detail={"method": method, "reason": reason, "email": email},
    )


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
