"""Sign-in rules: who may start a session, and the audit trail of sign-ins and sign-outs.

It never touches cookies or HTTP; routes keep the session, this decides and records.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.models import RateLimitHit, SignInSession
from app.db import utcnow
from app.directory import service as directory_service
from app.directory.models import Person

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
    audit_service.record_event(
        session,
        actor=person,
        action="sign_in",
        object_type="person",
        object_id=person.id,
        client_address=client_address,
        request_id=request_id,
        detail={"method": "development"},
    )
    return person


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


def resume_session(
    session: Session, *, token: str, idle: timedelta, now: datetime | None = None
) -> ResumedSession | SessionEnd:
    """The person behind a session token, or why the session no longer works."""
    now = now or utcnow()
    record = session.scalar(
        select(SignInSession).where(SignInSession.token_hash == token_hash(token))
    )
    if record is None:
        return SessionEnd.UNKNOWN
    if record.revoked_at is not None:
        return SessionEnd.REVOKED
    if _aware(record.expires_at) <= now:
        return SessionEnd.EXPIRED
    if _aware(record.last_seen_at) + idle <= now:
        return SessionEnd.IDLE
    person = directory_service.get_person(session, person_id=record.person_id)
    if person is None:
        return SessionEnd.UNKNOWN
    if now - _aware(record.last_seen_at) >= LAST_SEEN_RESOLUTION:
        record.last_seen_at = now
        session.flush()
    return ResumedSession(record, person, _aware(record.last_seen_at) + idle)


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


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything s11 stores is UTC.
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
