"""Server-side sign-in sessions and the rate-limit ledger for sign-in attempts.

The browser holds only a random session token; the row here decides whether it still works,
so a session can be revoked, timed out or ended by removing the person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class SignInSession(Base):
    __tablename__ = "sign_in_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the token in the cookie: a copy of the table does not let anyone sign in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    active_partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership.id", ondelete="SET NULL")
    )
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class RateLimitHit(Base):
    """One attempt counted against a limit, e.g. sign-in requests from one client address."""

    __tablename__ = "rate_limit_hit"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_rate_limit_hit_key_occurred_at", "key", "occurred_at"),)
