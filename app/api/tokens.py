"""API tokens: made by a partnership's coordinators, shown once, checked on every feed request.

Never stores or logs a token itself, only its hash; a revoked or expired token reads nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.models import ApiToken, TokenScope
from app.audit import service as audit_service
from app.db import aware, utcnow
from app.directory.models import Partnership, Person, Role

PREFIX = "s11_"  # so a token pasted somewhere it should not be is recognisable
LONGEST_LIFETIME = timedelta(days=366)
NAME_LENGTH = 100
LAST_USED_RESOLUTION = timedelta(minutes=1)  # a token's use is written at most once a minute


class TokenError(ValueError):
    """A token that cannot be made, with a message for the coordinator."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def coordinates(person: Person, partnership: Partnership | None) -> bool:
    """Only the partnership's own coordinators make and revoke its tokens."""
    return partnership is not None and any(
        m.role is Role.COORDINATOR and m.partnership_id == partnership.id
        for m in person.memberships
    )


def check_token(*, name: str, expires_on: date | None, scope: str, today: date) -> dict[str, str]:
    """What is wrong with a token's details, by field, in the words the page shows."""
    errors = {}
    if not name.strip():
        errors["name"] = "Enter a name, such as the report or the analyst it is for"
    elif len(name.strip()) > NAME_LENGTH:
        errors["name"] = f"The name must be {NAME_LENGTH} characters or fewer"
    if expires_on is None:
        errors["expires_on"] = "Enter the date the token stops working, like 31 3 2027"
    elif expires_on <= today:
        errors["expires_on"] = "The date the token stops working must be in the future"
    elif expires_on > today + LONGEST_LIFETIME - timedelta(days=1):
        errors["expires_on"] = "A token works for a year at most: choose an earlier date"
    if scope not in {s.value for s in TokenScope}:
        errors["scope"] = "Choose what the token reads"
    return errors


@dataclass(frozen=True)
class MadeToken:
    record: ApiToken
    token: str  # shown to the coordinator once, never again


def create_token(
    session: Session,
    *,
    actor: Person,
    partnership: Partnership,
    name: str,
    expires_on: date,
    scope: TokenScope,
    client_address: str | None = None,
) -> MadeToken:
    """A new token for the partnership's feed; it stops working at the start of `expires_on`."""
    errors = check_token(name=name, expires_on=expires_on, scope=scope, today=utcnow().date())
    if errors:
        raise TokenError(next(iter(errors.values())))
    if not coordinates(actor, partnership):
        raise TokenError("Only the partnership's coordinators make its tokens")
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        partnership_id=partnership.id,
        name=name.strip(),
        token_hash=_hash(token),
        scope=scope,
        created_by_id=actor.id,
        created_at=utcnow(),
        expires_at=datetime.combine(expires_on, time(), tzinfo=UTC),
        uses_that_day=0,
    )
    session.add(record)
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="api_token_created",
        object_type="api_token",
        object_id=record.id,
        client_address=client_address,
        detail={
            "name": record.name,
            "scope": scope.value,
            "partnership_id": partnership.id,
            "expires_on": expires_on.isoformat(),
        },
    )
    return MadeToken(record, token)


@dataclass(frozen=True)
class ListedToken:
    record: ApiToken
    created_by: str
    state: str  # "active", "expired" or "revoked"


def tokens_of(session: Session, *, partnership: Partnership) -> list[ListedToken]:
    """The partnership's tokens, newest first, with who made each (by name only)."""
    now = utcnow()
    rows = session.execute(
        select(ApiToken, Person.name)
        .outerjoin(Person, Person.id == ApiToken.created_by_id)
        .where(ApiToken.partnership_id == partnership.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return [
        ListedToken(record, creator or "Someone since removed", _state(record, now))
        for record, creator in rows
    ]


def _state(record: ApiToken, now: datetime) -> str:
    if record.revoked_at is not None:
        return "revoked"
    if aware(record.expires_at) <= now:
        return "expired"
    return "active"


def token_of(session: Session, *, partnership: Partnership, token_id: int) -> ApiToken | None:
    """One of the partnership's tokens; another partnership's is not found."""
    return session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.partnership_id == partnership.id)
    )


def revoke_token(
    session: Session, *, actor: Person, record: ApiToken, client_address: str | None = None
) -> bool:
    """Stop the token working from the next request; False if it had already been revoked."""
    if record.revoked_at is not None:
        return False
    record.revoked_at = utcnow()
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="api_token_revoked",
        object_type="api_token",
        object_id=record.id,
        client_address=client_address,
        detail={"name": record.name, "partnership_id": record.partnership_id},
    )
    return True


@dataclass(frozen=True)
class Reader:
    """Who is reading the feed: plain values, safe to carry into a streamed response."""

    token_id: int
    token_hash: str
    partnership_id: int
    scope: TokenScope


def reader_for(
    session: Session, *, token: str, client_address: str | None = None, now: datetime | None = None
) -> Reader | None:
    """The reader behind a token, counting the use; None for an unknown, revoked or expired
    token (the caller says no more than that, so a guess learns nothing)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    now = now or utcnow()
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if record is None or _state(record, now) != "active":
        return None
    _count_use(session, record, now, client_address)
    return Reader(record.id, record.token_hash, record.partnership_id, record.scope)


# Requests counted in this process and not yet written: a token's row is written at most once
# a minute, as a write (and its commit) on every request cost a JSON page more than reading it.
_WAITING: dict[str, int] = {}  # by token hash: ids are reused after a rollback
_WAITING_LOCK = threading.Lock()


def _count_use(
    session: Session, record: ApiToken, now: datetime, client_address: str | None
) -> None:
    """One audit line a day a token is used, carrying the count of the day it last was."""
    with _WAITING_LOCK:
        uses = _WAITING.pop(record.token_hash, 0) + 1
    today = now.date()
    if record.used_on != today:
        audit_service.record_event(
            session,
            actor=None,
            action="api_token_used",
            object_type="api_token",
            object_id=record.id,
            client_address=client_address,
            detail={
                "day": today.isoformat(),
                "partnership_id": record.partnership_id,
                "previous_day": record.used_on.isoformat() if record.used_on else None,
                # Uses counted here but not yet written belong to the day before.
                "previous_day_requests": record.uses_that_day + uses - 1 if record.used_on else 0,
            },
        )
        record.used_on, record.uses_that_day, record.last_used_at = today, 1, now
        session.flush()
        return
    if record.last_used_at is None or now - aware(record.last_used_at) >= LAST_USED_RESOLUTION:
        record.uses_that_day += uses
        record.last_used_at = now
        session.flush()
        return
    with _WAITING_LOCK:
        _WAITING[record.token_hash] = _WAITING.get(record.token_hash, 0) + uses


class RateLimiter:
    """Requests per token in a sliding window, in this process: a runaway refresh slows down
    without holding up anyone else (each app process counts its own)."""

    def __init__(
        self, *, limit: int, window_seconds: float, clock: Callable[[], float] = monotonic
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float | None:
        """None when allowed (and counted); otherwise the seconds to wait."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.0, hits[0] + self.window - now)
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle tokens rather than grow without end
                for idle in [k for k, v in self._hits.items() if not v]:
                    del self._hits[idle]
            return None
