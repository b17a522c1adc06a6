"""Calendar invitations (.ics, RFC 5545) for a panel meeting: the request, its updates, its cancel.

It never sends them or decides who is invited; the caller puts the text on an Email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress

PRODID = "-//s11//Challenge and support panels//EN"
# Partnerships meet in England: times are written as the wall-clock time people will see,
# whatever zone the caller's datetimes are in.
TZID = "Europe/London"
LONDON = ZoneInfo(TZID)


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  # stable per meeting, e.g. "panel-session-12@s11": it is how clients match updates
    sequence: int  # 0 for the first invitation; higher for each update and for the cancellation
    starts_at: datetime  # timezone-aware, any zone
    ends_at: datetime
    summary: str
    description: str
    location: str | None  # an in-person address, or None
    url: str | None  # an online meeting's link, or None
    organiser_name: str
    organiser_email: str
    attendees: tuple[tuple[str, str], ...]  # (name, email)


def invitation(event: CalendarEvent) -> str:
    """The invitation (METHOD:REQUEST) for a new or changed meeting, as the .ics text."""
    return _calendar(event, method="REQUEST", status="CONFIRMED")


def cancellation(event: CalendarEvent) -> str:
    """The cancellation (METHOD:CANCEL) of a meeting already sent with the same uid."""
    return _calendar(event, method="CANCEL", status="CANCELLED")


def _calendar(event: CalendarEvent, *, method: str, status: str) -> str:
    if event.starts_at.tzinfo is None or event.ends_at.tzinfo is None:
        raise ValueError("a meeting's start and end need a timezone")
    starts_at, ends_at = event.starts_at.astimezone(LONDON), event.ends_at.astimezone(LONDON)
    vevent = Event.new(
        uid=event.uid,
        sequence=event.sequence,
        stamp=datetime.now(UTC),
        start=starts_at,
        end=ends_at,
        summary=event.summary,
        description=event.description,
        # A client with no field for a link still shows where an online meeting is.
        location=event.location or event.url,
        url=event.url,
        status=status,
        organizer=vCalAddress.new(event.organiser_email, cn=_one_line(event.organiser_name)),
        # Attendees are named in a cancellation too: clients remove it from their calendars.
        attendees=[
            vCalAddress.new(
                email,
                cn=_one_line(name),
                role="REQ-PARTICIPANT",
                partstat="NEEDS-ACTION",
                rsvp=True,
            )
            for name, email in event.attendees
        ],
    )
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    # Only the years the meeting touches: clients need the rules around it, and the whole
    # 1970-2038 history would make every invitation several kilobytes longer.
    calendar.add_component(
        Timezone.from_tzid(
            TZID,
            first_date=date(starts_at.year, 1, 1),
            last_date=date(ends_at.year + 1, 1, 1),
        )
    )
    calendar.add_component(vevent)
    return calendar.to_ical().decode()


def _one_line(name: str) -> str:
    # A name is one line. icalendar would encode a line break in a parameter (RFC 6868), but
    # many clients show that encoding as it is; without the break nothing is left to encode.
    return " ".join(name.split())
