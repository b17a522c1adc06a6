"""Challenge and support panels through the pages: scheduling with calendar invitations,
conflicts of interest, scoring in private, moderation, recommendations and feedback."""

from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar
from sqlalchemy import select

from app.cycles.models import Cycle
from app.directory.models import Agency, Membership, Person, Role
from app.panels import service as panels_service
from app.panels.models import PanelSession, PanelSlot
from app.returns.models import AgencyReturn, ReturnStatus
from tests.conftest import lead_of, person_by_email, sign_in

COORDINATOR = "coordinator@nscp.example.org"
SUBMITTED = ["Break", "Norwich City Council"]  # submitted in the demo's open cycle


def _members(db) -> list[Person]:
    ids = db.scalars(
        select(Membership.person_id)
        .where(Membership.role == Role.PANEL_MEMBER)
        .order_by(Membership.id)
    ).all()
    return [db.get(Person, i) for i in ids]


def _agency(db, name: str) -> Agency:
    return db.scalars(select(Agency).where(Agency.name == name)).one()


def _return_of(db, agency_name: str) -> AgencyReturn:
    return db.scalars(
        select(AgencyReturn)
        .join(Cycle)
        .where(AgencyReturn.agency_id == _agency(db, agency_name).id, Cycle.slug == "s11-2021")
    ).one()


def _session_form(client, **fields) -> dict[str, str]:
    day = date.today() + timedelta(days=60)
    form = {
        "csrf_token": client.csrf_token("/round/cycles/s11-2021/panels/new"),
        "title": "Panel 1",
        "day-day": str(day.day),
        "day-month": str(day.month),
        "day-year": str(day.year),
        "starts": "09:30",
        "ends": "12:30",
        "slot_minutes": "45",
        "mode": "online",
        "meeting_link": "https://meet.example.org/panel-1",
    }
    return form | fields


def _schedule(client, db) -> PanelSession:
    response = client.post(
        "/round/cycles/s11-2021/panels/new", data=_session_form(client), follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return db.scalars(select(PanelSession).order_by(PanelSession.id.desc())).first()


def _add_member(client, panel: PanelSession, person: Person, agency: Agency | None = None):
    return client.post(
        f"/round/panels/{panel.id}/members",
        data={
            "csrf_token": client.csrf_token(f"/round/panels/{panel.id}"),
            "member": str(person.id),
            "agency": str(agency.id) if agency else "",
        },
        follow_redirects=False,
    )


def _book(client, panel: PanelSession, slot: PanelSlot, agency_return: AgencyReturn):
    return client.post(
        f"/round/panels/{panel.id}/slots/{slot.id}/book",
        data={
            "csrf_token": client.csrf_token(f"/round/panels/{panel.id}"),
            "return_id": str(agency_return.id),
        },
        follow_redirects=False,
    )


def _slots(db, panel) -> list[PanelSlot]:
    return list(
        db.scalars(
            select(PanelSlot).where(PanelSlot.session_id == panel.id).order_by(PanelSlot.starts_at)
        )
    )


def _calendar(message) -> Calendar:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return Calendar.from_ical(part.get_payload(decode=True))
    raise AssertionError("no calendar in the message")


def test_a_coordinator_schedules_a_session_and_members_and_the_lead_get_calendar_invitations(
    mail_client, db, demo, mailbox
):
    client = mail_client
    sign_in(client, person_by_email(db, COORDINATOR))
    panel = _schedule(client, db)
    assert len(_slots(db, panel)) == 4  # 09:30 to 12:30 in 45-minute slots
    member = _members(db)[0]
    assert _add_member(client, panel, member).status_code == 303
    [invite] = mailbox.to(member.email)
    event = _calendar(invite)
    assert str(event["method"]) == "REQUEST"
    [vevent] = event.walk("VEVENT")
    uid = str(vevent["uid"])
    assert vevent["dtstart"].dt.hour == 9 and vevent["dtstart"].dt.minute == 30
    assert str(vevent["dtstart"].dt.tzinfo) == "Europe/London"

    break_return = _return_of(db, "Break")
    slot = _slots(db, panel)[1]
    assert _book(client, panel, slot, break_return).status_code == 303
    db.refresh(break_return)
    assert break_return.status is ReturnStatus.AT_PANEL
    lead = lead_of(db, "Break")
    [lead_invite] = mailbox.to(lead.email)
    lead_event = next(iter(_calendar(lead_invite).walk("VEVENT")))
    assert lead_event["dtstart"].dt.hour == 10 and lead_event["dtstart"].dt.minute == 15

    # Moving the session sends an update: the same entry, a higher sequence.
    changed = _session_form(client, starts="13:00", ends="16:00")
    changed["csrf_token"] = client.csrf_token(f"/round/panels/{panel.id}/edit")
    response = client.post(f"/round/panels/{panel.id}/edit", data=changed, follow_redirects=False)
    assert response.status_code == 303, response.text
    update = next(iter(_calendar(mailbox.to(member.email)[-1]).walk("VEVENT")))
    assert str(update["uid"]) == uid and int(update["sequence"]) > int(vevent["sequence"])
    assert update["dtstart"].dt.hour == 13
    lead_update = next(iter(_calendar(mailbox.to(lead.email)[-1]).walk("VEVENT")))
    assert lead_update["dtstart"].dt.hour == 13  # Break keeps its place, first in the new slots

    # Calling it off cancels everyone's entry and frees the return for another session.
    client.post(
        f"/round/panels/{panel.id}/cancel",
        data={"csrf_token": client.csrf_token(f"/round/panels/{panel.id}/cancel")},
    )
    cancel = _calendar(mailbox.to(member.email)[-1])
    assert str(cancel["method"]) == "CANCEL"
    assert str(next(iter(cancel.walk("VEVENT")))["uid"]) == uid
    assert str(_calendar(mailbox.to(lead.email)[-1])["method"]) == "CANCEL"
    db.refresh(break_return)
    assert break_return.status is ReturnStatus.SUBMITTED


def test_booking_an_agency_a_member_comes_from_is_refused_with_the_reason(client, db, demo):
    sign_in(client, person_by_email(db, COORDINATOR))
    panel = _schedule(client, db)
    member = _members(db)[0]
    council = _agency(db, "Norwich City Council")
    assert _add_member(client, panel, member, council).status_code == 303
    council_return = _return_of(db, "Norwich City Council")
    response = _book(client, panel, _slots(db, panel)[0], council_return)
    assert response.status_code == 400
    assert f"{member.name} sits on it and they come from Norwich City Council" in response.text
    db.refresh(council_return)
    assert council_return.status is ReturnStatus.SUBMITTED
    assert all(slot.return_id is None for slot in _slots(db, panel))


def test_auto_fill_books_waiting_returns_and_skips_the_one_a_member_declared_an_interest_in(
    client, db, demo
):
    member = _members(db)[0]
    sign_in(client, member)
    council = _agency(db, "Norwich City Council")
    response = client.post(
        "/panels/conflicts",
        data={
            "csrf_token": client.csrf_token("/panels/conflicts"),
            "agency": str(council.id),
            "reason": "My partner is its head of housing",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    sign_in(client, person_by_email(db, COORDINATOR))
    panel = _schedule(client, db)
    _add_member(client, panel, member)
    page = client.post(
        f"/round/panels/{panel.id}/auto-fill",
        data={"csrf_token": client.csrf_token(f"/round/panels/{panel.id}")},
    )
    assert "Norwich City Council" in page.text and "declared an interest" in page.text
    booked = [s.return_id for s in _slots(db, panel) if s.return_id]
    assert booked == [_return_of(db, "Break").id]


def test_a_member_who_submits_with_a_standard_unrated_is_told_which_and_keeps_what_they_typed(
    client, db, demo
):
    # The demo's second panel member has drafts for Great Yarmouth and has not submitted.
    member = _members(db)[1]
    scoring = _return_of(db, "Great Yarmouth Borough Council")
    sign_in(client, member)
    response = client.post(
        f"/panels/returns/{scoring.id}/scores",
        data={
            "csrf_token": client.csrf_token(f"/panels/returns/{scoring.id}/scores"),
            "item-0-rating": "3",
            "item-0-worries": "Who audits the neglect cases?",
            "action": "submit",
        },
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert "Give a rating for" in response.text
    assert "Who audits the neglect cases?" in response.text
    assert member.id not in panels_service.sheets_of(db, return_id=scoring.id)
