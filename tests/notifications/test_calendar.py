"""Panel meeting invitations as calendar files: they open at the right London time in any
client, updates and cancels replace the same meeting, and they survive a refused send."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from icalendar import Calendar

from app.notifications import queue as mail_queue
from app.notifications import service as notifications_service
from app.notifications.calendar import CalendarEvent, cancellation, invitation
from app.notifications.mail import Email, open_transport
from app.notifications.models import SendStatus
from tests.conftest import deliver_now, free_port, test_settings

SUMMER = datetime(2026, 7, 14, 9, 30, tzinfo=UTC)  # 10:30 in London (BST)
WINTER = datetime(2026, 1, 14, 9, 30, tzinfo=UTC)  # 09:30 in London (GMT)


def panel_meeting(**changes: object) -> CalendarEvent:
    meeting = CalendarEvent(
        uid="panel-session-12@s11",
        sequence=0,
        starts_at=SUMMER,
        ends_at=SUMMER + timedelta(hours=1, minutes=30),
        summary="Challenge and support panel: NSPCC",
        description="Please bring your return.\nWe start promptly; tea, coffee, biscuits.",
        location="County Hall, Martineau Lane, Norwich",
        url=None,
        organiser_name="Norfolk Safeguarding Children Partnership",
        organiser_email="coordinator@nscp.example.org",
        attendees=(("Sam Reed", "sam.reed@example.org"), ("Siân Jones", "sian.jones@example.org")),
    )
    return replace(meeting, **changes)  # type: ignore[arg-type]


def the_meeting(ics: str):  # type: ignore[no-untyped-def]
    calendar = Calendar.from_ical(ics)
    [event] = calendar.events
    return calendar, event


@pytest.fixture
def mail_server_down(database_url, var_dir):
    """Settings whose mail server refuses every connection: nothing listens on the port."""
    return test_settings(database_url, var_dir, smtp_host="127.0.0.1", smtp_port=free_port())


@pytest.fixture
def mail_server_up(database_url, var_dir, smtp_server):
    return test_settings(database_url, var_dir, smtp_host="127.0.0.1", smtp_port=smtp_server[1])


@pytest.mark.parametrize(
    ("starts_at", "london_time"), [(SUMMER, "20260714T103000"), (WINTER, "20260114T093000")]
)
def test_an_invitation_opens_at_the_london_time_of_the_meeting_in_summer_and_winter(
    starts_at, london_time
):
    ics = invitation(panel_meeting(starts_at=starts_at, ends_at=starts_at + timedelta(hours=1)))
    calendar, event = the_meeting(ics)

    assert calendar["METHOD"] == "REQUEST" and calendar["VERSION"] == "2.0"
    assert "s11" in calendar["PRODID"]
    assert event["UID"] == "panel-session-12@s11" and event["SEQUENCE"] == 0
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event["DTEND"].params["TZID"] == "Europe/London"
    assert f"DTSTART;TZID=Europe/London:{london_time}\r\n" in ics
    assert event.start == starts_at and event.end == starts_at + timedelta(hours=1)
    # A client without its own zone database reads the offsets from the file itself.
    [timezone] = calendar.timezones
    assert timezone["TZID"] == "Europe/London"
    assert {part.name for part in timezone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    assert event["DTSTAMP"].dt.utcoffset() == timedelta(0)


def test_an_invitation_names_the_organiser_and_asks_every_attendee_to_reply():
    _, event = the_meeting(invitation(panel_meeting()))

    assert event["ORGANIZER"] == "mailto:coordinator@nscp.example.org"
    assert event["ORGANIZER"].params["CN"] == "Norfolk Safeguarding Children Partnership"
    attendees = {str(attendee): attendee.params for attendee in event["ATTENDEE"]}
    assert set(attendees) == {"mailto:sam.reed@example.org", "mailto:sian.jones@example.org"}
    assert attendees["mailto:sian.jones@example.org"]["CN"] == "Siân Jones"
    for params in attendees.values():
        assert params["ROLE"] == "REQ-PARTICIPANT" and params["PARTSTAT"] == "NEEDS-ACTION"
        assert params["RSVP"] == "TRUE"


def test_an_invitation_shows_the_details_exactly_as_the_coordinator_typed_them():
    ics = invitation(panel_meeting())
    _, event = the_meeting(ics)

    assert event["SUMMARY"] == "Challenge and support panel: NSPCC"
    assert event["DESCRIPTION"] == panel_meeting().description  # its comma, semicolon, newline
    assert event["LOCATION"] == "County Hall, Martineau Lane, Norwich"
    assert "URL" not in event
    # RFC 5545: lines end in CRLF and are folded at 75 octets.
    assert ics.endswith("\r\n") and "\n" not in ics.replace("\r\n", "")
    assert max(len(line.encode()) for line in ics.split("\r\n")) <= 75


def test_an_online_meeting_shows_its_link_where_a_place_would_be():
    link = "https://meet.example.org/panel-12?pwd=a1;b2"
    _, event = the_meeting(invitation(panel_meeting(location=None, url=link)))

    assert event["URL"] == link and event["LOCATION"] == link


def test_a_changed_meeting_replaces_the_one_already_in_calendars():
    first = panel_meeting()
    moved = replace(first, sequence=1, starts_at=WINTER, ends_at=WINTER + timedelta(hours=1))
    _, sent_first = the_meeting(invitation(first))
    calendar, update = the_meeting(invitation(moved))

    assert calendar["METHOD"] == "REQUEST"
    assert update["UID"] == sent_first["UID"]
    assert update["SEQUENCE"] > sent_first["SEQUENCE"]
    assert update.start == WINTER


def test_a_cancelled_meeting_is_removed_from_every_attendees_calendar():
    first = panel_meeting()
    calendar, cancelled = the_meeting(cancellation(replace(first, sequence=2)))

    assert calendar["METHOD"] == "CANCEL"
    assert cancelled["STATUS"] == "CANCELLED"
    assert cancelled["UID"] == first.uid and cancelled["SEQUENCE"] == 2
    assert {str(attendee) for attendee in cancelled["ATTENDEE"]} == {
        "mailto:sam.reed@example.org",
        "mailto:sian.jones@example.org",
    }


def test_a_name_with_a_line_break_cannot_invite_anyone_else():
    trick = "Eve\r\nATTENDEE:mailto:evil@example.org"
    ics = invitation(
        panel_meeting(
            organiser_name=trick,
            attendees=(("Sam Reed", "sam.reed@example.org"), (trick, "eve@example.org")),
            summary=trick,
            description=trick,
            location=trick,
        )
    )
    _, event = the_meeting(ics)

    assert [str(attendee) for attendee in event["ATTENDEE"]] == [
        "mailto:sam.reed@example.org",
        "mailto:eve@example.org",
    ]
    assert not any(line.startswith("ATTENDEE:") for line in ics.split("\r\n"))
    assert event["ORGANIZER"] == "mailto:coordinator@nscp.example.org"
    assert event["ORGANIZER"].params["CN"] == "Eve ATTENDEE:mailto:evil@example.org"
    # Free text keeps its line break (as an escaped newline), inside its own property.
    assert event["LOCATION"] == event["SUMMARY"] == "Eve\nATTENDEE:mailto:evil@example.org"


def calendar_parts(message):  # type: ignore[no-untyped-def]
    """The meeting as a mail client shows it (alternative) and as the attached file."""
    [shown] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    [attached] = list(message.iter_attachments())
    return shown, attached


def test_a_panel_invitation_arrives_with_accept_and_decline_and_an_ics_file(
    db, mail_server_up, mailbox
):
    ics = invitation(panel_meeting())
    sent = deliver_now(
        db,
        mail_server_up,
        Email(
            to="sam.reed@example.org",
            subject="Challenge and support panel on 14 July",
            body="You are invited to the panel.",
            html="<p>You are invited to the panel.</p>",
            calendar=ics,
        ),
        kind="panel_invitation",
    )

    assert sent.status is SendStatus.SENT
    [message] = mailbox.to("sam.reed@example.org")
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",  # read first by clients that show no calendar
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    shown, attached = calendar_parts(message)
    assert shown.get_param("method") == "REQUEST"
    assert the_meeting(shown.get_content())[1]["UID"] == "panel-session-12@s11"
    assert attached.get_filename() == "invitation.ics"
    assert attached.get_content().decode() == ics
    _, event = the_meeting(attached.get_content())
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert "panel" in message.get_body(("plain",)).get_content()


def test_a_cancelled_panel_arrives_as_a_cancellation(db, mail_server_up, mailbox):
    deliver_now(
        db,
        mail_server_up,
        Email(
            to="sam.reed@example.org",
            subject="Cancelled: challenge and support panel",
            body="The panel has been cancelled.",
            calendar=cancellation(panel_meeting(sequence=1)),
        ),
        kind="panel_cancellation",
    )

    [message] = mailbox.to("sam.reed@example.org")
    shown, attached = calendar_parts(message)
    assert shown.get_param("method") == "CANCEL"
    assert attached.get_filename() == "cancellation.ics"
    assert the_meeting(attached.get_content())[1]["STATUS"] == "CANCELLED"


def test_a_panel_invitation_the_mail_server_refuses_is_retried_with_its_meeting(
    db, mail_server_down, mail_server_up, mailbox
):
    ics = invitation(panel_meeting())
    refused = deliver_now(
        db,
        mail_server_down,
        Email(to="sam.reed@example.org", subject="Panel", body="Invited.", calendar=ics),
        kind="panel_invitation",
    )
    assert refused.status is SendStatus.FAILED
    db.expire_all()
    assert refused.calendar == ics  # as stored, read back from the database

    assert notifications_service.retry(db, refused)
    mail_queue.drain(db, mail_server_up)
    [message] = mailbox.to("sam.reed@example.org")
    shown, attached = calendar_parts(message)
    assert shown.get_param("method") == "REQUEST"
    assert attached.get_content().decode() == ics
    db.refresh(refused)
    assert refused.status is SendStatus.SENT and refused.calendar == ics


def test_without_a_mail_server_the_outbox_holds_the_invitation_too(tmp_path):
    settings = test_settings(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path)
    ics = invitation(panel_meeting())
    with open_transport(settings) as transport:
        email = Email(to="sam.reed@example.org", subject="Panel", body="Hi", calendar=ics)
        transport.send(email, reference="1")

    [written] = (tmp_path / "outbox").glob("*.eml")
    message = message_from_bytes(written.read_bytes(), policy=default_policy)
    shown, attached = calendar_parts(message)
    assert shown.get_param("method") == "REQUEST"
    assert attached.get_filename() == "invitation.ics"
    assert attached.get_content().decode() == ics
