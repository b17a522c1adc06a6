"""Every email s11 sends, recorded before it goes: to whom, what, when, and what happened.

A message the mail server refused stays here as failed, for a retry and for the coordinator.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class SendStatus(StrEnum):
    QUEUED = "queued"  # recorded, waiting for a worker (or being handed over by one)
    SENT = "sent"  # the mail server took it: with SMTP, the last word s11 hears
    DELIVERED = "delivered"  # GOV.UK Notify says it reached the recipient's mailbox
    FAILED = "failed"  # refused; retried with backoff until MAX_ATTEMPTS
    # Failed, then its link stopped working (a newer invitation, say): never sent again.
    WITHDRAWN = "withdrawn"


class MailAction(Base):
    """One action that sent many emails at once (a bulk reminder, inviting the leads), so the
    coordinator who took it can watch those emails go out."""

    __tablename__ = "mail_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(String(200))  # "Reminders to 200 leads"
    back_to: Mapped[str] = mapped_column(String(300))  # the page the action was taken from
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SentEmail(Base):
    __tablename__ = "sent_email"
    # A worker's claim looks for what is due by status and time.
    __table_args__ = (Index("ix_sent_email_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership.id", ondelete="SET NULL"), index=True
    )
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_action.id", ondelete="SET NULL"), index=True
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
    # Not before then: a failed message's next try (backoff), a sent one's next status check.
    next_attempt_at: Mapped[datetime | None]
    # A worker's claim: no other worker takes the message until then (the lease), so a
    # worker killed mid-batch leaves its messages to be taken again, never lost.
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]
    # GOV.UK Notify's id for the message and the status it last gave (delivered, …).
    provider_id: Mapped[str | None] = mapped_column(String(64))
    provider_status: Mapped[str | None] = mapped_column(String(40))
