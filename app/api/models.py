"""API tokens: a partnership's key to its own read feed, kept only as a hash.

A token reads; it never changes anything, and it never reaches another partnership's rows.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class TokenScope(StrEnum):
    """How much of the round a token reads."""

    ROUND = "round"  # the round as the chair sees it: recommendations, actions, members' ratings
    SUMMARIES = "summaries"  # figures only: no text anyone wrote, no member's own rating

    @property
    def label(self) -> str:
        if self is TokenScope.ROUND:
            return "The whole round, as the chair sees it"
        return "Summaries only"


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # sha256 of the token: shown once when made, so a copy of the table reads nothing.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[TokenScope] = mapped_column(
        Enum(
            TokenScope,
            native_enum=False,
            length=20,
            values_callable=lambda members: [member.value for member in members],
        )
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    # Requests on the day of last use: the audit log gets one line a day, not one a request.
    used_on: Mapped[date | None]
    uses_that_day: Mapped[int] = mapped_column(Integer, default=0)
