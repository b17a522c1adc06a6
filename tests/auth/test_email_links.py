"""Signing in with a link sent by email: single use, 15 minutes, silent about who has access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.auth.models import SignInLink
from app.db import utcnow
from tests.conftest import lead_of


@pytest.fixture
def lead(db, demo):
    return lead_of(db, "NSPCC")


def ask_for_link(client, email: str):
    token = client.csrf_token("/sign-in")
    return client.post("/sign-in/email", data={"email": email, "csrf_token": token})


def follow_link(client, link: str):
    page = client.page(link)  # the emailed link opens a page; signing in takes a button
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    return client.post(link, data={"csrf_token": token}, follow_redirects=False)


def test_a_lead_without_an_identity_provider_signs_in_with_an_emailed_link(
    mail_client, mailbox, lead
):
    response = ask_for_link(mail_client, lead.email.upper())
    assert "Check your email" in response.text
    [message] = mailbox.to(lead.email)
    assert message["From"] == "s11@test.example"
    assert "works once, for 15 minutes" in message.get_content()
    link = mailbox.link_in_last_to(lead.email, "/sign-in/email/")
    assert follow_link(mail_client, link).headers["location"] == "/"
    assert lead.name in mail_client.page("/").get_text()


def test_the_page_says_the_same_whether_or_not_the_address_has_access(mail_client, mailbox, lead):
    known = ask_for_link(mail_client, lead.email)
    unknown = ask_for_link(mail_client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    strip = lambda r, e: r.text.split("<main")[1].split("</main>")[0].replace(e, "")  # noqa: E731
    assert strip(known, lead.email) == strip(unknown, "nobody@example.org")
    assert mailbox.to("nobody@example.org") == []


def test_a_link_works_only_once(mail_client, mailbox, lead):
    ask_for_link(mail_client, lead.email)
    link = mailbox.link_in_last_to(lead.email, "/sign-in/email/")
    assert follow_link(mail_client, link).status_code == 303
    mail_client.cookies.clear()
    replay = follow_link(mail_client, link)
    assert replay.status_code == 400
    assert "expired or has already been used" in replay.text
    assert mail_client.get("/", follow_redirects=False).status_code == 303


def test_a_link_older_than_15_minutes_is_refused_and_audited(mail_client, mailbox, db, lead):
    ask_for_link(mail_client, lead.email)
    link = mailbox.link_in_last_to(lead.email, "/sign-in/email/")
    db.execute(update(SignInLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert follow_link(mail_client, link).status_code == 400
    failed = db.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).one()
    assert failed.detail["method"] == "email_link"


def test_only_a_hash_of_the_link_is_stored(mail_client, mailbox, db, lead):
    ask_for_link(mail_client, lead.email)
    link = mailbox.link_in_last_to(lead.email, "/sign-in/email/")
    token = link.rsplit("/", 1)[1]
    stored = db.scalars(select(SignInLink)).one()
    assert stored.token_hash != token and token not in stored.token_hash


def test_a_malformed_address_gets_an_error_on_the_form(client):
    response = ask_for_link(client, "not an address")
    assert response.status_code == 400
    assert "Enter an email address in the correct format" in response.text


def test_one_address_gets_at_most_five_links_in_15_minutes(mail_client, mailbox, lead):
    for _ in range(7):
        assert ask_for_link(mail_client, lead.email).status_code == 200
    assert len(mailbox.to(lead.email)) == 5


def test_100_sign_in_attempts_a_minute_from_one_client_get_429_after_the_limit(client):
    token = client.csrf_token("/sign-in")
    statuses = [
        client.post(
            "/sign-in/email", data={"email": f"person{n}@example.org", "csrf_token": token}
        ).status_code
        for n in range(100)
    ]
    assert statuses[:20] == [200] * 20
    assert set(statuses[20:]) == {429}


def test_without_smtp_mail_is_written_to_the_outbox(client, lead, var_dir):
    before = set((var_dir / "outbox").glob("*.eml")) if (var_dir / "outbox").exists() else set()
    ask_for_link(client, lead.email)
    written = set((var_dir / "outbox").glob("*.eml")) - before
    assert len(written) == 1
    assert "/sign-in/email/" in written.pop().read_text()


def test_a_sign_in_link_the_mail_server_refuses_is_kept_as_failed_and_the_page_never_waits(
    database_url, var_dir, engine, db, lead
):
    from app.notifications.models import SendStatus, SentEmail
    from tests.conftest import client_for, free_port, test_settings

    settings = test_settings(database_url, var_dir, smtp_host="127.0.0.1", smtp_port=free_port())
    with client_for(settings, engine, db) as client:
        response = ask_for_link(client, lead.email)
    # The page answers from the queue; the worker's failure is on the record, with its reason.
    assert response.status_code == 200 and "Check your email" in response.text
    [sent] = db.scalars(select(SentEmail).where(SentEmail.kind == "sign_in_link")).all()
    assert sent.status is SendStatus.FAILED and "did not accept" in (sent.last_error or "")
