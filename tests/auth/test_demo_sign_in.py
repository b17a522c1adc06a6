"""Signing in and out during development, before real sign-in exists (the auth issue)."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.conftest import person_by_email, sign_in


def test_demo_sign_in_is_not_found_outside_development(production_client, demo):
    assert production_client.get("/dev/sign-in").status_code == 404
    token = production_client.csrf_token("/sign-in")
    response = production_client.post("/dev/sign-in", data={"person_id": "1", "csrf_token": token})
    assert response.status_code == 404


def test_sign_in_page_offers_demo_people_only_in_development(client, production_client):
    assert "Sign in as a demo person" in client.get("/sign-in").text
    assert "Sign in as a demo person" not in production_client.get("/sign-in").text


def test_demo_sign_in_lists_the_demo_people_with_their_roles(client, demo):
    text = client.page("/dev/sign-in").get_text(" ", strip=True)
    assert "Priya Shah" in text and "Coordinator – NSCP" in text
    assert "Agency lead, NSPCC – NSCP" in text


def test_signing_in_as_a_demo_person_opens_their_home_page_and_is_audited(client, db, demo):
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    sign_in(client, coordinator)
    assert "Priya Shah" in client.page("/").get_text()
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in")).one()
    assert event.actor_id == coordinator.id
    assert event.detail == {"method": "development"}
    assert event.client_address and event.request_id and event.occurred_at


def test_choosing_nobody_shows_the_error_summary_and_keeps_the_form(client, demo):
    token = client.csrf_token("/dev/sign-in")
    response = client.post("/dev/sign-in", data={"csrf_token": token, "person_id": ""})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Select the demo person you want to sign in as" in response.text
    assert response.text.count('name="person_id"') > 1  # the choices are still there
    assert "<title>Error: " in response.text


def test_a_made_up_person_id_is_refused_with_the_same_error(client, demo):
    token = client.csrf_token("/dev/sign-in")
    response = client.post("/dev/sign-in", data={"csrf_token": token, "person_id": "99999999"})
    assert response.status_code == 400
    assert "Select the demo person" in response.text


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(client, db, demo):
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    for next_page, expected in (
        ("/healthz", "/healthz"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
    ):
        token = client.csrf_token("/dev/sign-in")
        response = client.post(
            "/dev/sign-in",
            data={"csrf_token": token, "person_id": str(coordinator.id), "next": next_page},
            follow_redirects=False,
        )
        assert response.headers["location"] == expected


def test_signing_out_ends_the_session(client, db, demo):
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    sign_in(client, coordinator)
    token = client.csrf_token("/")
    response = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/sign-in"
    assert client.get("/", follow_redirects=False).status_code == 303
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "sign_out")).one()


def test_a_session_for_a_removed_person_is_treated_as_signed_out(client, db, demo):
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    sign_in(client, coordinator)
    db.delete(coordinator)
    db.flush()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_demo_sign_in_is_refused_to_other_machines_even_in_development(settings, engine, db, demo):
    from tests.conftest import client_for

    with client_for(settings, engine, db, client_address=("203.0.113.9", 50000)) as remote:
        assert remote.get("/dev/sign-in").status_code == 404
        assert "Sign in as a demo person" not in remote.get("/sign-in").text
