"""A cycle's frontline survey, its anonymous links and the responses they bring in.

Never store who answered: no person, no address, no browser, and the day only, not the time.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

# No group smaller than this is ever shown, whatever a partnership chooses.
MINIMUM_GROUP = 5
# A green self-rating meeting less staff agreement than this (per cent) is flagged; an amber
# one, less than the second. Defaults for a new survey; each survey keeps its own.
GREEN_BELOW = 60
AMBER_BELOW = 40


class Survey(Base):
    """The frontline survey of one cycle, on a published frontline_survey questionnaire."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), unique=True)
    questionnaire_version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_version.id", ondelete="RESTRICT")
    )
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    # Closed early by a coordinator: links stop working at once.
    closed_at: Mapped[datetime | None]
    # The divergence rule's thresholds (per cent agreeing), the cycle's own settings.
    green_below: Mapped[int] = mapped_column(Integer, default=GREEN_BELOW)
    amber_below: Mapped[int] = mapped_column(Integer, default=AMBER_BELOW)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("closes_on >= opens_on", name="closes_after_opening"),
        CheckConstraint(
            "green_below BETWEEN 0 AND 100 AND amber_below BETWEEN 0 AND 100",
            name="thresholds_are_percentages",
        ),
    )


class SurveyLink(Base):
    """A random link to the survey: one per agency (agency set), or the general link that asks
    which agency the person works for. A replaced link stops working."""

    __tablename__ = "survey_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # How many frontline staff the agency has, as its lead gave it: the base for response rates.
    staff_number: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    replaced_at: Mapped[datetime | None]


class SurveyResponse(Base):
    """One person's answers, kept with their agency and the day only."""

    __tablename__ = "survey_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    submitted_on: Mapped[date]


class SurveyAnswer(Base):
    """One answer of a response: a choice (a level, yes/no, an option) or free text."""

    __tablename__ = "survey_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(60))
    choice: Mapped[str | None] = mapped_column(String(60))
    text: Mapped[str | None] = mapped_column(Text)
