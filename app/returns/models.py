"""Returns, answers and every revision of every answer.

An answer row carries a version for optimistic concurrency; each change also appends a
revision (who, when, old, new), so nothing anyone typed is ever lost.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class ReturnStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    AWAITING_SIGN_OFF = "awaiting_sign_off"
    SUBMITTED = "submitted"
    AT_PANEL = "at_panel"
    FEEDBACK_ISSUED = "feedback_issued"
    ACTION_PLAN_AGREED = "action_plan_agreed"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        if self is ReturnStatus.AWAITING_SIGN_OFF:
            return "Awaiting senior sign-off"
        return self.value.replace("_", " ").capitalize()

    @property
    def editable(self) -> bool:
        return self in (ReturnStatus.NOT_STARTED, ReturnStatus.IN_PROGRESS)


# The one place that says how a return may move; every move is an audit event.
# Where a cycle asks for senior sign-off, the lead's submission waits for a named senior
# officer's confirmation; the officer may send it back instead.
ALLOWED_MOVES: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    ReturnStatus.NOT_STARTED: frozenset({ReturnStatus.IN_PROGRESS}),
    ReturnStatus.IN_PROGRESS: frozenset({ReturnStatus.SUBMITTED, ReturnStatus.AWAITING_SIGN_OFF}),
    ReturnStatus.AWAITING_SIGN_OFF: frozenset({ReturnStatus.SUBMITTED, ReturnStatus.IN_PROGRESS}),
    # A coordinator may reopen a submitted return, with a reason.
    ReturnStatus.SUBMITTED: frozenset({ReturnStatus.IN_PROGRESS, ReturnStatus.AT_PANEL}),
    # Taken off a panel's agenda before feedback, it waits for another slot.
    ReturnStatus.AT_PANEL: frozenset({ReturnStatus.FEEDBACK_ISSUED, ReturnStatus.SUBMITTED}),
    ReturnStatus.FEEDBACK_ISSUED: frozenset({ReturnStatus.ACTION_PLAN_AGREED}),
    ReturnStatus.ACTION_PLAN_AGREED: frozenset({ReturnStatus.CLOSED}),
    ReturnStatus.CLOSED: frozenset(),
}


class AgencyReturn(Base):
    __tablename__ = "agency_return"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    # The cycle's version, or its sector's, fixed when the return was opened.
    questionnaire_version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_version.id", ondelete="RESTRICT")
    )
    status: Mapped[ReturnStatus] = mapped_column(
        Enum(
            ReturnStatus,
            native_enum=False,
            length=30,
            values_callable=lambda members: [member.value for member in members],
        ),
        default=ReturnStatus.NOT_STARTED,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    # The senior officer who confirmed the submission, as they gave their name and role.
    signed_off_name: Mapped[str | None] = mapped_column(String(200))
    signed_off_role: Mapped[str | None] = mapped_column(String(200))
    signed_off_at: Mapped[datetime | None]
    # A later deadline for this agency alone, and why the coordinator gave it.
    deadline_extended_to: Mapped[date | None]
    extension_reason: Mapped[str | None] = mapped_column(Text)
    invited_at: Mapped[datetime | None]  # when the lead was last sent the round's invitation

    __table_args__ = (UniqueConstraint("cycle_id", "agency_id"),)


class Answer(Base):
    __tablename__ = "answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("agency_return.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(60))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("return_id", "question_id"),)


class AnswerRevision(Base):
    """Append-only: one row per change of an answer."""

    __tablename__ = "answer_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where the change came from when not typed online, e.g. "workbook" (uploaded offline).
    source: Mapped[str | None] = mapped_column(String(20))


class EvidenceFile(Base):
    """A file attached to one question of a return, stored on disk under a generated name."""

    __tablename__ = "evidence_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("agency_return.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(60))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(200))  # made safe, with the right extension
    kind: Mapped[str] = mapped_column(String(20))  # what its content showed it to be
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignOffRequest(Base):
    """A lead's request that a named senior officer confirm the return; the link is single-use
    and only its hash is kept, like a sign-in link."""

    __tablename__ = "sign_off_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("agency_return.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    officer_name: Mapped[str] = mapped_column(String(200))
    officer_role: Mapped[str] = mapped_column(String(200))
    officer_email: Mapped[str] = mapped_column(String(320))
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(20))  # "confirmed" or "sent back"
    comment: Mapped[str | None] = mapped_column(String(2000))
