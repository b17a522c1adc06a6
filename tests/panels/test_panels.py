"""Challenge and support panels through the pages: scheduling with calendar invitations,
conflicts of interest, scoring in private, moderation, recommendations and feedback."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app.actions import recommendations
from app.cycle_models import Cycle
from app.db import aware
from app.directory import service as directory_service
from app.directory.models import Agency, Membership, Person, Role
from app.panels import booking, moderation, reading, scheduling, scoring, sessions
from app.panels.models import MeetingMode, PanelSession, PanelSlot
from app.returns.models import AgencyReturn, ReturnStatus
from tests.conftest import attach_pdf, lead_of, person_by_email, sign_in

COORDINATOR = "coordinator@nscp.example.org"
SUBMITTED = ["Break", "Norwich City Council"]  # submitted in the demo's open cycle


def _members(db) -> list[Person]:
    ids = db.scalars(
        select(Membership.person_id)
        .where(Membership.role == Role.PANEL_MEMBER)
        .order_by(Membership.id)
    ).all()
    return [directory_service.get_person(db, person_id=i) for i in ids]


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


@pytest.fixture
def booked(db, demo):
    """Panel 1 with two members, the first in the chair, and Break's return booked."""
    coordinator = person_by_email(db, COORDINATOR)
    partnership = next(m.partnership for m in coordinator.memberships if m.role is Role.COORDINATOR)
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    day = date.today() + timedelta(days=60)
    details = scheduling.SessionDetails(
        title="Panel 1",
        day=day,
        starts=time(9, 30),
        ends=time(12, 30),
        slot_minutes=45,
        mode=MeetingMode.IN_PERSON,
        location="County Hall, Norwich",
    )
    panel = scheduling.create_session(
        db, cycle=cycle, partnership=partnership, details=details, actor=coordinator
    )
    chair, member = _members(db)[:2]
    for person in (chair, member):
        scheduling.add_member(
            db,
            panel=panel,
            partnership=partnership,
            person_id=person.id,
            agency_id=None,
            actor=coordinator,
            base_url="http://localhost",
        )
    scheduling.make_chair(db, panel=panel, person_id=chair.id, actor=coordinator)
    break_return = _return_of(db, "Break")
    booking.assign(
        db,
        panel=panel,
        partnership=partnership,
        slot_id=_slots(db, panel)[0].id,
        return_id=break_return.id,
        actor=coordinator,
        base_url="http://localhost",
    )
    db.flush()
    return panel, chair, member, break_return


def _target(db, person, agency_return):
    target = reading.panel_return_for(db, person=person, return_id=agency_return.id)
    assert target is not None
    return target


def _score_all(db, person, agency_return, rating_index: int, submit: bool = True) -> None:
    target = _target(db, person, agency_return)
    entries = {
        item.key: scoring.ScoreEntry(
            rating=item.levels[rating_index].value, worries=f"{person.name} wonders"
        )
        for item in target.items
    }
    scoring.save_scores(db, target=target, person=person, entries=entries)
    if submit:
        scoring.submit_scores(db, target=target, person=person)


def test_colleagues_scores_stay_hidden_until_a_member_submits_their_own(client, db, booked):
    panel, chair, member, break_return = booked
    _score_all(db, chair, break_return, rating_index=0)
    sign_in(client, member)
    page = client.page(f"/panels/returns/{break_return.id}/moderation")
    cells = [td.get_text(" ", strip=True) for td in page.select("tbody td")]
    assert "Hidden" in cells and "Inadequate" not in " ".join(cells)
    assert f"{chair.name} wonders" not in page.get_text()

    _score_all(db, member, break_return, rating_index=2)
    page = client.page(f"/panels/returns/{break_return.id}/moderation")
    assert "Hidden" not in page.get_text()
    assert "Inadequate" in page.get_text() and f"{chair.name} wonders" in page.get_text()


def test_scores_once_submitted_cannot_change(client, db, booked):
    _panel, chair, _member, break_return = booked
    _score_all(db, chair, break_return, rating_index=1)
    sign_in(client, chair)
    target = _target(db, chair, break_return)
    response = client.post(
        f"/panels/returns/{break_return.id}/scores",
        data={
            "csrf_token": client.csrf_token(f"/panels/returns/{break_return.id}/scores"),
            "item-0-rating": str(target.items[0].levels[3].value),
            "action": "save",
        },
    )
    assert response.status_code == 400
    assert "You have submitted your scores" in response.text
    mine = scoring.scores_of(db, return_id=break_return.id)[chair.id]
    assert mine[target.items[0].key].rating == target.items[0].levels[1].value


def test_submitting_scores_with_an_item_unrated_is_refused_and_the_notes_typed_are_kept(
    client, db, booked
):
    _panel, _chair, member, break_return = booked
    sign_in(client, member)
    response = client.post(
        f"/panels/returns/{break_return.id}/scores",
        data={
            "csrf_token": client.csrf_token(f"/panels/returns/{break_return.id}/scores"),
            "item-0-worries": "No neglect audit since 2019",
            "action": "submit",
        },
    )
    assert response.status_code == 400
    assert "Give a rating for" in response.text
    assert "No neglect audit since 2019" in response.text
    assert member.id not in scoring.sheets_of(db, return_id=break_return.id)


def test_moderation_shows_the_widest_disagreement_first(db, booked):
    _panel, chair, member, break_return = booked
    target = _target(db, chair, break_return)
    first, second, *_rest = target.items
    ratings = {first.key: (1, 1), second.key: (0, 3)}  # agreement, then a wide gap
    for person, side in ((chair, 0), (member, 1)):
        entries = {
            item.key: scoring.ScoreEntry(
                rating=item.levels[ratings.get(item.key, (2, 2))[side]].value
            )
            for item in target.items
        }
        scoring.save_scores(
            db, target=_target(db, person, break_return), person=person, entries=entries
        )
        scoring.submit_scores(db, target=_target(db, person, break_return), person=person)
    rows = moderation.moderation(db, _target(db, chair, break_return), chair)
    spreads = [row.spread for row in rows]
    assert rows[0].item.key == second.key and rows[0].spread == 3
    assert spreads == sorted(spreads, key=lambda s: -1 if s is None else s, reverse=True)


def test_a_panel_member_opening_a_return_not_booked_for_them_finds_nothing(client, db, booked):
    _panel, _chair, member, break_return = booked
    sign_in(client, member)
    assert client.get(f"/panels/returns/{break_return.id}").status_code == 200
    not_booked = _return_of(db, "Norwich City Council")
    for path in (
        f"/panels/returns/{not_booked.id}",
        f"/panels/returns/{not_booked.id}/scores",
        f"/panels/returns/{not_booked.id}/moderation",
    ):
        assert client.get(path).status_code == 404, path
    third = _members(db)[2]
    sign_in(client, third)  # a panel member, but not on this session
    assert client.get(f"/panels/returns/{break_return.id}").status_code == 404


def test_a_member_who_declares_an_interest_after_booking_no_longer_sees_the_return(
    client, db, booked
):
    _panel, _chair, member, break_return = booked
    sign_in(client, member)
    client.post(
        "/panels/conflicts",
        data={
            "csrf_token": client.csrf_token("/panels/conflicts"),
            "agency": str(break_return.agency_id),
            "reason": "I volunteer there",
        },
    )
    assert client.get(f"/panels/returns/{break_return.id}").status_code == 404
    sign_in(client, person_by_email(db, COORDINATOR))
    panels_page = client.page("/round/cycles/s11-2021/panels")
    assert "declared an interest in Break (I volunteer there)" in panels_page.get_text()
    declared = [
        [cell.get_text(strip=True) for cell in row.select("td")]
        for row in panels_page.select("table")[-1].select("tbody tr")
    ]
    assert [member.name, "Break", "I volunteer there"] in declared


def _recommendation(client, return_id: int, **fields):
    form = {
        "csrf_token": client.csrf_token(f"/panels/returns/{return_id}/moderation"),
        "worry_statement": "Staff do not recognise neglect early",
        "safety_goal": "Every practitioner uses the Graded Care Profile 2",
        "next_steps": "Train frontline staff by March",
        "priority": "Neglect",
        "theme": "Professional curiosity",
        "item": "",
    }
    return client.post(f"/panels/returns/{return_id}/recommendations", data=form | fields)


def test_a_recommendation_without_a_worry_statement_is_refused_and_the_rest_is_kept(
    client, db, booked
):
    _panel, chair, _member, break_return = booked
    sign_in(client, chair)
    response = _recommendation(client, break_return.id, worry_statement="  ")
    assert response.status_code == 400
    assert "Enter the worry statement" in response.text
    assert "Every practitioner uses the Graded Care Profile 2" in response.text
    assert recommendations.recommendations_of(db, return_id=break_return.id) == []


def test_feedback_waits_for_every_agreed_rating_and_a_recommendation_for_each_red_one(
    mail_client, db, booked, mailbox
):
    panel, chair, member, break_return = booked
    client = mail_client
    _score_all(db, chair, break_return, rating_index=0)
    _score_all(db, member, break_return, rating_index=1)
    target = _target(db, chair, break_return)
    sign_in(client, chair)
    form = {"csrf_token": client.csrf_token(f"/panels/returns/{break_return.id}/moderation")}
    for index, item in enumerate(target.items):
        form[f"agreed-{index}"] = str(item.levels[0 if index == 0 else 2].value)
        form[f"agreed-{index}-notes"] = "Agreed with the agency"
    response = client.post(
        f"/panels/returns/{break_return.id}/agreed", data=form, follow_redirects=False
    )
    assert response.status_code == 303, response.text

    sign_in(client, person_by_email(db, COORDINATOR))
    path = f"/round/returns/{break_return.id}/feedback"
    issue = {"csrf_token": client.csrf_token(path), "strengths": "A strong safeguarding culture"}
    refused = client.post(path, data=issue)
    assert refused.status_code == 400
    assert "add at least one recommendation for it" in refused.text
    db.refresh(break_return)
    assert break_return.status is ReturnStatus.AT_PANEL

    sign_in(client, chair)
    red = target.items[0].key
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    assert (
        _recommendation(client, break_return.id, item=red, worry_statement=evil).status_code == 200
    )

    sign_in(client, person_by_email(db, COORDINATOR))
    issue["csrf_token"] = client.csrf_token(path)
    assert client.post(path, data=issue, follow_redirects=False).status_code == 303
    assert client.post(path, data=issue, follow_redirects=False).status_code == 303  # again
    db.refresh(break_return)
    assert break_return.status is ReturnStatus.FEEDBACK_ISSUED
    lead = lead_of(db, "Break")
    [email] = [m for m in mailbox.to(lead.email) if "feedback" in m["Subject"]]
    assert "A strong safeguarding culture" in email.get_content()

    sign_in(client, lead)
    assert "Read the panel's feedback" in client.page(f"/returns/{break_return.id}").get_text()
    response = client.get(f"/returns/{break_return.id}/feedback")
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "A strong safeguarding culture" in response.text


def test_members_download_the_booked_returns_evidence_and_others_find_nothing(
    client, db, booked, settings
):
    _panel, _chair, member, break_return = booked
    break_return.status = ReturnStatus.IN_PROGRESS  # evidence goes on while the return is open
    file_id = attach_pdf(db, settings, lead_of(db, "Break"), break_return.id)
    break_return.status = ReturnStatus.AT_PANEL
    db.flush()
    path = f"/panels/returns/{break_return.id}/evidence/{file_id}"
    sign_in(client, member)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.content.startswith(b"%PDF")
    sign_in(client, _members(db)[2])  # on the steering group, not on this session
    assert client.get(path).status_code == 404


def test_starting_the_meeting_shows_every_member_everyones_scores(client, db, booked):
    panel, chair, member, break_return = booked
    _score_all(db, chair, break_return, rating_index=0)
    sign_in(client, member)
    moderation = f"/panels/returns/{break_return.id}/moderation"
    assert "Hidden" in client.page(moderation).get_text()
    assert (
        client.post(  # only the chair (or a coordinator) starts it
            f"/panels/sessions/{panel.id}/start",
            data={"csrf_token": client.csrf_token(moderation)},
        ).status_code
        == 404
    )
    sign_in(client, chair)
    meeting = f"/panels/sessions/{panel.id}/meeting"
    client.post(
        f"/panels/sessions/{panel.id}/start", data={"csrf_token": client.csrf_token(meeting)}
    )
    sign_in(client, member)
    page = client.page(moderation).get_text()
    assert "Hidden" not in page and "Inadequate" in page


def test_the_agenda_names_the_slot_under_way_its_minutes_left_and_the_next_agency(db, booked):
    panel, _chair, _member, _break_return = booked
    slots = sessions.slots_of(db, panel)
    slots[2].return_id = _return_of(db, "Norwich City Council").id  # booked later in the day
    first = aware(slots[0].starts_at)
    agenda = moderation.agenda(slots, now=first + timedelta(minutes=10))
    assert agenda.current is slots[0] and agenda.minutes_left == 35
    assert agenda.next is slots[2]  # the empty slot between is skipped
    before = moderation.agenda(slots, now=first - timedelta(minutes=5))
    assert before.current is None and before.next is slots[0]


def test_a_members_past_sessions_sit_below_the_ones_to_come(client, db, demo):
    # The demo's first member chairs this year's Panel 1; the second and third also sat on
    # last year's, which has ended.
    member = _members(db)[1]
    sign_in(client, member)
    page = client.page("/panels")
    headings = [h.get_text(strip=True) for h in page.select("main h2")]
    assert headings[0].startswith("Panel 1:")  # this year's, to come
    assert headings[-1] == "Past sessions"
    past = page.find("h2", string="Past sessions").find_next("ul").get_text(" ", strip=True)
    assert "Panel 1" in past and "7 agencies" in past
