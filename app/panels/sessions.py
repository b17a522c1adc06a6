"""A panel session as the other panel files read it: its slots, its members, its times in
London, and the refusal every rule shares. Never changes a session; scheduling.py does that."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.cycle_models import Cycle
from app.db import aware, utcnow
from app.directory.models import Agency, Partnership, Person, Role
from app.panels.models import PanelMember, PanelSession, PanelSlot

LONDON = ZoneInfo("Europe/London")


class PanelError(ValueError):
    """A change the panel's rules refuse, with a message fit for the page."""


def london(moment: datetime) -> datetime:
    return aware(moment).astimezone(LONDON)


def coordinated_by(person: Person) -> set[int]:
    return {m.partnership_id for m in person.memberships if m.role is Role.COORDINATOR}


def refuse_if_cancelled(panel: PanelSession) -> None:
    if panel.cancelled_at is not None:
        raise PanelError("This session has been cancelled")


def sessions_of(session: Session, *, cycle: Cycle, partnership: Partnership) -> list[PanelSession]:
    return list(
        session.scalars(
            select(PanelSession)
            .where(PanelSession.cycle_id == cycle.id, PanelSession.partnership_id == partnership.id)
            .order_by(PanelSession.starts_at, PanelSession.id)
        )
    )


def session_for(
    session: Session, *, partnership: Partnership, session_id: int
) -> PanelSession | None:
    """A session this partnership runs; another partnership's does not exist."""
    return session.scalar(
        select(PanelSession).where(
            PanelSession.id == session_id, PanelSession.partnership_id == partnership.id
        )
    )


def cycle_of(session: Session, panel: PanelSession) -> Cycle:
    cycle = session.get(Cycle, panel.cycle_id)
    assert cycle is not None
    return cycle


def slots_of(session: Session, panel: PanelSession) -> list[PanelSlot]:
    return list(
        session.scalars(
            select(PanelSlot).where(PanelSlot.session_id == panel.id).order_by(PanelSlot.starts_at)
        )
    )


@dataclass(frozen=True)
class Member:
    person_id: int
    name: str
    email: str
    agency_id: int | None
    agency_name: str | None
    is_chair: bool


def members_of(session: Session, panel: PanelSession) -> list[Member]:
    rows = session.execute(
        select(PanelMember, Person, Agency)
        .join(Person, Person.id == PanelMember.person_id)
        .outerjoin(Agency, Agency.id == PanelMember.agency_id)
        .where(PanelMember.session_id == panel.id)
        .order_by(Person.name)
    )
    return [
        Member(
            person.id,
            person.name,
            person.email,
            member.agency_id,
            agency.name if agency else None,
            person.id == panel.chair_id,
        )
        for member, person, agency in rows
    ]


def record_session_event(
    session: Session, actor: Person, action: str, panel: PanelSession, **detail: object
) -> None:
    audit_service.record_event(
        session,
        actor=actor,
        action=action,
        object_type="panel_session",
        object_id=panel.id,
        detail=detail or None,
    )


def meeting_started(panel: PanelSession, slot: PanelSlot, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return panel.started_at is not None or aware(slot.starts_at) <= now
