"""Signing in with an organisation's account: OpenID Connect against a real local provider."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth import invitations as auth_invitations
from app.auth.models import PersonIdentity
from app.auth.routes import OIDC_ERRORS
from app.directory.models import Membership, Partnership, Person, Role
from tests.conftest import person_by_email


def start(client) -> str:
    """Begin at s11; returns the provider's authorization URL s11 redirected to."""
    response = client.get("/sign-in/oidc", follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def provider_approves(authorize_url: str, subject: str) -> str:
    """The person signs in at the provider; returns where the provider sends them back."""
    response = httpx.post(authorize_url, data={"sub": subject}, follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def back_at_s11(client, callback_url: str):
    parsed = urlparse(callback_url)
    return client.get(f"{parsed.path}?{parsed.query}", follow_redirects=False)


@pytest.fixture
def alice_invited(db, demo):
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    scope = auth_invitations.invitation_scope(coordinator, norfolk)
    auth_invitations.invite(
        db,
        actor=coordinator,
        scope=scope,
        email="alice@trust.example.org",
        name="Alice",
        role=Role.PANEL_MEMBER,
        agency_id=None,
        base_url="http://localhost",
    )


def test_the_authorization_request_uses_pkce_state_and_nonce(oidc_client):
    query = parse_qs(urlparse(start(oidc_client)).query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["s11-test"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == ["http://localhost/sign-in/oidc/callback"]


def test_a_verified_email_claims_an_invitation_then_the_subject_signs_in_after(
    oidc_client, db, alice_invited
):
    response = back_at_s11(oidc_client, provider_approves(start(oidc_client), "alice-sub"))
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "Alice" in oidc_client.page("/").get_text()
    alice = db.scalars(select(Person).where(Person.email == "alice@trust.example.org")).one()
    identity = db.scalars(select(PersonIdentity)).one()
    assert (identity.person_id, identity.subject) == (alice.id, "alice-sub")
    role = db.scalars(select(Membership.role).where(Membership.person_id == alice.id)).one()
    assert role is Role.PANEL_MEMBER

    # Next time the same account signs in by its subject, with no invitation needed.
    oidc_client.cookies.clear()
    response = back_at_s11(oidc_client, provider_approves(start(oidc_client), "alice-sub"))
    assert response.status_code == 303
    sign_ins = db.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in")).all()
    assert [e.detail["method"] for e in sign_ins] == ["oidc", "oidc"]


def test_an_account_without_an_invitation_is_refused_and_audited(oidc_client, db, demo):
    response = back_at_s11(oidc_client, provider_approves(start(oidc_client), "alice-sub"))
    assert response.status_code == 403
    assert "has not been invited to s11" in response.text
    failed = db.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).one()
    assert failed.detail["method"] == "oidc"


def test_an_unverified_email_never_claims_an_invitation(oidc_client, db, demo):
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    auth_invitations.invite(
        db,
        actor=coordinator,
        scope=auth_invitations.invitation_scope(coordinator, norfolk),
        email="eve@trust.example.org",
        name="Eve",
        role=Role.CHAIR,
        agency_id=None,
        base_url="http://localhost",
    )
    response = back_at_s11(oidc_client, provider_approves(start(oidc_client), "unverified-sub"))
    assert response.status_code == 403


def test_a_tampered_state_is_refused(oidc_client, alice_invited):
    callback = provider_approves(start(oidc_client), "alice-sub")
    tampered = callback.replace("state=", "state=x")
    response = back_at_s11(oidc_client, tampered)
    assert response.status_code == 400
    assert "did not work" in response.text
    assert oidc_client.get("/", follow_redirects=False).status_code == 303


def test_a_missing_code_or_state_is_refused(oidc_client, alice_invited):
    callback = provider_approves(start(oidc_client), "alice-sub")
    parsed = urlparse(callback)
    query = parse_qs(parsed.query)
    for drop in ("code", "state"):
        kept = {k: v[0] for k, v in query.items() if k != drop}
        response = oidc_client.get(f"{parsed.path}?{urlencode(kept)}", follow_redirects=False)
        assert response.status_code == 400, drop


def test_a_forged_code_is_refused(oidc_client, alice_invited):
    callback = provider_approves(start(oidc_client), "alice-sub")
    parsed = urlparse(callback)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    query["code"] = "forged-code"
    response = oidc_client.get(f"{parsed.path}?{urlencode(query)}", follow_redirects=False)
    assert response.status_code == 400


def test_a_provider_error_such_as_access_denied_is_shown_not_raised(oidc_client):
    start(oidc_client)
    response = oidc_client.get(
        "/sign-in/oidc/callback?error=access_denied&state=x", follow_redirects=False
    )
    assert response.status_code == 400


def test_an_id_token_for_another_audience_is_refused(oidc_client, oidc_provider):
    """Get a genuine, signed ID token issued to another client, and show that s11's check
    (the one its callback uses) refuses it."""
    from authlib.integrations.httpx_client import OAuth2Client

    other = OAuth2Client(
        "another-app", "secret", scope="openid email", redirect_uri="http://other.example/callback"
    )
    metadata = httpx.get(f"{oidc_provider}/.well-known/openid-configuration").json()
    url, _ = other.create_authorization_url(metadata["authorization_endpoint"], nonce="n-1")
    code = parse_qs(urlparse(provider_approves(url, "alice-sub")).query)["code"][0]
    token = other.fetch_token(metadata["token_endpoint"], code=code)
    assert "id_token" in token

    s11_client = oidc_client.app.state.oauth.oidc
    with pytest.raises(OIDC_ERRORS) as refused:  # the errors the callback turns into a page
        asyncio.run(s11_client.parse_id_token(token, nonce="n-1"))
    # authlib rejects it because "s11-test" is neither the audience nor the authorised party.
    assert any(claim in str(refused.value) for claim in ("aud", "azp"))


def test_the_organisation_button_shows_only_when_oidc_is_configured(oidc_client, client):
    assert "Sign in with your organisation's account" in oidc_client.get("/sign-in").text
    assert "Sign in with your organisation's account" not in client.get("/sign-in").text
    assert client.get("/sign-in/oidc").status_code == 404
