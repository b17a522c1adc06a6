"""Recommendations in the Signs of Safety form Norfolk uses, the agency action plans that answer
them, and the partnership's Composite Action Plan with every action's dated progress history.

A Section 11 action belongs to an agency's plan and one recommendation; an item the coordinator
adds from another source (an audit, a scrutiny, a practice review) belongs to the partnership's
plan alone. Both are `Action` rows, so the Composite Action Plan counts them the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


def _enum(kind: type[StrEnum], length: int = 30) -> Enum:
    return Enum(
        kind,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


class Recommendation(Base):
    __tablename__ = "recommendation"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("agency_return.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[str | None] = mapped_column(String(80))  # the scored item it answers, if one
    worry_statement: Mapped[str] = mapped_column(Text)
    safety_goal: Mapped[str] = mapped_column(Text)
    next_steps: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    AGREED = "agreed"

    @property
    def label(self) -> str:
        return {
            PlanStatus.DRAFT: "Draft",
            PlanStatus.SUBMITTED: "Waiting for agreement",
            PlanStatus.RETURNED: "Returned with comments",
            PlanStatus.AGREED: "Agreed",
        }[self]

    @property
    def editable(self) -> bool:
        """The agency may change its actions until the partnership agrees the plan."""
        return self in (PlanStatus.DRAFT, PlanStatus.RETURNED)


class ActionPlan(Base):
    """An agency's answer to the panel's recommendations on one return."""

    __tablename__ = "action_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("agency_return.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus), default=PlanStatus.DRAFT)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    agreed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanReview(Base):
    """Append-only: each time a coordinator agreed a plan or returned it with comments."""

    __tablename__ = "action_plan_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plan.id", ondelete="CASCADE"), index=True
    )
    agreed: Mapped[bool]
    comments: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionSource(StrEnum):
    SECTION_11 = "section_11"
    MULTI_AGENCY_AUDIT = "multi_agency_audit"
    INDEPENDENT_SCRUTINY = "independent_scrutiny"
    PRACTICE_REVIEW = "practice_review"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            ActionSource.SECTION_11: "Section 11",
            ActionSource.MULTI_AGENCY_AUDIT: "Multi-agency audit",
            ActionSource.INDEPENDENT_SCRUTINY: "Independent scrutiny",
            ActionSource.PRACTICE_REVIEW: "Safeguarding practice review",
            ActionSource.OTHER: "Other",
        }[self]


class ActionStatus(StrEnum):
    """What the owner says of an action. "Overdue" is never chosen: it is what an action not
    complete by its due date is, whatever was last said (see service.shown_status)."""

    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    COMPLETE = "complete"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Action(Base):
    __tablename__ = "action"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    # A Section 11 action: the agency's plan and the recommendation it answers.
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_plan.id", ondelete="CASCADE"), index=True
    )
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), index=True
    )
    # An item from another source: the partnership whose Composite Action Plan holds it, and
    # its own theme and priority (a Section 11 action takes its recommendation's).
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[ActionSource] = mapped_column(
        _enum(ActionSource), default=ActionSource.SECTION_11
    )
    theme: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date]
    success_measure: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ActionStatus] = mapped_column(
        _enum(ActionStatus), default=ActionStatus.NOT_STARTED
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionUpdate(Base):
    """Append-only: every status an action has had, from when, with the note given. The
    Composite Action Plan's counts at past dates are read from these rows."""

    __tablename__ = "action_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    status: Mapped[ActionStatus] = mapped_column(_enum(ActionStatus))
    note: Mapped[str] = mapped_column(Text, default="")
    # Set when the update was given in the next cycle's return, closing the loop.
    return_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency_return.id", ondelete="SET NULL")
    )
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    made_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ActionEvidence(Base):
    """A file showing progress on an action, kept like a return's evidence."""

    __tablename__ = "action_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    update_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_update.id", ondelete="SET NULL")
    )
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionReminderSent(Base):
    """Which due-soon reminders went out, so that no two hosts send one twice."""

    __tablename__ = "action_reminder_sent"

    action_id: Mapped[int] = mapped_column(
        ForeignKey("action.id", ondelete="CASCADE"), primary_key=True
    )
    days_before: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
