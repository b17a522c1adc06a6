"""Questionnaire drafts: a partnership's questionnaire being written in the browser, kept as the
format's data until it is published as a frozen version. Never holds a published version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class QuestionnaireDraft(Base):
    __tablename__ = "questionnaire_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Drafts are a partnership's own: no other partnership sees them, even by id.
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    # The questionnaire as the YAML format's data (what Questionnaire.model_dump gives).
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Optimistic concurrency: an edit names the revision it read and is refused when another
    # coordinator saved first, as answers are.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Where it started ("norfolk-section11 version 2021", "a blank questionnaire", a file name).
    started_from: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # Set once it is published: the draft stays for the record, no longer editable.
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("questionnaire_version.id", ondelete="SET NULL")
    )
