"""Sessions live on the server: they time out, can be revoked, and never carry over from
before sign-in. Request safety: CSRF, same-origin POSTs and the security headers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from app.auth.models import SignInSession
from app.db import utcnow
from app.directory.models import Membership
from tests.conftest import person_by_email, sign_in


@pytest.fixture
def coordinator(db, demo):
    return person_by_email(db, "coordinator@nscp.example.org")


def the_session(db, person) -> SignInSession:
    return db.scalars(
        select(SignInSession).where(SignInSession.person_id == person.id).order_by(SignInSession.id)
    ).all()[-1]


def test_signing_in_stores_the_session_on_the_server_and_only_a_token_in_the_cookie(
    client, db, coordinator
):
    sign_in(client, coordinator)
    record = the_session(db, coordinator)
    assert record.method == "development" and record.revoked_at is None
    assert len(record.token_hash) == 64
    cookie = client.cookies.get("s11_session")
    assert str(coordinator.id) not in cookie.split(".")[0] or "person" not in cookie


def test_a_revoked_session_ends_access_on_the_next_request(client, db, coordinator):
    sign_in(client, coordinator)
    assert client.get("/", follow_redirects=False).status_code == 200
    the_session(db, coordinator).revoked_at = utcnow()
    db.flush()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_thirty_minutes_without_a_request_signs_the_person_out_and_says_why(
    client, db, coordinator
):
    sign_in(client, coordinator)
    the_session(db, coordinator).last_seen_at = utcnow() - timedelta(minutes=31)
    db.flush()
    response = client.get("/", follow_redirects=False)
    assert response.headers["location"] == "/sign-in?next=/&timeout=1"
    page = client.page(response.headers["location"])
    assert "signed out because you had not done anything for 30 minutes" in page.get_text()


def test_a_session_ends_after_its_absolute_lifetime_however_active(client, db, coordinator):
    sign_in(client, coordinator)
    record = the_session(db, coordinator)
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.flush()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_activity_keeps_the_session_going(client, db, coordinator):
    sign_in(client, coordinator)
    record = the_session(db, coordinator)
    record.last_seen_at = utcnow() - timedelta(minutes=20)
    db.flush()
    assert client.get("/").status_code == 200
    db.refresh(record)
    assert utcnow() - record.last_seen_at.replace(tzinfo=utcnow().tzinfo) < timedelta(minutes=1)


def test_stay_signed_in_resets_the_idle_clock(client, db, coordinator):
    sign_in(client, coordinator)
    record = the_session(db, coordinator)
    record.last_seen_at = utcnow() - timedelta(seconds=30)
    db.flush()
    token = client.csrf_token("/")
    assert client.post("/session/keep-alive", headers={"X-CSRF-Token": token}).status_code == 204
    db.refresh(record)
    assert utcnow() - record.last_seen_at.replace(tzinfo=utcnow().tzinfo) < timedelta(seconds=5)


def test_a_session_cookie_planted_before_sign_in_is_never_the_signed_in_one(
    client, db, coordinator
):
    client.get("/sign-in")  # the attacker's own visit gives them a valid anonymous cookie...
    planted = client.cookies.get("s11_session")
    sign_in(client, coordinator)  # ...which the victim's browser carries into sign-in
    assert client.cookies.get("s11_session") != planted
    client.cookies.clear()
    client.cookies.set("s11_session", planted, domain="localhost")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_signing_out_revokes_the_session_so_an_old_cookie_no_longer_works(client, db, coordinator):
    sign_in(client, coordinator)
    cookie = client.cookies.get("s11_session")
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/")})
    assert the_session(db, coordinator).revoked_at is not None
    client.cookies.clear()
    client.cookies.set("s11_session", cookie, domain="localhost")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_removing_a_role_ends_that_access_on_the_next_request(client, db, coordinator):
    sign_in(client, coordinator)
    assert client.get("/questionnaires").status_code == 200
    db.execute(delete(Membership).where(Membership.person_id == coordinator.id))
    db.expire_all()  # each request has a fresh session; the test shares one with the app
    assert client.get("/questionnaires").status_code == 404


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "x" * 10_000, "ünïcödé-🙂", "\x00\x01"],
    ids=["missing", "garbage", "10KB", "unicode", "control"],
)
def test_a_bad_csrf_token_is_refused_with_403_never_500(client, db, coordinator, token):
    sign_in(client, coordinator)
    response = client.post("/sign-out", data={"csrf_token": token} if token else {})
    assert response.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200  # nothing changed


def test_a_post_from_another_site_is_refused_even_with_the_token(client, db, coordinator):
    sign_in(client, coordinator)
    token = client.csrf_token("/")
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = client.post("/sign-out", data={"csrf_token": token}, headers=headers)
        assert response.status_code == 403
    same = client.post(
        "/sign-out",
        data={"csrf_token": token},
        headers={"Origin": "http://localhost"},
        follow_redirects=False,
    )
    assert same.status_code == 303


def test_pages_allow_no_inline_script_and_are_never_cached(client):
    response = client.get("/sign-in")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers
    assert "<script>" not in response.text and "<script nonce" not in response.text


def test_production_sends_hsts_and_serves_no_api_docs(production_client):
    response = production_client.get("/sign-in")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert production_client.get(path).status_code == 404


def test_signed_in_pages_carry_the_time_out_warning_and_its_countdown(client, db, coordinator):
    assert client.page("/sign-in").find("dialog") is None
    sign_in(client, coordinator)
    page = client.page("/")
    seconds = int(page.body["data-session-seconds"])
    assert 29 * 60 < seconds <= 30 * 60
    dialog = page.find("dialog", id="session-timeout")
    assert dialog.find("button", string="Stay signed in")
    assert dialog.find("form", action="/sign-out")


def test_the_session_cookie_is_httponly_samesite_lax_and_secure_in_production(
    production_client, db, coordinator
):
    response = production_client.get("/sign-in")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
