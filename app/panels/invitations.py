"""The calendar invitations (.ics) a member or an agency lead receives when a session or a slot
is set, changed or cancelled. Never sends: the emails go back to the request to deliver."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.db import aware
from app.directory import service as directory_service
from app.directory.models import Agency, Partnership, Person
from app.directory.terms import BoardTerms, terms_for
from app.notifications.calendar import CalendarEvent, cancellation, invitation
from app.notifications.mail import Email
from app.panels.models import CalendarSequence, MeetingMode, PanelSession, PanelSlot
from app.panels.sessions import Member, london
from app.returns.models import AgencyReturn


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


def _terms_of(session: Session, panel: PanelSession) -> BoardTerms:
    """The words of the board whose panel this is (a safeguarding adults board's differ)."""
    return terms_for(session.get(Partnership, panel.partnership_id))


def _member_uid(panel: PanelSession, base_url: str) -> str:
    return f"panel-session-{panel.id}@{_host(base_url)}"


def member_message(
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
    terms = _terms_of(session, panel)
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
            summary=f"{terms.work_title} challenge and support panel: {panel.title}",
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


def lead_message(
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
    terms = _terms_of(session, panel)
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
                f"Hello {name},\n\nThe {terms.board}'s challenge and support panel will meet "
                f"{agency.name} to talk through its {terms.return_name}.\n\n"
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
            summary=f"{terms.work_title} challenge and support meeting: {agency.name}",
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
