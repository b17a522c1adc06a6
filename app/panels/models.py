"""Panel sessions with their slots and members, declared conflicts of interest, each member's
scores, the ratings the panel agreed and the feedback issued to the agency.

A scored item is a question or a section the questionnaire marks `scored_by_panel`; its key
is "question:<id>" or "section:<id>", so scores survive a change of slot or session.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class MeetingMode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"

    @property
    def label(self) -> str:
        return "In person" if self is MeetingMode.IN_PERSON else "Online"


class PanelSession(Base):
    """One sitting of a panel: a day's meeting, cut into slots of one agency each."""

    __tablename__ = "panel_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    slot_minutes: Mapped[int] = mapped_column(Integer)
    mode: Mapped[MeetingMode] = mapped_column(
        Enum(
            MeetingMode,
            native_enum=False,
            length=20,
            values_callable=lambda members: [member.value for member in members],
        )
    )
    location: Mapped[str | None] = mapped_column(String(300))
    meeting_link: Mapped[str | None] = mapped_column(String(500))
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None]  # when the chair opened the meeting
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PanelMember(Base):
    """A steering group member sitting on a session, and the agency they come from."""

    __tablename__ = "panel_member"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("panel_session.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id", ondelete="SET NULL"))


class PanelSlot(Base):
    """A time in a session for one agency's return."""

    __tablename__ = "panel_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("panel_session.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    return_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency_return.id", ondelete="SET NULL"), unique=True
    )


class CalendarSequence(Base):
    """The last SEQUENCE sent for one calendar entry: each update or cancellation must carry a
    higher one, or calendars ignore it (RFC 5545)."""

    __tablename__ = "calendar_sequence"

    uid: Mapped[str] = mapped_column(String(120), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)


class ConflictOfInterest(Base):
    """A member's declared interest in an agency other than their own: they never score it."""

    __tablename__ = "conflict_of_interest"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("person_id", "agency_id"),)


class PanelScore(Base):
    """One member's view of one scored item of a return, before the meeting."""

    __tablename__ = "panel_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("agency_return.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(80))
    rating: Mapped[int | None] = mapped_column(Integer)
    strengths: Mapped[str] = mapped_column(Text, default="")
    worries: Mapped[str] = mapped_column(Text, default="")
    lines_of_enquiry: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("return_id", "person_id", "item"),)


class ScoreSheet(Base):
    """A member's scores of one return, submitted: from then on they see colleagues' scores."""

    __tablename__ = "score_sheet"

    return_id: Mapped[int] = mapped_column(
        ForeignKey("agency_return.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgreedRating(Base):
    """The rating the panel agreed with the agency for one scored item, as the chair put it."""

    __tablename__ = "agreed_rating"

    return_id: Mapped[int] = mapped_column(
        ForeignKey("agency_return.id", ondelete="CASCADE"), primary_key=True
    )
    item: Mapped[str] = mapped_column(String(80), primary_key=True)
    rating: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    agreed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """Feedback issued to the agency after its panel: the page it reads and the email it got."""

    __tablename__ = "panel_feedback"

    return_id: Mapped[int] = mapped_column(
        ForeignKey("agency_return.id", ondelete="CASCADE"), primary_key=True
    )
    strengths: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
