"""Scheduling sessions (date, slots, mode, place) and choosing their members and chair.
Never moves a booked slot silently: every change tells those it touches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.cycle_models import Cycle
from app.db import utcnow
from app.directory.models import Agency, Membership, Partnership, PartnershipAgency, Person, Role
from app.notifications.mail import Email
from app.panels.booking import free_slot
from app.panels.conflicts import agencies_of_returns, conflicts_between
from app.panels.invitations import lead_message, member_message
from app.panels.models import MeetingMode, PanelMember, PanelSession, PanelSlot
from app.panels.sessions import (
    LONDON,
    PanelError,
    cycle_of,
    london,
    members_of,
    record_session_event,
    refuse_if_cancelled,
    slots_of,
)
from app.returns.models import AgencyReturn, ReturnStatus

SLOT_MINUTES = (15, 240)  # the shortest and longest slot a session may have


@dataclass(frozen=True)
class SessionDetails:
    """What a coordinator gives for a session, as typed; checked by `check_details`."""

    title: str = ""
    day: date | None = None
    starts: time | None = None
    ends: time | None = None
    slot_minutes: int | None = 45
    mode: MeetingMode | None = None
    location: str = ""
    meeting_link: str = ""


def details_of(panel: PanelSession) -> SessionDetails:
    starts, ends = london(panel.starts_at), london(panel.ends_at)
    return SessionDetails(
        title=panel.title,
        day=starts.date(),
        starts=starts.time(),
        ends=ends.time(),
        slot_minutes=panel.slot_minutes,
        mode=panel.mode,
        location=panel.location or "",
        meeting_link=panel.meeting_link or "",
    )


def check_details(details: SessionDetails, *, cycle: Cycle) -> dict[str, str]:
    """Each problem with the details, by the field it belongs to."""
    errors: dict[str, str] = {}
    if not details.title.strip():
        errors["title"] = "Enter a name for the session, for example Panel 1"
    if details.day is None:
        errors["day"] = "Enter the date of the session, for example 14 10 2021"
    elif (
        cycle.panel_starts_on
        and cycle.panel_ends_on
        and not cycle.panel_starts_on <= details.day <= cycle.panel_ends_on
    ):
        errors["day"] = (
            f"The date must be in this cycle's panel window, "
            f"{cycle.panel_starts_on:%-d %B %Y} to {cycle.panel_ends_on:%-d %B %Y}"
        )
    if details.starts is None:
        errors["starts"] = "Enter the start time, for example 09:30"
    if details.ends is None:
        errors["ends"] = "Enter the end time, for example 13:00"
    elif details.starts is not None and details.ends <= details.starts:
        errors["ends"] = "The end time must be after the start time"
    low, high = SLOT_MINUTES
    if details.slot_minutes is None or not low <= details.slot_minutes <= high:
        errors["slot_minutes"] = f"Enter the minutes for each agency, from {low} to {high}"
    elif "ends" not in errors and details.starts and details.ends and details.day:
        start, end = _moments(details)
        if end - start < timedelta(minutes=details.slot_minutes):
            errors["slot_minutes"] = "The session is shorter than one slot"
    if details.mode is None:
        errors["mode"] = "Select whether the session is in person or online"
    elif details.mode is MeetingMode.IN_PERSON and not details.location.strip():
        errors["location"] = "Enter where the session is held"
    elif details.mode is MeetingMode.ONLINE:
        link = details.meeting_link.strip()
        if not link.startswith("https://") or len(link) > 500 or any(c.isspace() for c in link):
            errors["meeting_link"] = "Enter the meeting link, starting https://"
    return errors


def _moments(details: SessionDetails) -> tuple[datetime, datetime]:
    assert details.day and details.starts and details.ends
    start = datetime.combine(details.day, details.starts, tzinfo=LONDON).astimezone(UTC)
    end = datetime.combine(details.day, details.ends, tzinfo=LONDON).astimezone(UTC)
    return start, end


def _slot_times(start: datetime, end: datetime, minutes: int) -> list[tuple[datetime, datetime]]:
    slots = []
    step = timedelta(minutes=minutes)
    while start + step <= end:
        slots.append((start, start + step))
        start += step
    return slots


def _apply(panel: PanelSession, details: SessionDetails) -> None:
    panel.title = details.title.strip()
    panel.starts_at, panel.ends_at = _moments(details)
    assert details.slot_minutes is not None and details.mode is not None
    panel.slot_minutes = details.slot_minutes
    panel.mode = details.mode
    in_person = details.mode is MeetingMode.IN_PERSON
    panel.location = details.location.strip() if in_person else None
    panel.meeting_link = None if in_person else details.meeting_link.strip()


def create_session(
    session: Session,
    *,
    cycle: Cycle,
    partnership: Partnership,
    details: SessionDetails,
    actor: Person,
) -> PanelSession:
    if check_details(details, cycle=cycle):
        raise PanelError("The session's details need correcting")
    panel = PanelSession(cycle_id=cycle.id, partnership_id=partnership.id)
    _apply(panel, details)
    session.add(panel)
    session.flush()
    for start, end in _slot_times(panel.starts_at, panel.ends_at, panel.slot_minutes):
        session.add(PanelSlot(session_id=panel.id, starts_at=start, ends_at=end))
    session.flush()
    record_session_event(session, actor, "panel_session_created", panel)
    return panel


def change_session(
    session: Session, *, panel: PanelSession, details: SessionDetails, actor: Person, base_url: str
) -> list[Email]:
    """New details for a session: its agencies keep their order in the new slots, and every
    member and agency lead gets an update of their calendar entry."""
    cycle = cycle_of(session, panel)
    if check_details(details, cycle=cycle):
        raise PanelError("The session's details need correcting")
    refuse_if_cancelled(panel)
    placed = [slot.return_id for slot in slots_of(session, panel) if slot.return_id]
    assert details.slot_minutes is not None
    times = _slot_times(*_moments(details), details.slot_minutes)
    if len(times) < len(placed):
        raise PanelError(
            f"{len(placed)} agencies are booked into this session, but the new times leave "
            f"room for {len(times)}. Move some agencies to another session first."
        )
    _apply(panel, details)
    session.execute(delete(PanelSlot).where(PanelSlot.session_id == panel.id))
    session.flush()
    for index, (start, end) in enumerate(times):
        return_id = placed[index] if index < len(placed) else None
        session.add(
            PanelSlot(session_id=panel.id, starts_at=start, ends_at=end, return_id=return_id)
        )
    session.flush()
    record_session_event(session, actor, "panel_session_changed", panel)
    emails = member_message(
        session, panel, actor, base_url, members_of(session, panel), cancel=False
    )
    for slot in slots_of(session, panel):
        if slot.return_id is not None:
            emails += lead_message(session, panel, slot, actor, base_url, cancel=False)
    return emails


def cancel_session(
    session: Session, *, panel: PanelSession, actor: Person, base_url: str
) -> list[Email]:
    """Call a session off: its returns wait for another slot, and everyone's calendar entry
    is cancelled. Refused once any of its agencies has had feedback."""
    refuse_if_cancelled(panel)
    slots = slots_of(session, panel)
    returns = _returns_by_id(session, [s.return_id for s in slots if s.return_id])
    if any(r.status is not ReturnStatus.AT_PANEL for r in returns.values()):
        raise PanelError(
            "Feedback has been issued from this session: it can no longer be cancelled"
        )
    emails = []
    for slot in slots:
        if slot.return_id is not None:
            emails += free_slot(session, panel, slot, returns[slot.return_id], actor, base_url)
    emails += member_message(
        session, panel, actor, base_url, members_of(session, panel), cancel=True
    )
    panel.cancelled_at = utcnow()
    session.flush()
    record_session_event(session, actor, "panel_session_cancelled", panel)
    return emails


def candidates(session: Session, *, partnership: Partnership) -> list[Person]:
    """The partnership's steering group: the people who may sit on its panels."""
    return list(
        session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.partnership_id == partnership.id,
                Membership.role == Role.PANEL_MEMBER,
            )
            .distinct()
            .order_by(Person.name)
        )
    )


def _agency_here(
    session: Session, partnership: Partnership, agency_id: int | None, agency_name: str
) -> int | None:
    """The member's agency, chosen by id or typed by its exact name; None for independent."""
    name = " ".join(agency_name.split())
    if agency_id is None and not name:
        return None
    found = session.scalar(
        select(Agency.id)
        .join(PartnershipAgency, PartnershipAgency.agency_id == Agency.id)
        .where(
            PartnershipAgency.partnership_id == partnership.id,
            Agency.id == agency_id if agency_id is not None else Agency.name == name[:200],
        )
    )
    if found is None:
        if name:
            raise PanelError(f"No agency of the partnership is called “{name[:80]}”")
        raise PanelError("Select the agency the member comes from, or none")
    return found


def add_member(
    session: Session,
    *,
    panel: PanelSession,
    partnership: Partnership,
    person_id: int,
    agency_id: int | None,
    actor: Person,
    base_url: str,
    agency_name: str = "",
) -> list[Email]:
    """Seat a steering group member, refused if they have an interest in an agency already
    booked into the session; they get the session's calendar invitation. Their agency is
    chosen by id or, in a partnership with too many for a list, typed by name."""
    refuse_if_cancelled(panel)
    person = next(
        (p for p in candidates(session, partnership=partnership) if p.id == person_id), None
    )
    if person is None:
        raise PanelError("Select a member of the partnership's steering group")
    agency_id = _agency_here(session, partnership, agency_id, agency_name)
    if any(m.person_id == person_id for m in members_of(session, panel)):
        raise PanelError(f"{person.name} is already on this session")
    booked = [s.return_id for s in slots_of(session, panel) if s.return_id]
    agency_of_return = agencies_of_returns(session, booked)
    found = conflicts_between(
        session, members={person_id: agency_id}, agency_ids=set(agency_of_return.values())
    )
    if found:
        conflict = found[0]
        raise PanelError(
            f"{person.name} cannot sit on this session: {conflict.why}, and "
            f"{conflict.agency_name} is booked into it"
        )
    session.add(PanelMember(session_id=panel.id, person_id=person_id, agency_id=agency_id))
    session.flush()
    record_session_event(session, actor, "panel_member_added", panel, person_id=person_id)
    added = [m for m in members_of(session, panel) if m.person_id == person_id]
    return member_message(session, panel, actor, base_url, added, cancel=False)


def remove_member(
    session: Session, *, panel: PanelSession, person_id: int, actor: Person, base_url: str
) -> list[Email]:
    refuse_if_cancelled(panel)
    leaving = [m for m in members_of(session, panel) if m.person_id == person_id]
    if not leaving:
        raise PanelError("That person is not on this session")
    session.execute(
        delete(PanelMember).where(
            PanelMember.session_id == panel.id, PanelMember.person_id == person_id
        )
    )
    if panel.chair_id == person_id:
        panel.chair_id = None
    session.flush()
    record_session_event(session, actor, "panel_member_removed", panel, person_id=person_id)
    return member_message(session, panel, actor, base_url, leaving, cancel=True)


def make_chair(session: Session, *, panel: PanelSession, person_id: int, actor: Person) -> None:
    refuse_if_cancelled(panel)
    if not any(m.person_id == person_id for m in members_of(session, panel)):
        raise PanelError("Choose the chair from the session's members")
    panel.chair_id = person_id
    session.flush()
    record_session_event(session, actor, "panel_chair_named", panel, person_id=person_id)


def _returns_by_id(session: Session, ids: list[int]) -> dict[int, AgencyReturn]:
    if not ids:
        return {}
    return {r.id: r for r in session.scalars(select(AgencyReturn).where(AgencyReturn.id.in_(ids)))}
