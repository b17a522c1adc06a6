"""Claims that let a scheduled job run on several hosts at once and still apply once.

A job locks its claim row for the length of its transaction; the second waits, then finds
nothing left to do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class OperationClaim(Base):
    __tablename__ = "operation_claim"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))  # host and process id
