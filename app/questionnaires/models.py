"""Published questionnaire versions: the frozen snapshot every return renders from.

A row is written once and never updated: a changed questionnaire is a new version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, utcnow


class FrozenVersionError(RuntimeError):
    """Something tried to change a published questionnaire version."""


class QuestionnaireVersion(Base):
    __tablename__ = "questionnaire_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(60))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    audience: Mapped[str] = mapped_column(String(30))
    # The kind of board it is for ("children" or "adults"): the cycle form offers a partnership
    # only its own kind's, and the library lists it without reading the deferred content.
    board: Mapped[str] = mapped_column(String(20), default="children", server_default="children")
    # The whole questionnaire as checked, defaults filled in: returns render from this.
    # Parsed once per process by service.snapshot (keyed by sha256), so rarely read: deferred.
    content: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    # The partnership that uploaded it, whose own it is; None for the library shipped with s11
    # (and files published on the server's shell), which every partnership may use.
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership.id", ondelete="RESTRICT"), index=True
    )

    __table_args__ = (UniqueConstraint("questionnaire_id", "version"),)


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_published_versions(session: Session, _context: Any, _instances: Any) -> None:
    for instance in session.dirty:
        if isinstance(instance, QuestionnaireVersion) and session.is_modified(instance):
            raise FrozenVersionError(
                f"{instance.questionnaire_id} version {instance.version} is published and "
                "cannot change; publish a new version instead"
            )
    for instance in session.deleted:
        if isinstance(instance, QuestionnaireVersion):
            raise FrozenVersionError("a published questionnaire version is never deleted")
