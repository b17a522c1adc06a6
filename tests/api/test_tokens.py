"""API tokens: a coordinator makes one, sees it once, the feed takes it, revoking or expiry
stops it at once, and each making, day of use and revoking is in the audit log."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.api import deps, tokens
from app.api.models import ApiToken
from app.audit.models import AuditEvent
from app.db import utcnow
from tests.api.conftest import basic, bearer, make_token
from tests.conftest import person_by_email, sign_in


def _make_on_the_page(client, name="Board dashboard", scope="summaries", expires=None):  # type: ignore[no-untyped-def]
    expires = expires or date.today() + timedelta(days=90)
    return client.post(
        "/api-tokens/new",
        data={
            "csrf_token": client.csrf_token("/api-tokens/new"),
            "name": name,
            "scope": scope,
            "expires_on-day": str(expires.day),
            "expires_on-month": str(expires.month),
            "expires_on-year": str(expires.year),
        },
    )


def test_a_coordinator_makes_a_token_and_sees_it_once_while_s11_keeps_only_its_hash(
    client, db, demo
):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    made = _make_on_the_page(client)
    assert made.status_code == 200
    page = made.text
    token = page.split('id="token">')[1].split("<")[0]
    assert token.startswith("s11_") and "/api/odata" in page
    listed = client.get("/api-tokens").text
    assert "Board dashboard" in listed and "Summaries only" in listed and token not in listed
    stored = db.scalars(select(ApiToken)).one()
    assert token not in (stored.token_hash, stored.name)
    assert client.get("/api/v1/returns", headers=bearer(token)).status_code == 200
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "api_token_created")).one()
    assert event.detail["scope"] == "summaries"


def test_a_token_for_longer_than_a_year_or_without_a_name_is_refused_with_the_reason(
    client, db, demo
):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    too_long = _make_on_the_page(client, expires=date.today() + timedelta(days=400))
    assert too_long.status_code == 400 and "a year at most" in too_long.text
    unnamed = _make_on_the_page(client, name="  ")
    assert unnamed.status_code == 400 and "Enter a name" in unnamed.text
    assert db.scalars(select(ApiToken)).all() == []


def test_the_token_works_as_bearer_and_as_basic_password_and_its_use_is_audited_once_a_day(
    client, db, demo
):
    token = make_token(db)
    for _ in range(3):
        assert client.get("/api/v1/cycles", headers=bearer(token)).status_code == 200
    assert client.get("/api/odata/cycles", headers=basic(token)).status_code == 200
    record = db.scalars(select(ApiToken)).one()
    db.refresh(record)
    assert record.used_on == utcnow().date() and record.last_used_at is not None
    used = db.scalars(select(AuditEvent).where(AuditEvent.action == "api_token_used")).all()
    assert len(used) == 1 and used[0].detail["day"] == utcnow().date().isoformat()
    # The next day's first use carries the count of the day before.
    record.used_on = date.today() - timedelta(days=1)
    db.flush()
    client.get("/api/v1/cycles", headers=bearer(token))
    latest = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "api_token_used").order_by(AuditEvent.id)
    ).all()[-1]
    assert latest.detail["previous_day_requests"] == 4


def test_a_revoked_token_reads_nothing_from_the_next_request(client, db, demo):
    token = make_token(db)
    assert client.get("/api/v1/returns", headers=bearer(token)).status_code == 200
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    record = db.scalars(select(ApiToken)).one()
    revoked = client.post(
        f"/api-tokens/{record.id}/revoke",
        data={"csrf_token": client.csrf_token("/api-tokens")},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    client.cookies.clear()
    refused = client.get("/api/v1/returns", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorised"
    assert "Revoked" in _signed_in_list(client, db)
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "api_token_revoked")).one()


def _signed_in_list(client, db) -> str:  # type: ignore[no-untyped-def]
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    return client.get("/api-tokens").text


def test_an_expired_token_reads_nothing(client, db, demo):
    token = make_token(db)
    record = db.scalars(select(ApiToken)).one()
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.flush()
    refused = client.get("/api/odata/returns", headers=basic(token))
    assert refused.status_code == 401
    assert 'Basic realm="s11"' in refused.headers["www-authenticate"]
    assert "Expired" in _signed_in_list(client, db)


def test_a_missing_or_malformed_token_is_refused_in_json_with_a_challenge(client, db, demo):
    make_token(db)
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer s11_not-a-token"},
        {"Authorization": "Bearer " + "x" * 5000},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Basic " + "dXNlcg=="},  # "user", no password
        {"Authorization": "Digest abc"},
    ):
        response = client.get("/api/v1/returns", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"].startswith("application/json")
        assert "WWW-Authenticate" in response.headers
        assert response.json()["error"]["message"]


def test_a_signed_in_coordinator_without_a_token_does_not_read_the_feed(client, db, demo):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    assert client.get("/api/v1/returns").status_code == 401


def test_another_partnerships_coordinator_cannot_see_or_revoke_the_token(client, db, demo):
    make_token(db, "norfolk")
    record = db.scalars(select(ApiToken)).one()
    sign_in(client, person_by_email(db, "coordinator@ssp.example.org"))
    assert "norfolk dashboard" not in client.get("/api-tokens").text
    response = client.post(
        f"/api-tokens/{record.id}/revoke", data={"csrf_token": client.csrf_token("/api-tokens")}
    )
    assert response.status_code == 404
    db.refresh(record)
    assert record.revoked_at is None


def _clock(per_second: int):  # type: ignore[no-untyped-def]
    """A clock that moves on by one request's share of a second each time it is read."""
    moments = iter(range(1_000_000))
    return lambda: next(moments) / per_second


def test_a_hundred_requests_a_second_from_one_token_are_slowed_with_429_and_a_wait(
    client, db, demo, monkeypatch
):
    limiter = tokens.RateLimiter(
        limit=deps.LIMITER.limit, window_seconds=deps.LIMITER.window, clock=_clock(100)
    )
    monkeypatch.setattr(deps, "LIMITER", limiter)
    token = make_token(db)
    answers = [client.get("/api/v1", headers=bearer(token)) for _ in range(150)]
    codes = [a.status_code for a in answers]
    assert codes[:120] == [200] * 120 and set(codes[120:]) == {429}
    slowed = answers[-1]
    assert int(slowed.headers["retry-after"]) >= 1
    assert slowed.json()["error"]["code"] == "too_many_requests"
    # Another partnership's token is not held up by it.
    assert client.get("/api/v1", headers=bearer(make_token(db, "suffolk"))).status_code == 200


def test_paging_one_request_after_another_from_several_tables_at_once_is_never_slowed():
    # Power BI refreshing a few tables at once, each a page after the other: 50 a second.
    limiter = tokens.RateLimiter(
        limit=deps.LIMITER.limit, window_seconds=deps.LIMITER.window, clock=_clock(50)
    )
    assert all(limiter.allow("one token") is None for _ in range(5000))
