"""Recommendations in the Signs of Safety form Norfolk uses: a worry statement, a safety goal
and next steps, each mapped to one of the cycle's priorities and Composite Action Plan themes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


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
