"""Booking submitted returns into a session's slots, one at a time or by auto-fill. Never
books a return before a member with an interest in its agency, nor into a cancelled session."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cycle_models import Cycle
from app.cycles import listing as round_listing
from app.cycles.listing import RoundRow
from app.directory.models import Agency, Partnership, PartnershipAgency, Person
from app.listing import Listing, Page
from app.notifications.mail import Email
from app.panels.conflicts import conflicts_between
from app.panels.invitations import lead_message
from app.panels.models import PanelSession, PanelSlot
from app.panels.sessions import (
    PanelError,
    cycle_of,
    members_of,
    record_session_event,
    refuse_if_cancelled,
    slots_of,
)
from app.returns import service as returns_service
from app.returns.models import AgencyReturn, ReturnStatus


def waiting_returns(
    session: Session, *, cycle: Cycle, partnership: Partnership
) -> list[tuple[AgencyReturn, Agency]]:
    """Submitted returns of the partnership's agencies not yet booked, in order submitted."""
    rows = session.execute(
        select(AgencyReturn, Agency)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(
            AgencyReturn.cycle_id == cycle.id,
            AgencyReturn.status == ReturnStatus.SUBMITTED,
            Agency.id.in_(
                select(PartnershipAgency.agency_id).where(
                    PartnershipAgency.partnership_id == partnership.id
                )
            ),
            AgencyReturn.id.not_in(
                select(PanelSlot.return_id).where(PanelSlot.return_id.is_not(None))
            ),
        )
        .order_by(AgencyReturn.submitted_at, Agency.name)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def waiting_page(
    session: Session, *, cycle: Cycle, partnership: Partnership, listing: Listing
) -> Page[RoundRow]:
    """A page of the submitted returns not yet booked, as the round's lists page them: the
    longest waiting first unless the listing sorts otherwise."""
    return round_listing.returns_page(
        session,
        partnership=partnership,
        listing=listing,
        cycle=cycle,
        statuses={ReturnStatus.SUBMITTED},
        also=[
            AgencyReturn.id.not_in(
                select(PanelSlot.return_id).where(PanelSlot.return_id.is_not(None))
            )
        ],
    )


def booked_returns(
    session: Session, slots: list[PanelSlot]
) -> dict[int, tuple[AgencyReturn, Agency]]:
    """The return and agency in each booked slot, by slot id."""
    ids = {s.return_id: s.id for s in slots if s.return_id}
    if not ids:
        return {}
    rows = session.execute(
        select(AgencyReturn, Agency)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(AgencyReturn.id.in_(ids))
    )
    return {ids[r.id]: (r, a) for r, a in rows}


def assign(
    session: Session,
    *,
    panel: PanelSession,
    partnership: Partnership,
    slot_id: int,
    return_id: int,
    actor: Person,
    base_url: str,
) -> list[Email]:
    """Book a submitted return into an empty slot; refused, saying why, if a member of the
    session has an interest in the agency."""
    refuse_if_cancelled(panel)
    slot = next((s for s in slots_of(session, panel) if s.id == slot_id), None)
    if slot is None:
        raise PanelError("That slot is not in this session")
    if slot.return_id is not None:
        raise PanelError("That slot already has an agency: choose an empty one")
    cycle = cycle_of(session, panel)
    waiting = dict(
        (r.id, (r, a)) for r, a in waiting_returns(session, cycle=cycle, partnership=partnership)
    )
    if return_id not in waiting:
        raise PanelError("Select a submitted return that is not yet booked into a session")
    agency_return, agency = waiting[return_id]
    members = {m.person_id: m.agency_id for m in members_of(session, panel)}
    found = conflicts_between(session, members=members, agency_ids={agency.id})
    if found:
        raise PanelError(
            f"{agency.name} cannot be booked into this session: "
            + "; ".join(f"{c.person_name} sits on it and {c.why}" for c in found)
        )
    slot.return_id = agency_return.id
    returns_service.move_return(
        session, agency_return=agency_return, to=ReturnStatus.AT_PANEL, actor=actor
    )
    record_session_event(session, actor, "panel_slot_booked", panel, return_id=agency_return.id)
    return lead_message(session, panel, slot, actor, base_url, cancel=False)


def unassign(
    session: Session, *, panel: PanelSession, slot_id: int, actor: Person, base_url: str
) -> list[Email]:
    refuse_if_cancelled(panel)
    slot = next((s for s in slots_of(session, panel) if s.id == slot_id), None)
    if slot is None or slot.return_id is None:
        raise PanelError("That slot has no agency booked")
    agency_return = session.get(AgencyReturn, slot.return_id)
    assert agency_return is not None
    if agency_return.status is not ReturnStatus.AT_PANEL:
        raise PanelError("Feedback has been issued to this agency: its slot stays as it was")
    return free_slot(session, panel, slot, agency_return, actor, base_url)


def free_slot(
    session: Session,
    panel: PanelSession,
    slot: PanelSlot,
    agency_return: AgencyReturn,
    actor: Person,
    base_url: str,
) -> list[Email]:
    emails = lead_message(session, panel, slot, actor, base_url, cancel=True)
    slot.return_id = None
    returns_service.move_return(
        session, agency_return=agency_return, to=ReturnStatus.SUBMITTED, actor=actor
    )
    record_session_event(session, actor, "panel_slot_freed", panel, return_id=agency_return.id)
    return emails


@dataclass
class AutoFill:
    booked: int = 0
    left: list[str] = field(default_factory=list)  # agencies that could not go in, and why
    emails: list[Email] = field(default_factory=list)


def auto_fill(
    session: Session, *, panel: PanelSession, partnership: Partnership, actor: Person, base_url: str
) -> AutoFill:
    """Book waiting returns into the empty slots in order, skipping any agency a member has
    an interest in; says which agencies were left and why."""
    refuse_if_cancelled(panel)
    cycle = cycle_of(session, panel)
    result = AutoFill()
    empty = [s for s in slots_of(session, panel) if s.return_id is None]
    waiting = waiting_returns(session, cycle=cycle, partnership=partnership)
    members = {m.person_id: m.agency_id for m in members_of(session, panel)}
    found = conflicts_between(session, members=members, agency_ids={a.id for _, a in waiting})
    blocked = {c.agency_id: c for c in found}
    for agency_return, agency in waiting:
        if agency.id in blocked:
            conflict = blocked[agency.id]
            result.left.append(
                f"{agency.name}: {conflict.person_name} sits on it and {conflict.why}"
            )
            continue
        if not empty:
            result.left.append(f"{agency.name}: no empty slot left in this session")
            continue
        slot = empty.pop(0)
        result.emails += assign(
            session,
            panel=panel,
            partnership=partnership,
            slot_id=slot.id,
            return_id=agency_return.id,
            actor=actor,
            base_url=base_url,
        )
        result.booked += 1
    return result
