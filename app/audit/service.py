"""Writing audit events: one function, called by every service whose change matters.

It only appends; an audit event is never edited or removed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.directory.models import Person


def record_event(
    session: Session,
    *,
    actor: Person | None,
    action: str,
    object_type: str | None = None,
    object_id: object | None = None,
    client_address: str | None = None,
    request_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        client_address=client_address,
        request_id=request_id,
        detail=detail,
    )
    session.add(event)
    session.flush()
    return event


def recent_events(session: Session, *, limit: int = 50) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))


def events_about(
    session: Session,
    *,
    actor_ids: set[int] | None,
    actor_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[AuditEvent]:
    """Events by the given people (None: everyone), newest first, optionally narrowed."""
    query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if actor_ids is not None:
        query = query.where(AuditEvent.actor_id.in_(actor_ids))
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    return list(session.scalars(query.limit(limit)))
