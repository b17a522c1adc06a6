"""The audit log page: coordinators see what their partnership's people did, and filter it."""

from __future__ import annotations

from datetime import date, timedelta

from tests.conftest import lead_of, person_by_email, sign_in


def test_a_coordinator_sees_sign_ins_of_their_partnership_but_not_of_others(client, db, demo):
    sign_in(client, lead_of(db, "NSPCC"))
    sign_in(client, person_by_email(db, "coordinator@ssp.example.org"))  # Suffolk only
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    rows = [row.get_text(" ", strip=True) for row in client.page("/audit").select("tbody tr")]
    assert any("Sign in" in row and lead_of(db, "NSPCC").name in row for row in rows)
    assert not any("Harriet Moss" in row for row in rows)


def test_the_audit_log_filters_by_person_and_date(client, db, demo):
    lead = lead_of(db, "NSPCC")
    sign_in(client, lead)
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    sign_in(client, coordinator)
    page = client.page(f"/audit?person={lead.id}")
    names = {row.select("td")[1].get_text(strip=True) for row in page.select("tbody tr")}
    assert names == {lead.name}
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    later = client.page(f"/audit?date_from={tomorrow}")
    assert "No events match." in later.get_text()


def test_a_date_that_is_not_a_date_gets_an_error_message(client, db, demo):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    response = client.get("/audit?date_from=last+tuesday")
    assert response.status_code == 400
    assert "Enter the start date as a date" in response.text


def test_agency_leads_and_the_chair_cannot_open_the_audit_log(client, db, demo):
    for person in (lead_of(db, "NSPCC"), person_by_email(db, "chair@nscp.example.org")):
        sign_in(client, person)
        assert client.get("/audit").status_code == 404
