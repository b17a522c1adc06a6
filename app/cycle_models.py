"""Cycles: one round of Section 11 returns on a questionnaire version frozen when it opens.

A cycle may be run jointly by several partnerships (one return per agency, seen by each).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from app.directory.models import AgencySector, sector_column

# Norfolk's, as its 2021 round set them (reference/): new cycles start from these.
NORFOLK_PRIORITIES = (
    "Neglect",
    "Child exploitation and vulnerable adolescents",
    "Protecting babies",
    "Trauma-informed leadership",
)
NORFOLK_THEMES = (
    "Professional curiosity",
    "Fora for discussion and information sharing",
    "Collaborative working",
    "Accountability and management grip",
)
DEFAULT_REMINDER_DAYS = (14, 7, 1)


class Cycle(Base):
    __tablename__ = "cycle"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    questionnaire_version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_version.id", ondelete="RESTRICT")
    )
    opens_on: Mapped[date]
    deadline_on: Mapped[date]
    senior_sign_off_required: Mapped[bool] = mapped_column(Boolean, default=False)
    panel_starts_on: Mapped[date | None]
    panel_ends_on: Mapped[date | None]
    priorities: Mapped[list[str]] = mapped_column(JSON, default=list)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Days before an agency's deadline when those who have not submitted are reminded.
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    guidance: Mapped[str] = mapped_column(Text, default="")  # goes in each invitation email
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When retention deleted the cycle's evidence files and answer histories (scores,
    # recommendations and actions stay): a later run passes it by.
    retention_applied_at: Mapped[datetime | None]


class CyclePartnership(Base):
    """A partnership taking part in a cycle; joint cycles have several."""

    __tablename__ = "cycle_partnership"

    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("cycle.id", ondelete="CASCADE"), primary_key=True
    )
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CycleSectorQuestionnaire(Base):
    """A different questionnaire for one sector in this cycle, e.g. a lighter voluntary tool."""

    __tablename__ = "cycle_sector_questionnaire"

    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("cycle.id", ondelete="CASCADE"), primary_key=True
    )
    sector: Mapped[AgencySector] = mapped_column(sector_column(), primary_key=True)
    questionnaire_version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_version.id", ondelete="RESTRICT")
    )


class ReminderSent(Base):
    """One reminder point reached for one return: the key makes a second send impossible,
    however many hosts run `s11 send-reminders` at once."""

    __tablename__ = "reminder_sent"

    return_id: Mapped[int] = mapped_column(
        ForeignKey("agency_return.id", ondelete="CASCADE"), primary_key=True
    )
    days_before: Mapped[int] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
