"""Running a round: setting up a cycle, adding agencies, invitations, extensions, the dashboard
and joint cycles, as a partnership's coordinator does it through the pages."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select, update

from app.audit.models import AuditEvent
from app.cycle_models import NORFOLK_PRIORITIES, Cycle
from app.cycles import service as cycles_service
from app.directory import service as directory_service
from app.directory.models import Agency, AgencyDuty, AgencySector, Partnership
from app.notifications.models import SentEmail
from app.questionnaires.models import QuestionnaireVersion
from app.returns.models import AgencyReturn
from tests.conftest import lead_of, person_by_email, sign_in

COORDINATOR = "coordinator@nscp.example.org"


def _version(db, questionnaire_id: str, version: str) -> QuestionnaireVersion:
    return db.scalars(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == questionnaire_id,
            QuestionnaireVersion.version == version,
        )
    ).one()


def _dates(prefix: str, day: date) -> dict[str, str]:
    return {
        f"{prefix}-day": str(day.day),
        f"{prefix}-month": str(day.month),
        f"{prefix}-year": str(day.year),
    }


def _cycle_form(client, version_id: int, **fields) -> dict[str, str]:
    today = date.today()
    form = {
        "csrf_token": client.csrf_token("/round/cycles/new"),
        "name": "Section 11 2022",
        "slug": "",
        "questionnaire_version_id": str(version_id),
        "priorities": "Neglect\nProtecting babies",
        "themes": "Professional curiosity",
        "reminder_days": "14, 7, 1",
        **_dates("opens", today + timedelta(days=10)),
        **_dates("deadline", today + timedelta(days=70)),
    }
    return form | fields


def test_a_coordinator_sets_up_a_cycle_starting_from_norfolks_priorities(client, db, demo):
    sign_in(client, person_by_email(db, COORDINATOR))
    page = client.page("/round/cycles/new")
    assert page.select_one("#priorities").get_text().split("\n") == list(NORFOLK_PRIORITIES)
    version = _version(db, "norfolk-section11", "2021")
    response = client.post(
        "/round/cycles/new", data=_cycle_form(client, version.id), follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/round/cycles/section-11-2022"
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "section-11-2022")).one()
    assert cycle.priorities == ["Neglect", "Protecting babies"]
    assert cycle.reminder_days == [14, 7, 1]
    assert "Section 11 2022" in client.page("/round/cycles").get_text()


def test_a_deadline_before_the_opening_or_a_made_up_date_is_refused_and_kept_as_typed(
    client, db, demo
):
    sign_in(client, person_by_email(db, COORDINATOR))
    version = _version(db, "norfolk-section11", "2021")
    today = date.today()
    response = client.post(
        "/round/cycles/new",
        data=_cycle_form(client, version.id, **_dates("deadline", today))
        | {"panel-starts-day": "31", "panel-starts-month": "2", "panel-starts-year": "2030"},
    )
    assert response.status_code == 400
    assert "The deadline must be after the date the cycle opens" in response.text
    assert "Enter a real date" in response.text
    assert 'value="31"' in response.text  # what was typed is still there
    assert (
        db.scalar(select(func.count()).select_from(Cycle).where(Cycle.name == "Section 11 2022"))
        == 0
    )


def test_the_questionnaire_of_a_cycle_that_has_opened_cannot_change(client, db, demo):
    sign_in(client, person_by_email(db, COORDINATOR))
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    other = _version(db, "norfolk-section11", "2020")
    form = _cycle_form(client, other.id, name=cycle.name, slug=cycle.slug)
    form |= _dates("opens", cycle.opens_on) | _dates("deadline", cycle.deadline_on)
    response = client.post("/round/cycles/s11-2021/edit", data=form)
    assert response.status_code == 400
    assert "The questionnaire is frozen" in response.text
    db.refresh(cycle)
    assert cycle.questionnaire_version_id != other.id


def test_a_sector_can_answer_a_different_questionnaire(db, demo):
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    coordinator = person_by_email(db, COORDINATOR)
    main, lighter = (
        _version(db, "norfolk-section11", "2021"),
        _version(db, "norfolk-section11", "2020"),
    )
    details = cycles_service.blank_details()
    details.name, details.slug = "Joint 2022", "joint-2022"
    details.questionnaire_version_id = main.id
    details.opens_on, details.deadline_on = date.today(), date.today() + timedelta(days=30)
    details.sector_versions = {AgencySector.VOLUNTARY: lighter.id}
    cycle = cycles_service.save_cycle(db, partnership=norfolk, details=details, actor=coordinator)
    nspcc = db.scalars(select(Agency).where(Agency.name == "NSPCC")).one()
    police = db.scalars(select(Agency).where(Agency.name == "Norfolk Constabulary")).one()
    voluntary, statutory = cycles_service.open_returns(db, cycle=cycle, agencies=[nspcc, police])
    assert voluntary.questionnaire_version_id == lighter.id
    assert statutory.questionnaire_version_id == main.id


def test_adding_a_known_agency_matches_it_and_invites_its_new_lead(client, db, demo, settings):
    sign_in(client, person_by_email(db, COORDINATOR))
    before = db.scalar(select(func.count()).select_from(Agency))
    token = client.csrf_token("/round/cycles/s11-2021/agencies/new")
    fields = {"csrf_token": token, "sector": "voluntary", "lead_name": "Ann Other"}
    response = client.post(
        "/round/cycles/s11-2021/agencies/new",
        data=fields | {"name": "  nspcc ", "lead_email": "ann.other@nspcc.example.org"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    response = client.post(
        "/round/cycles/s11-2021/agencies/new",
        data=fields | {"name": "Home-Start Norwich", "lead_email": "lead@homestart.example.org"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert db.scalar(select(func.count()).select_from(Agency)) == before + 1
    new = db.scalars(select(Agency).where(Agency.name == "Home-Start Norwich")).one()
    assert new.duty is AgencyDuty.EQUIVALENT_STANDARDS
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    assert db.scalars(
        select(AgencyReturn).where(
            AgencyReturn.cycle_id == cycle.id, AgencyReturn.agency_id == new.id
        )
    ).one()
    sent = db.scalars(select(SentEmail).where(SentEmail.kind == "invitation")).all()
    assert {s.to for s in sent} >= {"ann.other@nspcc.example.org", "lead@homestart.example.org"}
    assert all(s.status.value == "sent" for s in sent)  # written to the development outbox
    dashboard = client.page("/round/cycles/s11-2021").get_text()
    assert "Home-Start Norwich" in dashboard


def test_an_agency_without_a_sector_or_lead_email_is_refused_with_what_was_typed(client, db, demo):
    sign_in(client, person_by_email(db, COORDINATOR))
    token = client.csrf_token("/round/cycles/s11-2021/agencies/new")
    response = client.post(
        "/round/cycles/s11-2021/agencies/new",
        data={
            "csrf_token": token,
            "name": "New Charity",
            "sector": "",
            "lead_name": "A",
            "lead_email": "a@b.org",
        },
    )
    assert response.status_code == 400 and "Select the agency" in response.text
    assert 'value="New Charity"' in response.text
    response = client.post(
        "/round/cycles/s11-2021/agencies/new",
        data={
            "csrf_token": token,
            "name": "New Charity",
            "sector": "voluntary",
            "lead_name": "A",
            "lead_email": "not-an-email",
        },
    )
    assert response.status_code == 400
    assert (
        db.scalar(select(func.count()).select_from(Agency).where(Agency.name == "New Charity")) == 0
    )


def test_the_dashboard_counts_submitted_returns_by_status_and_sector_and_chases_the_rest(
    client, db, demo, count_queries
):
    sign_in(client, person_by_email(db, COORDINATOR))
    with count_queries() as counted:
        page = client.page("/round/cycles/s11-2021")
    assert counted.count <= 20, "the dashboard's queries must not grow with the agencies"
    text = " ".join(page.get_text().split())
    # Break and Norwich City Council wait for a panel; the four of Panel 1 went to it.
    assert "6 of 38 agencies have submitted" in text
    by_sector = {
        row.th.get_text(): [td.get_text() for td in row.find_all("td")]
        for row in page.select("table")[1].select("tbody tr")
    }
    assert by_sector[AgencySector.VOLUNTARY.label] == ["1", "13"]  # Break, of 13 charities
    chase = page.select_one("#chase").find_next("table").get_text()
    assert "Break" not in chase and "Action for Children" in chase
    assert "nearest deadline first: the first 10 of 32" in text  # the rest are a link away
    filtered = client.page("/round/cycles/s11-2021?status=submitted&sector=")
    rows = filtered.select_one("#agencies").find_next("table").select("tbody tr")
    assert sorted(r.td.contents[0].strip() for r in rows) == ["Break", "Norwich City Council"]


def test_a_joint_cycle_shows_one_return_to_both_partnerships_and_each_only_its_agencies(
    client, db, demo
):
    norfolk, suffolk = (
        db.scalars(select(Partnership).where(Partnership.slug == slug)).one()
        for slug in ("norfolk", "suffolk")
    )
    coordinator = person_by_email(db, COORDINATOR)
    details = cycles_service.blank_details()
    details.name, details.slug = "Joint 2022", "joint-2022"
    details.questionnaire_version_id = _version(db, "norfolk-section11", "2021").id
    details.opens_on, details.deadline_on = date.today(), date.today() + timedelta(days=30)
    details.joint_partnership_ids = [suffolk.id]
    cycle = cycles_service.save_cycle(db, partnership=norfolk, details=details, actor=coordinator)
    shared = directory_service.ensure_agency(
        db,
        name="Shared Trust",
        sector=AgencySector.HEALTH_PROVIDER,
        duty=AgencyDuty.SECTION_11,
        partnership=norfolk,
    )
    directory_service.ensure_agency(
        db,
        name="Shared Trust",
        sector=AgencySector.HEALTH_PROVIDER,
        duty=AgencyDuty.SECTION_11,
        partnership=suffolk,
    )
    norfolk_only = db.scalars(select(Agency).where(Agency.name == "Break")).one()
    suffolk_only = directory_service.ensure_agency(
        db,
        name="Suffolk Youth Club",
        sector=AgencySector.VOLUNTARY,
        duty=AgencyDuty.EQUIVALENT_STANDARDS,
        partnership=suffolk,
    )
    cycles_service.open_returns(db, cycle=cycle, agencies=[shared, norfolk_only, suffolk_only])
    db.commit()

    sign_in(client, coordinator)
    norfolk_view = client.page("/round/cycles/joint-2022").get_text()
    assert "Shared Trust" in norfolk_view and "Break" in norfolk_view
    assert "Suffolk Youth Club" not in norfolk_view
    sign_in(client, person_by_email(db, "coordinator@ssp.example.org"))
    suffolk_view = client.page("/round/cycles/joint-2022").get_text()
    assert "Shared Trust" in suffolk_view and "Suffolk Youth Club" in suffolk_view
    assert "Break" not in suffolk_view
    returns = db.scalars(select(AgencyReturn).where(AgencyReturn.cycle_id == cycle.id)).all()
    assert len([r for r in returns if r.agency_id == shared.id]) == 1


def test_an_extension_needs_a_later_date_and_a_reason_and_is_audited(client, db, demo):
    sign_in(client, person_by_email(db, COORDINATOR))
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    police = db.scalars(select(Agency).where(Agency.name == "Norfolk Constabulary")).one()
    agency_return = db.scalars(
        select(AgencyReturn).where(
            AgencyReturn.cycle_id == cycle.id, AgencyReturn.agency_id == police.id
        )
    ).one()
    url = f"/round/returns/{agency_return.id}/extend"
    token = client.csrf_token(url)
    later = cycle.deadline_on + timedelta(days=14)
    response = client.post(
        url, data={"csrf_token": token, "reason": "", **_dates("extend-to", later)}
    )
    assert response.status_code == 400 and "Say why" in response.text
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "reason": "Inspection",
            **_dates("extend-to", cycle.deadline_on),
        },
    )
    assert response.status_code == 400 and "later than the cycle" in response.text
    response = client.post(
        url,
        data={"csrf_token": token, "reason": "HMICFRS inspection", **_dates("extend-to", later)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    db.refresh(agency_return)
    assert agency_return.deadline_extended_to == later
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "deadline_extended")).one()
    assert "HMICFRS inspection" in client.page("/round/cycles/s11-2021").get_text()


def test_invitations_go_once_to_each_lead_with_the_link_and_deadline(
    mail_client, db, demo, mailbox
):
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    db.execute(
        update(AgencyReturn).where(AgencyReturn.cycle_id == cycle.id).values(invited_at=None)
    )
    db.commit()  # as when the round has just opened
    sign_in(mail_client, person_by_email(db, COORDINATOR))
    token = mail_client.csrf_token("/round/cycles/s11-2021")
    first = mail_client.post(
        "/round/cycles/s11-2021/invitations", data={"csrf_token": token}, follow_redirects=False
    )
    assert first.headers["location"].startswith("/round/emails/sends/")
    counts = mail_client.page(first.headers["location"]).select("[data-count]")
    assert {c["data-count"]: c.get_text() for c in counts}["sent"] == "38"
    again = mail_client.post(
        "/round/cycles/s11-2021/invitations", data={"csrf_token": token}, follow_redirects=False
    )
    assert again.headers["location"].endswith("invited=0")
    [message] = mailbox.to(lead_of(db, "Norfolk Constabulary").email)
    body = message.get_body(("plain",)).get_content()
    assert "/returns/" in body and "Norfolk Constabulary" in body
    # The round has a frontline survey: the lead gets the agency's link to pass on.
    assert "anonymous survey" in body and "/survey/" in body
    assert message.get_body(("html",)) is not None


def test_an_invitation_the_mail_server_refuses_shows_beside_its_lead_and_can_be_resent(
    mail_client, db, demo, mailbox
):
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    db.execute(
        update(AgencyReturn).where(AgencyReturn.cycle_id == cycle.id).values(invited_at=None)
    )
    db.commit()
    refused = lead_of(db, "NSPCC").email
    mailbox.refused.add(refused)
    sign_in(mail_client, person_by_email(db, COORDINATOR))
    token = mail_client.csrf_token("/round/cycles/s11-2021")
    response = mail_client.post(
        "/round/cycles/s11-2021/invitations", data={"csrf_token": token}, follow_redirects=False
    )
    sending = response.headers["location"]
    page = mail_client.page(sending)
    counts = {c["data-count"]: c.get_text() for c in page.select("[data-count]")}
    assert counts["sent"] == "37" and counts["failed"] == "1"
    assert refused in page.select("table")[1].get_text() and "Mailbox full" in page.get_text()
    assert mailbox.to(refused) == []
    assert len(mailbox.to(lead_of(db, "Break").email)) == 1

    # The round's dashboard and People name the lead whose invitation failed.
    dashboard = " ".join(mail_client.page("/round/cycles/s11-2021?q=NSPCC").get_text().split())
    assert f"The invitation email to 1 lead or colleague failed: {refused.lower()}" in dashboard
    assert "Invitation failed" in dashboard
    assert (
        refused.lower() in mail_client.page("/people").select_one(".govuk-warning-text").get_text()
    )

    mailbox.refused.clear()  # the coordinator fixed the address's mailbox
    token = mail_client.csrf_token(sending)
    resent = mail_client.post(f"{sending}/resend", data={"csrf_token": token})
    assert "1 failed email queued to be sent again" in resent.text
    assert len(mailbox.to(refused)) == 1
    assert "Invitation failed" not in mail_client.page("/round/cycles/s11-2021?q=NSPCC").get_text()


def test_an_agency_whose_leads_invitation_is_refused_is_added_and_its_lead_shown_as_failed(
    mail_client, db, demo, mailbox
):
    mailbox.refused.add("lead@homestart.example.org")
    sign_in(mail_client, person_by_email(db, COORDINATOR))
    token = mail_client.csrf_token("/round/cycles/s11-2021/agencies/new")
    response = mail_client.post(
        "/round/cycles/s11-2021/agencies/new",
        data={
            "csrf_token": token,
            "name": "Home-Start Norwich",
            "sector": "voluntary",
            "lead_name": "Ann Other",
            "lead_email": "lead@homestart.example.org",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert db.scalars(select(Agency).where(Agency.name == "Home-Start Norwich")).one()
    text = " ".join(mail_client.page("/round/cycles/s11-2021").get_text().split())
    assert "failed: lead@homestart.example.org" in text


def test_another_partnerships_coordinator_finds_no_such_cycle(client, db, demo):
    sign_in(client, person_by_email(db, "coordinator@ssp.example.org"))
    # Last year's round was Norfolk's alone (this year's is run jointly with Suffolk).
    assert client.get("/round/cycles/s11-2020").status_code == 404
    assert client.get("/round/cycles/s11-2020/edit").status_code == 404


def test_an_open_cycles_deadline_and_reminders_can_still_change(client, db, demo):
    sign_in(client, person_by_email(db, COORDINATOR))
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    later = cycle.deadline_on + timedelta(days=7)
    form = _cycle_form(client, cycle.questionnaire_version_id, name=cycle.name, slug=cycle.slug)
    form |= _dates("opens", cycle.opens_on) | _dates("deadline", later)
    form["reminder_days"] = "10 3"
    response = client.post("/round/cycles/s11-2021/edit", data=form, follow_redirects=False)
    assert response.status_code == 303
    db.refresh(cycle)
    assert cycle.deadline_on == later
    assert cycle.reminder_days == [10, 3]
