"""Every email s11 sends, recorded before it goes: to whom, what, when, and what happened.

A message the mail server refused stays here as failed, for a retry and for the coordinator.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class SendStatus(StrEnum):
    QUEUED = "queued"  # recorded, not yet handed to the mail server
    SENT = "sent"
    FAILED = "failed"  # refused; retried until MAX_ATTEMPTS
    # Failed, then its link stopped working (a newer invitation, say): never sent again.
    WITHDRAWN = "withdrawn"


class SentEmail(Base):
    __tablename__ = "sent_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))  # invitation, reminder, receipt, …
    to: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    # A panel invitation's .ics, kept so that a retry sends the meeting, not only its text.
    calendar: Mapped[str | None] = mapped_column(Text)
    status: Mapped[SendStatus] = mapped_column(
        Enum(
            SendStatus,
            native_enum=False,
            length=10,
            values_callable=lambda members: [member.value for member in members],
        ),
        default=SendStatus.QUEUED,
        index=True,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
