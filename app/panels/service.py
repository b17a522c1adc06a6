"""The rules of challenge and support panels: who sits on which session, which returns they
may read and score, what the panel agreed, and what the agency is told afterwards.

Services flush and return the emails to send; the request delivers them and commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.actions import service as actions_service
from app.actions.models import Recommendation
from app.audit import service as audit_service
from app.cycles.models import Cycle
from app.db import aware, utcnow
from app.directory import service as directory_service
from app.directory.models import (
    Agency,
    Membership,
    Partnership,
    PartnershipAgency,
    Person,
    Role,
)
from app.notifications.calendar import CalendarEvent, cancellation, invitation
from app.notifications.mail import Email
from app.panels.models import (
    AgreedRating,
    CalendarSequence,
    ConflictOfInterest,
    Feedback,
    MeetingMode,
    PanelMember,
    PanelScore,
    PanelSession,
    PanelSlot,
    ScoreSheet,
)
from app.questionnaires.rendering import levels_for
from app.questionnaires.rules import is_shown
from app.questionnaires.schema import Level, LevelColour
from app.returns import service as returns_service
from app.returns.models import AgencyReturn, ReturnStatus

LONDON = ZoneInfo("Europe/London")
SLOT_MINUTES = (15, 240)  # the shortest and longest slot a session may have


class PanelError(ValueError):
    """A change the panel's rules refuse, with a message fit for the page."""


def london(moment: datetime) -> datetime:
    return aware(moment).astimezone(LONDON)


# Scheduling sessions --------------------------------------------------------------------------


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
    _audit(session, actor, "panel_session_created", panel)
    return panel


def change_session(
    session: Session, *, panel: PanelSession, details: SessionDetails, actor: Person, base_url: str
) -> list[Email]:
    """New details for a session: its agencies keep their order in the new slots, and every
    member and agency lead gets an update of their calendar entry."""
    cycle = cycle_of(session, panel)
    if check_details(details, cycle=cycle):
        raise PanelError("The session's details need correcting")
    _refuse_if_cancelled(panel)
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
    _audit(session, actor, "panel_session_changed", panel)
    emails = _member_message(
        session, panel, actor, base_url, members_of(session, panel), cancel=False
    )
    for slot in slots_of(session, panel):
        if slot.return_id is not None:
            emails += _lead_message(session, panel, slot, actor, base_url, cancel=False)
    return emails


def cancel_session(
    session: Session, *, panel: PanelSession, actor: Person, base_url: str
) -> list[Email]:
    """Call a session off: its returns wait for another slot, and everyone's calendar entry
    is cancelled. Refused once any of its agencies has had feedback."""
    _refuse_if_cancelled(panel)
    slots = slots_of(session, panel)
    returns = _returns_by_id(session, [s.return_id for s in slots if s.return_id])
    if any(r.status is not ReturnStatus.AT_PANEL for r in returns.values()):
        raise PanelError(
            "Feedback has been issued from this session: it can no longer be cancelled"
        )
    emails = []
    for slot in slots:
        if slot.return_id is not None:
            emails += _unassign(session, panel, slot, returns[slot.return_id], actor, base_url)
    emails += _member_message(
        session, panel, actor, base_url, members_of(session, panel), cancel=True
    )
    panel.cancelled_at = utcnow()
    session.flush()
    _audit(session, actor, "panel_session_cancelled", panel)
    return emails


def _coordinating(person: Person) -> set[int]:
    return {m.partnership_id for m in person.memberships if m.role is Role.COORDINATOR}


def _refuse_if_cancelled(panel: PanelSession) -> None:
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


def agencies_here(session: Session, *, partnership: Partnership) -> list[Agency]:
    return list(
        session.scalars(
            select(Agency)
            .join(PartnershipAgency, PartnershipAgency.agency_id == Agency.id)
            .where(PartnershipAgency.partnership_id == partnership.id)
            .order_by(Agency.name)
        )
    )


def add_member(
    session: Session,
    *,
    panel: PanelSession,
    partnership: Partnership,
    person_id: int,
    agency_id: int | None,
    actor: Person,
    base_url: str,
) -> list[Email]:
    """Seat a steering group member, refused if they have an interest in an agency already
    booked into the session; they get the session's calendar invitation."""
    _refuse_if_cancelled(panel)
    person = next(
        (p for p in candidates(session, partnership=partnership) if p.id == person_id), None
    )
    if person is None:
        raise PanelError("Select a member of the partnership's steering group")
    if agency_id is not None and agency_id not in {
        a.id for a in agencies_here(session, partnership=partnership)
    }:
        raise PanelError("Select the agency the member comes from, or none")
    if any(m.person_id == person_id for m in members_of(session, panel)):
        raise PanelError(f"{person.name} is already on this session")
    booked = [s.return_id for s in slots_of(session, panel) if s.return_id]
    agency_of_return = _agency_ids(session, booked)
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
    _audit(session, actor, "panel_member_added", panel, person_id=person_id)
    added = [m for m in members_of(session, panel) if m.person_id == person_id]
    return _member_message(session, panel, actor, base_url, added, cancel=False)


def remove_member(
    session: Session, *, panel: PanelSession, person_id: int, actor: Person, base_url: str
) -> list[Email]:
    _refuse_if_cancelled(panel)
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
    _audit(session, actor, "panel_member_removed", panel, person_id=person_id)
    return _member_message(session, panel, actor, base_url, leaving, cancel=True)


def make_chair(session: Session, *, panel: PanelSession, person_id: int, actor: Person) -> None:
    _refuse_if_cancelled(panel)
    if not any(m.person_id == person_id for m in members_of(session, panel)):
        raise PanelError("Choose the chair from the session's members")
    panel.chair_id = person_id
    session.flush()
    _audit(session, actor, "panel_chair_named", panel, person_id=person_id)


# Conflicts of interest ------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    person_id: int
    person_name: str
    agency_id: int
    agency_name: str
    why: str  # in words, e.g. "they come from Norfolk Constabulary"


def conflicts_between(
    session: Session, *, members: dict[int, int | None], agency_ids: set[int]
) -> list[Conflict]:
    """Every interest the given members (person id → agency they sit for) have in the given
    agencies: their own agency, an agency they work on returns for, or a declared one."""
    if not members or not agency_ids:
        return []
    names = returns_service.people_named(session, ids=set(members))
    agencies = dict(
        session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids))).all()
    )
    found: dict[tuple[int, int], str] = {}
    for person_id, agency_id in members.items():
        if agency_id in agency_ids:
            found[(person_id, agency_id)] = f"they come from {agencies[agency_id]}"
    for person_id, agency_id, role in session.execute(
        select(Membership.person_id, Membership.agency_id, Membership.role).where(
            Membership.person_id.in_(members), Membership.agency_id.in_(agency_ids)
        )
    ):
        found.setdefault(
            (person_id, agency_id), f"they are {agencies[agency_id]}'s {role.label.lower()}"
        )
    for person_id, agency_id, reason in session.execute(
        select(
            ConflictOfInterest.person_id, ConflictOfInterest.agency_id, ConflictOfInterest.reason
        ).where(
            ConflictOfInterest.person_id.in_(members),
            ConflictOfInterest.agency_id.in_(agency_ids),
        )
    ):
        found.setdefault(
            (person_id, agency_id),
            f"they declared an interest in {agencies[agency_id]} ({reason})",
        )
    return [
        Conflict(person_id, names.get(person_id, ""), agency_id, agencies[agency_id], why)
        for (person_id, agency_id), why in sorted(found.items())
    ]


def session_conflicts(session: Session, panel: PanelSession) -> list[Conflict]:
    """The interests a session's members have in the agencies booked into it: a declaration
    made after booking shows here, and that member does not see the return."""
    members = {m.person_id: m.agency_id for m in members_of(session, panel)}
    booked = [s.return_id for s in slots_of(session, panel) if s.return_id]
    return conflicts_between(
        session, members=members, agency_ids=set(_agency_ids(session, booked).values())
    )


def declared_conflicts(session: Session, *, person: Person) -> list[tuple[ConflictOfInterest, str]]:
    return [
        (conflict, name)
        for conflict, name in session.execute(
            select(ConflictOfInterest, Agency.name)
            .join(Agency, Agency.id == ConflictOfInterest.agency_id)
            .where(ConflictOfInterest.person_id == person.id)
            .order_by(Agency.name)
        )
    ]


def declarations_in(session: Session, *, partnership: Partnership) -> list[Conflict]:
    """Every interest the partnership's steering group has declared in its agencies."""
    rows = session.execute(
        select(ConflictOfInterest, Person.name, Agency.name)
        .join(Person, Person.id == ConflictOfInterest.person_id)
        .join(Agency, Agency.id == ConflictOfInterest.agency_id)
        .where(
            ConflictOfInterest.person_id.in_(
                select(Membership.person_id).where(
                    Membership.partnership_id == partnership.id,
                    Membership.role == Role.PANEL_MEMBER,
                )
            ),
            ConflictOfInterest.agency_id.in_(
                select(PartnershipAgency.agency_id).where(
                    PartnershipAgency.partnership_id == partnership.id
                )
            ),
        )
        .order_by(Person.name, Agency.name)
    )
    return [
        Conflict(c.person_id, person_name, c.agency_id, agency_name, c.reason)
        for c, person_name, agency_name in rows
    ]


def declarable_agencies(session: Session, *, person: Person) -> list[Agency]:
    """The agencies of the partnerships the person sits on panels for."""
    partnership_ids = {m.partnership_id for m in person.memberships if m.role is Role.PANEL_MEMBER}
    return list(
        session.scalars(
            select(Agency)
            .join(PartnershipAgency, PartnershipAgency.agency_id == Agency.id)
            .where(PartnershipAgency.partnership_id.in_(partnership_ids))
            .distinct()
            .order_by(Agency.name)
        )
    )


def declare_conflict(
    session: Session, *, person: Person, agency_id: int | None, reason: str
) -> dict[str, str]:
    """Record an interest; returns the problems by field, empty when it was recorded."""
    errors = {}
    agency_ids = {a.id for a in declarable_agencies(session, person=person)}
    if agency_id not in agency_ids:
        errors["agency"] = "Select the agency you have an interest in"
    if not reason.strip():
        errors["reason"] = "Describe your interest, for example a family member works there"
    elif len(reason) > 1000:
        errors["reason"] = "Describe your interest in 1,000 characters or fewer"
    if errors:
        return errors
    already = session.scalar(
        select(ConflictOfInterest).where(
            ConflictOfInterest.person_id == person.id, ConflictOfInterest.agency_id == agency_id
        )
    )
    if already is not None:
        already.reason = reason.strip()
    else:
        session.add(
            ConflictOfInterest(person_id=person.id, agency_id=agency_id, reason=reason.strip())
        )
    session.flush()
    audit_service.record_event(
        session,
        actor=person,
        action="conflict_of_interest_declared",
        object_type="agency",
        object_id=agency_id,
        detail={"reason": reason.strip()},
    )
    return {}


# Booking returns into slots -------------------------------------------------------------------


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
    _refuse_if_cancelled(panel)
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
    _audit(session, actor, "panel_slot_booked", panel, return_id=agency_return.id)
    return _lead_message(session, panel, slot, actor, base_url, cancel=False)


def unassign(
    session: Session, *, panel: PanelSession, slot_id: int, actor: Person, base_url: str
) -> list[Email]:
    _refuse_if_cancelled(panel)
    slot = next((s for s in slots_of(session, panel) if s.id == slot_id), None)
    if slot is None or slot.return_id is None:
        raise PanelError("That slot has no agency booked")
    agency_return = session.get(AgencyReturn, slot.return_id)
    assert agency_return is not None
    if agency_return.status is not ReturnStatus.AT_PANEL:
        raise PanelError("Feedback has been issued to this agency: its slot stays as it was")
    return _unassign(session, panel, slot, agency_return, actor, base_url)


def _unassign(
    session: Session,
    panel: PanelSession,
    slot: PanelSlot,
    agency_return: AgencyReturn,
    actor: Person,
    base_url: str,
) -> list[Email]:
    emails = _lead_message(session, panel, slot, actor, base_url, cancel=True)
    slot.return_id = None
    returns_service.move_return(
        session, agency_return=agency_return, to=ReturnStatus.SUBMITTED, actor=actor
    )
    _audit(session, actor, "panel_slot_freed", panel, return_id=agency_return.id)
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
    _refuse_if_cancelled(panel)
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


def _returns_by_id(session: Session, ids: list[int]) -> dict[int, AgencyReturn]:
    if not ids:
        return {}
    return {r.id: r for r in session.scalars(select(AgencyReturn).where(AgencyReturn.id.in_(ids)))}


def _agency_ids(session: Session, return_ids: list[int]) -> dict[int, int]:
    if not return_ids:
        return {}
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(AgencyReturn.id, AgencyReturn.agency_id).where(AgencyReturn.id.in_(return_ids))
        ).all()
    )


# Calendar invitations -------------------------------------------------------------------------


def _next_sequence(session: Session, uid: str) -> int:
    """The SEQUENCE for the next message about this calendar entry: 0 first, then higher."""
    row = session.get(CalendarSequence, uid, with_for_update=True)
    if row is None:
        session.add(CalendarSequence(uid=uid, sequence=0))
        session.flush()
        return 0
    row.sequence += 1
    session.flush()
    return row.sequence


def _host(base_url: str) -> str:
    return base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "s11"


def _where(panel: PanelSession) -> str:
    if panel.mode is MeetingMode.IN_PERSON:
        return f"In person at {panel.location}"
    return f"Online: {panel.meeting_link}"


def _when(start: datetime, end: datetime) -> str:
    start, end = london(start), london(end)
    return f"{start:%A %-d %B %Y}, {start:%H:%M} to {end:%H:%M} (UK time)"


def _event(
    panel: PanelSession,
    *,
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    summary: str,
    description: str,
    organiser: Person,
    attendees: list[tuple[str, str]],
) -> CalendarEvent:
    return CalendarEvent(
        uid=uid,
        sequence=sequence,
        starts_at=aware(start),
        ends_at=aware(end),
        summary=summary,
        description=description,
        location=panel.location if panel.mode is MeetingMode.IN_PERSON else None,
        url=panel.meeting_link if panel.mode is MeetingMode.ONLINE else None,
        organiser_name=organiser.name,
        organiser_email=organiser.email,
        attendees=tuple(attendees),
    )


def _member_uid(panel: PanelSession, base_url: str) -> str:
    return f"panel-session-{panel.id}@{_host(base_url)}"


def _member_message(
    session: Session,
    panel: PanelSession,
    actor: Person,
    base_url: str,
    members: list[Member],
    *,
    cancel: bool,
) -> list[Email]:
    """The session's calendar entry for each given member: an invitation (or an update), or
    its cancellation for members no longer needed."""
    if not members:
        return []
    uid = _member_uid(panel, base_url)
    sequence = _next_sequence(session, uid)
    when = _when(panel.starts_at, panel.ends_at)
    emails = []
    for member in members:
        if cancel:
            body = (
                f"Hello {member.name},\n\nYou are no longer needed at the challenge and support "
                f"panel {panel.title} on {when}.\n"
            )
            subject = f"Cancelled: challenge and support panel {panel.title}"
        else:
            role = "chair" if member.is_chair else "a member"
            body = (
                f"Hello {member.name},\n\nYou are {role} of the challenge and support panel "
                f"{panel.title}.\n\nWhen: {when}\nWhere: {_where(panel)}\n\nThe returns to "
                f"read and score before the meeting are at {base_url.rstrip('/')}/panels\n"
            )
            subject = (
                f"{'Updated: ' if sequence else ''}Challenge and support panel {panel.title}, "
                f"{london(panel.starts_at):%-d %B %Y}"
            )
        event = _event(
            panel,
            uid=uid,
            sequence=sequence,
            start=panel.starts_at,
            end=panel.ends_at,
            summary=f"Section 11 challenge and support panel: {panel.title}",
            description=body,
            organiser=actor,
            attendees=[(member.name, member.email)],
        )
        emails.append(
            Email(
                to=member.email,
                subject=subject,
                body=body,
                calendar=cancellation(event) if cancel else invitation(event),
            )
        )
    return emails


def _lead_message(
    session: Session,
    panel: PanelSession,
    slot: PanelSlot,
    actor: Person,
    base_url: str,
    *,
    cancel: bool,
) -> list[Email]:
    assert slot.return_id is not None
    agency_return = session.get(AgencyReturn, slot.return_id)
    assert agency_return is not None
    agency = session.get(Agency, agency_return.agency_id)
    assert agency is not None
    leads = directory_service.leads_of(
        session, partnership_id=panel.partnership_id, agency_id=agency.id
    )
    if not leads:
        return []
    # One entry per return, whichever slot it is in: a move is an update, not a new meeting.
    uid = f"panel-return-{agency_return.id}@{_host(base_url)}"
    sequence = _next_sequence(session, uid)
    emails = []
    for name, address in leads:
        if cancel:
            body = (
                f"Hello {name},\n\n{agency.name}'s challenge and support meeting on "
                f"{_when(slot.starts_at, slot.ends_at)} is cancelled. The partnership will "
                "offer you another time.\n"
            )
        else:
            body = (
                f"Hello {name},\n\nThe partnership's challenge and support panel will meet "
                f"{agency.name} to talk through its Section 11 return.\n\n"
                f"When: {_when(slot.starts_at, slot.ends_at)}\nWhere: {_where(panel)}\n\n"
                "The panel will have read your return and will discuss its ratings with you, "
                "then agree recommendations for your action plan.\n"
            )
        event = _event(
            panel,
            uid=uid,
            sequence=sequence,
            start=slot.starts_at,
            end=slot.ends_at,
            summary=f"Section 11 challenge and support meeting: {agency.name}",
            description=body,
            organiser=actor,
            attendees=[(name, address)],
        )
        prefix = "Cancelled: " if cancel else ("Updated: " if sequence else "")
        emails.append(
            Email(
                to=address,
                subject=f"{prefix}{agency.name}'s challenge and support meeting, "
                f"{london(slot.starts_at):%-d %B %Y}",
                body=body,
                calendar=cancellation(event) if cancel else invitation(event),
            )
        )
    return emails


def _audit(
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


# What a member reads and scores ---------------------------------------------------------------


@dataclass(frozen=True)
class ScoredItem:
    """A question or section the panel scores, on its scale, beside the agency's own rating."""

    key: str
    title: str
    levels: list[Level]
    self_rating: int | None

    def level(self, rating: int | None) -> Level | None:
        return next((level for level in self.levels if level.value == rating), None)

    @property
    def spread_index(self) -> dict[int, int]:
        return {level.value: index for index, level in enumerate(self.levels)}


def scored_items(view: returns_service.ReturnView) -> list[ScoredItem]:
    """The items of the return the panel scores: sections, then their shown questions."""
    questionnaire = view.questionnaire
    values = view.values
    items = []
    for section in questionnaire.sections:
        if section.scored_by_panel and section.scale in questionnaire.scales:
            levels = questionnaire.scales[section.scale].all_levels()
            items.append(ScoredItem(f"section:{section.id}", section.title, levels, None))
        for question in section.questions:
            if not question.scored_by_panel or not levels_for(questionnaire, question):
                continue
            if not is_shown(question, sector=view.agency.sector, values=values):
                continue
            own = values.get(question.id) if question.type == "rating" else None  # type: ignore[attr-defined]
            items.append(
                ScoredItem(
                    f"question:{question.id}",
                    question.label,
                    levels_for(questionnaire, question),
                    own if isinstance(own, int) and not isinstance(own, bool) else None,
                )
            )
    return items


@dataclass
class PanelReturn:
    """A return as a panel sees it, fetched only through `panel_return_for`."""

    view: returns_service.ReturnView
    panel: PanelSession
    slot: PanelSlot
    is_member: bool  # sits on the session, so scores it
    is_chair: bool
    members: list[Member]

    @property
    def open(self) -> bool:
        """Still at panel: scores, agreed ratings and recommendations may change."""
        return self.view.agency_return.status is ReturnStatus.AT_PANEL

    @cached_property
    def items(self) -> list[ScoredItem]:
        return scored_items(self.view)


# A session a member sits on, each slot with its agency and whether they have an interest.
MySession = tuple[PanelSession, list[tuple[PanelSlot, Agency | None, bool]]]


def my_sessions(session: Session, *, person: Person) -> list[MySession]:
    """The sessions the person sits on, soonest first, each slot with its agency and whether
    the person has an interest in it (then they do not read it)."""
    panels = list(
        session.scalars(
            select(PanelSession)
            .join(PanelMember, PanelMember.session_id == PanelSession.id)
            .where(PanelMember.person_id == person.id, PanelSession.cancelled_at.is_(None))
            .order_by(PanelSession.starts_at)
        )
    )
    result = []
    for panel in panels:
        slots = slots_of(session, panel)
        booked = booked_returns(session, slots)
        agency_of = {
            m.person_id: m.agency_id for m in members_of(session, panel) if m.person_id == person.id
        }
        conflicted = {
            c.agency_id
            for c in conflicts_between(
                session, members=agency_of, agency_ids={a.id for _, a in booked.values()}
            )
        }
        rows = []
        for slot in slots:
            agency = booked[slot.id][1] if slot.id in booked else None
            rows.append((slot, agency, agency is not None and agency.id in conflicted))
        result.append((panel, rows))
    return result


def upcoming_and_past(
    sessions: list[MySession], *, now: datetime | None = None
) -> tuple[list[MySession], list[MySession]]:
    """A member's sessions still to come or under way, soonest first, and those that have
    ended, latest first: last year's panel should not sit above next week's."""
    now = now or utcnow()
    upcoming = [entry for entry in sessions if aware(entry[0].ends_at) >= now]
    past = [entry for entry in sessions if aware(entry[0].ends_at) < now]
    return upcoming, past[::-1]


def panel_return_for(session: Session, *, person: Person, return_id: int) -> PanelReturn | None:
    """A booked return, for a member of its session without an interest in the agency, or a
    coordinator of the partnership running the session; anyone else finds nothing."""
    row = session.execute(
        select(PanelSlot, PanelSession)
        .join(PanelSession, PanelSession.id == PanelSlot.session_id)
        .where(PanelSlot.return_id == return_id, PanelSession.cancelled_at.is_(None))
    ).first()
    if row is None:
        return None
    slot, panel = row
    members = members_of(session, panel)
    me = next((m for m in members if m.person_id == person.id), None)
    agency_return = session.get(AgencyReturn, return_id)
    assert agency_return is not None
    if me is not None and conflicts_between(
        session, members={me.person_id: me.agency_id}, agency_ids={agency_return.agency_id}
    ):
        me = None
    coordinating = person.is_admin or panel.partnership_id in _coordinating(person)
    if me is None and not coordinating:
        return None
    return PanelReturn(
        view=returns_service.view_of(session, agency_return),
        panel=panel,
        slot=slot,
        is_member=me is not None,
        is_chair=me is not None and me.is_chair,
        members=members,
    )


def returns_to_read(
    session: Session, *, person: Person, cycle: Cycle, partnership: Partnership
) -> dict[int, bool]:
    """The returns booked into the partnership's sessions of the cycle that the person sits
    on, less any agency they have an interest in, each with whether they may see colleagues'
    scores of it yet (the rule of `sees_colleagues`, for many returns at once)."""
    rows = session.execute(
        select(PanelSlot, PanelSession, PanelMember.agency_id, AgencyReturn.agency_id)
        .join(PanelSession, PanelSession.id == PanelSlot.session_id)
        .join(
            PanelMember,
            (PanelMember.session_id == PanelSession.id) & (PanelMember.person_id == person.id),
        )
        .join(AgencyReturn, AgencyReturn.id == PanelSlot.return_id)
        .where(
            PanelSession.cycle_id == cycle.id,
            PanelSession.partnership_id == partnership.id,
            PanelSession.cancelled_at.is_(None),
        )
    ).all()
    if not rows:
        return {}
    # A member may sit for different agencies in different sessions: their interests differ.
    conflicted: set[tuple[int | None, int]] = set()
    for sits_for in {row[2] for row in rows}:
        found = conflicts_between(
            session,
            members={person.id: sits_for},
            agency_ids={row[3] for row in rows if row[2] == sits_for},
        )
        conflicted |= {(sits_for, c.agency_id) for c in found}
    submitted = set(
        session.scalars(
            select(ScoreSheet.return_id).where(
                ScoreSheet.person_id == person.id,
                ScoreSheet.return_id.in_([row[0].return_id for row in rows]),
            )
        )
    )
    return {
        slot.return_id: meeting_started(panel, slot) or slot.return_id in submitted
        for slot, panel, sits_for, agency_id in rows
        if (sits_for, agency_id) not in conflicted
    }


def last_years_agreed(session: Session, target: PanelReturn) -> dict[str, str]:
    """Last cycle's agreed rating of each item scored again, as its label."""
    last = returns_service.previous_return(session, view=target.view)
    if last is None:
        return {}
    then = {item.key: item for item in scored_items(last)}
    shown = {}
    for agreed in session.scalars(
        select(AgreedRating).where(AgreedRating.return_id == last.agency_return.id)
    ):
        level = then[agreed.item].level(agreed.rating) if agreed.item in then else None
        if level is not None:
            shown[agreed.item] = level.label
    return shown


# Scoring --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreEntry:
    rating: int | None
    strengths: str = ""
    worries: str = ""
    lines_of_enquiry: str = ""


def scores_of(session: Session, *, return_id: int) -> dict[int, dict[str, PanelScore]]:
    """Every member's scores of a return: person id → item key → score."""
    found: dict[int, dict[str, PanelScore]] = {}
    for score in session.scalars(select(PanelScore).where(PanelScore.return_id == return_id)):
        found.setdefault(score.person_id, {})[score.item] = score
    return found


def sheets_of(session: Session, *, return_id: int) -> dict[int, datetime]:
    """When each member submitted their scores of a return, by person id."""
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(ScoreSheet.person_id, ScoreSheet.submitted_at).where(
                ScoreSheet.return_id == return_id
            )
        ).all()
    )


def meeting_started(panel: PanelSession, slot: PanelSlot, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return panel.started_at is not None or aware(slot.starts_at) <= now


def sees_colleagues(session: Session, target: PanelReturn, person: Person) -> bool:
    """Members see colleagues' scores once they have submitted their own, or once the meeting
    has started; so no one's score leans on anyone else's."""
    if meeting_started(target.panel, target.slot):
        return True
    if not target.is_member:
        return False  # a coordinator waits for the meeting too
    return person.id in sheets_of(session, return_id=target.view.agency_return.id)


def _refuse_unless_scoring(session: Session, target: PanelReturn, person: Person) -> None:
    if not target.is_member:
        raise PanelError("Only the session's members score its returns")
    if person.id in sheets_of(session, return_id=target.view.agency_return.id):
        raise PanelError("You have submitted your scores: they can no longer change")
    if not target.open:
        raise PanelError("Feedback has been issued: scores can no longer change")


def save_scores(
    session: Session, *, target: PanelReturn, person: Person, entries: dict[str, ScoreEntry]
) -> None:
    """Keep a member's draft scores; anything not on the item's scale is refused."""
    _refuse_unless_scoring(session, target, person)
    items = {item.key: item for item in target.items}
    return_id = target.view.agency_return.id
    mine = scores_of(session, return_id=return_id).get(person.id, {})
    for key, entry in entries.items():
        if key not in items:
            raise PanelError("That item is not scored in this return")
        if entry.rating is not None and items[key].level(entry.rating) is None:
            raise PanelError(f"Choose a rating on the scale for {items[key].title}")
    for key, entry in entries.items():
        score = mine.get(key)
        if score is None:
            score = PanelScore(return_id=return_id, person_id=person.id, item=key)
            session.add(score)
        score.rating = entry.rating
        score.strengths = entry.strengths.strip()
        score.worries = entry.worries.strip()
        score.lines_of_enquiry = entry.lines_of_enquiry.strip()
        score.updated_at = utcnow()
    session.flush()


def unrated(session: Session, *, target: PanelReturn, person: Person) -> list[ScoredItem]:
    mine = scores_of(session, return_id=target.view.agency_return.id).get(person.id, {})
    return [i for i in target.items if mine.get(i.key) is None or mine[i.key].rating is None]


def submit_scores(session: Session, *, target: PanelReturn, person: Person) -> None:
    """Submit a member's scores: every item needs a rating; submitting twice is one submission."""
    return_id = target.view.agency_return.id
    if person.id in sheets_of(session, return_id=return_id):
        return
    _refuse_unless_scoring(session, target, person)
    missing = unrated(session, target=target, person=person)
    if missing:
        raise PanelError("Give a rating for " + "; ".join(item.title for item in missing))
    session.add(ScoreSheet(return_id=return_id, person_id=person.id))
    session.flush()
    audit_service.record_event(
        session,
        actor=person,
        action="panel_scores_submitted",
        object_type="return",
        object_id=return_id,
    )


# Moderation at the meeting --------------------------------------------------------------------


@dataclass(frozen=True)
class ModerationRow:
    item: ScoredItem
    ratings: list[tuple[Member, PanelScore | None]]  # each member's, in the members' order
    spread: int | None  # max − min, in steps of the scale, of the members' and self-ratings
    agreed: AgreedRating | None

    @property
    def needs_recommendation(self) -> bool:
        level = self.item.level(self.agreed.rating) if self.agreed else None
        return level is not None and level.colour is LevelColour.RED


def moderation(session: Session, target: PanelReturn) -> list[ModerationRow]:
    """Each scored item with every member's score beside the self-rating, the widest
    disagreement first; items alike keep the questionnaire's order."""
    return_id = target.view.agency_return.id
    scores = scores_of(session, return_id=return_id)
    agreed = agreed_of(session, return_id=return_id)
    members = target.members
    rows = []
    for item in target.items:
        ratings = [(m, scores.get(m.person_id, {}).get(item.key)) for m in members]
        steps = item.spread_index
        given = [steps[s.rating] for _, s in ratings if s is not None and s.rating in steps]
        if item.self_rating in steps:
            given.append(steps[item.self_rating])  # type: ignore[index]
        spread = max(given) - min(given) if len(given) > 1 else None
        rows.append(ModerationRow(item, ratings, spread, agreed.get(item.key)))
    order = {row.item.key: index for index, row in enumerate(rows)}
    return sorted(
        rows, key=lambda r: (-(r.spread if r.spread is not None else -1), order[r.item.key])
    )


def agreed_of(session: Session, *, return_id: int) -> dict[str, AgreedRating]:
    return {
        a.item: a
        for a in session.scalars(select(AgreedRating).where(AgreedRating.return_id == return_id))
    }


def agree_ratings(
    session: Session,
    *,
    target: PanelReturn,
    agreed: dict[str, tuple[int | None, str]],
    actor: Person,
) -> dict[str, str]:
    """The chair records what the panel agreed, item key → (rating, notes); changeable until
    feedback. Returns each item's problem; nothing is saved unless every item is right."""
    if not target.is_chair:
        raise PanelError("Only the panel's chair records the agreed ratings")
    if not target.open:
        raise PanelError("Feedback has been issued: the agreed ratings can no longer change")
    items = {item.key: item for item in target.items}
    problems = {}
    for key, (rating, _notes) in agreed.items():
        if key not in items:
            raise PanelError("That item is not scored in this return")
        if rating is None or items[key].level(rating) is None:
            problems[key] = f"Choose the agreed rating for {items[key].title} from its scale"
    if problems:
        return problems
    return_id = target.view.agency_return.id
    kept = agreed_of(session, return_id=return_id)
    for key, (rating, notes) in agreed.items():
        row = kept.get(key)
        if row is None:
            row = AgreedRating(return_id=return_id, item=key)
            session.add(row)
        row.rating = rating  # type: ignore[assignment]
        row.notes = notes.strip()
        row.agreed_by_id = actor.id
        row.agreed_at = utcnow()
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="panel_ratings_agreed",
        object_type="return",
        object_id=return_id,
        detail={key: rating for key, (rating, _notes) in agreed.items()},
    )
    return {}


def runs_meeting(person: Person, panel: PanelSession) -> bool:
    """The chair starts the meeting; a coordinator may, when the chair cannot."""
    return (
        panel.chair_id == person.id
        or person.is_admin
        or panel.partnership_id in _coordinating(person)
    )


def start_meeting(session: Session, *, panel: PanelSession, actor: Person) -> None:
    _refuse_if_cancelled(panel)
    if panel.started_at is None:
        panel.started_at = utcnow()
        session.flush()
        _audit(session, actor, "panel_meeting_started", panel)


@dataclass(frozen=True)
class Agenda:
    current: PanelSlot | None
    minutes_left: int | None  # of the current slot
    next: PanelSlot | None


def agenda(slots: list[PanelSlot], now: datetime | None = None) -> Agenda:
    """Where the meeting is: the slot under way, the time left in it, and the next one."""
    now = now or utcnow()
    booked = [s for s in slots if s.return_id is not None]
    current = next((s for s in booked if aware(s.starts_at) <= now < aware(s.ends_at)), None)
    upcoming = [s for s in booked if aware(s.starts_at) > now]
    left = None
    if current is not None:
        left = int((aware(current.ends_at) - now).total_seconds() // 60)
    return Agenda(current, left, upcoming[0] if upcoming else None)


def session_to_follow(session: Session, *, person: Person, session_id: int) -> PanelSession | None:
    """A session for its members and for its partnership's coordinators."""
    panel = session.get(PanelSession, session_id)
    if panel is None or panel.cancelled_at is not None:
        return None
    if person.is_admin or panel.partnership_id in _coordinating(person):
        return panel
    if any(m.person_id == person.id for m in members_of(session, panel)):
        return panel
    return None


# Feedback to the agency -----------------------------------------------------------------------


def feedback_problems(session: Session, target: PanelReturn) -> list[str]:
    """What must be settled before feedback goes: every item agreed, and a recommendation
    for every item agreed as not met."""
    rows = moderation(session, target)
    linked = {
        r.item
        for r in actions_service.recommendations_of(session, return_id=target.view.agency_return.id)
    }
    problems = [f"Agree a rating for {row.item.title}" for row in rows if row.agreed is None]
    problems += [
        f"{row.item.title} is agreed as {row.item.level(row.agreed.rating).label}: "  # type: ignore[union-attr]
        "add at least one recommendation for it"
        for row in rows
        if row.needs_recommendation and row.item.key not in linked
    ]
    return problems


def issue_feedback(
    session: Session, *, target: PanelReturn, strengths: str, actor: Person, base_url: str
) -> list[Email]:
    """Send the agency what the panel agreed; the return moves to feedback issued. Issuing
    twice (a double click, a retry) issues it once."""
    agency_return = target.view.agency_return
    if session.get(Feedback, agency_return.id) is not None:
        return []
    problems = feedback_problems(session, target)
    if problems:
        raise PanelError(problems[0])
    if not strengths.strip():
        raise PanelError("Enter the strengths the panel saw, for the agency to read")
    session.add(
        Feedback(return_id=agency_return.id, strengths=strengths.strip(), issued_by_id=actor.id)
    )
    returns_service.move_return(
        session, agency_return=agency_return, to=ReturnStatus.FEEDBACK_ISSUED, actor=actor
    )
    return _feedback_emails(session, target, base_url)


@dataclass(frozen=True)
class FeedbackView:
    feedback: Feedback
    ratings: list[tuple[ScoredItem, AgreedRating]]
    recommendations: list[Recommendation]
    items: dict[str, ScoredItem]


def feedback_of(session: Session, *, view: returns_service.ReturnView) -> FeedbackView | None:
    """The feedback issued on a return, for callers that have decided who may see it."""
    feedback = session.get(Feedback, view.agency_return.id)
    if feedback is None:
        return None
    items = scored_items(view)
    agreed = agreed_of(session, return_id=view.agency_return.id)
    return FeedbackView(
        feedback,
        [(item, agreed[item.key]) for item in items if item.key in agreed],
        actions_service.recommendations_of(session, return_id=view.agency_return.id),
        {item.key: item for item in items},
    )


def _feedback_emails(session: Session, target: PanelReturn, base_url: str) -> list[Email]:
    view = target.view
    shown = feedback_of(session, view=view)
    assert shown is not None
    lines = []
    for item, agreed in shown.ratings:
        level = item.level(agreed.rating)
        lines.append(f"- {item.title}: {level.label if level else agreed.rating}")
    recommendations = [
        f"{index}. Worry: {r.worry_statement}\n   Safety goal: {r.safety_goal}\n"
        f"   Next steps: {r.next_steps}\n   Priority: {r.priority}; theme: {r.theme}"
        for index, r in enumerate(shown.recommendations, start=1)
    ]
    link = f"{base_url.rstrip('/')}/returns/{view.agency_return.id}/feedback"
    emails = []
    for name, address in directory_service.leads_of(
        session, partnership_id=target.panel.partnership_id, agency_id=view.agency.id
    ):
        body = (
            f"Hello {name},\n\nThank you for meeting the challenge and support panel. "
            f"This is its feedback on {view.agency.name}'s return for {view.cycle.name}.\n\n"
            "Agreed ratings:\n" + "\n".join(lines) + "\n\n"
            f"Strengths the panel saw:\n{shown.feedback.strengths}\n\n"
            "Recommendations:\n" + ("\n".join(recommendations) or "None.") + "\n\n"
            f"Read it online, and turn the recommendations into your action plan, at {link}\n"
        )
        emails.append(
            Email(
                to=address,
                subject=f"{view.cycle.name}: the panel's feedback to {view.agency.name}",
                body=body,
            )
        )
    return emails
