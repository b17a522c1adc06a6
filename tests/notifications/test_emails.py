"""Every email on the record: a refused message is kept as failed, shown to the partnership's
coordinators, and sent by a retry once the mail server is back, never twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth import invitations as auth_invitations
from app.auth.models import Invitation
from app.db import utcnow
from app.directory.models import Partnership
from app.notifications import queue as mail_queue
from app.notifications import service as notifications_service
from app.notifications.mail import Email
from app.notifications.models import SendStatus, SentEmail
from app.returns.models import ReturnStatus
from tests.conftest import client_for, free_port, lead_of, person_by_email, sign_in, test_settings
from tests.returns import conftest as returns_fixtures

nspcc_return = returns_fixtures.nspcc_return


@pytest.fixture
def coordinator(db, demo):
    return person_by_email(db, "coordinator@nscp.example.org")


@pytest.fixture
def norfolk(db, demo):
    return db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()


@pytest.fixture
def mail_server_down(database_url, var_dir):
    """Settings whose mail server refuses every connection: nothing listens on the port."""
    return test_settings(database_url, var_dir, smtp_host="127.0.0.1", smtp_port=free_port())


@pytest.fixture
def mail_server_up(database_url, var_dir, smtp_server):
    return test_settings(database_url, var_dir, smtp_host="127.0.0.1", smtp_port=smtp_server[1])


def invite(client, email: str):
    token = client.csrf_token("/invitations/new")
    return client.post(
        "/invitations/new",
        data={"csrf_token": token, "email": email, "name": "Sam Reed", "role": "panel_member"},
        follow_redirects=False,
    )


def send_again(client, email_id: int):
    token = client.csrf_token("/round/emails")
    return client.post(
        f"/round/emails/{email_id}/retry", data={"csrf_token": token}, follow_redirects=False
    )


def test_an_invitation_the_mail_server_refuses_is_kept_shown_and_sent_when_tried_again(
    db, engine, coordinator, mail_server_down, mail_client, mailbox
):
    with client_for(mail_server_down, engine, db) as down:
        sign_in(down, coordinator)
        assert invite(down, "sam.reed@example.org").status_code == 303
        refused = db.scalars(select(SentEmail).where(SentEmail.to == "sam.reed@example.org")).one()
        assert refused.status is SendStatus.FAILED and refused.attempts == 1
        assert "did not accept" in refused.last_error
        # The invitation itself is kept: only its email waits.
        assert db.scalars(select(Invitation).where(Invitation.email == refused.to)).one()

        page = down.page("/round/emails")
        first_row = page.select("tbody tr")[0].get_text(" ", strip=True)
        assert "sam.reed@example.org" in first_row and "Failed" in first_row
        assert "did not accept" in first_row

    sign_in(mail_client, coordinator)
    response = send_again(mail_client, refused.id)
    assert response.status_code == 303
    assert "has been sent" in mail_client.get(response.headers["location"]).text
    [message] = mailbox.to("sam.reed@example.org")
    assert "/join/" in message.get_content()
    db.refresh(refused)
    assert refused.status is SendStatus.SENT and refused.attempts == 2
    assert "/join/" not in refused.body  # a link that signs someone in is not kept once sent


def refused_invitation(db, engine, coordinator, mail_server_down, email: str) -> SentEmail:
    with client_for(mail_server_down, engine, db) as down:
        sign_in(down, coordinator)
        assert invite(down, email).status_code == 303
    refused = db.scalars(select(SentEmail).where(SentEmail.to == email)).one()
    assert refused.status is SendStatus.FAILED
    return refused


def test_an_invitation_sent_again_with_a_new_link_withdraws_the_failed_email_with_the_old_one(
    db, engine, coordinator, mail_server_down, mail_server_up, mail_client, mailbox
):
    refused = refused_invitation(db, engine, coordinator, mail_server_down, "sam.reed@example.org")
    invitation = db.scalars(select(Invitation).where(Invitation.email == refused.to)).one()
    sign_in(mail_client, coordinator)
    token = mail_client.csrf_token("/invitations")
    response = mail_client.post(
        f"/invitations/{invitation.id}/resend", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    [fresh] = mailbox.to("sam.reed@example.org")

    db.refresh(refused)
    assert refused.status is SendStatus.WITHDRAWN
    row = next(
        row
        for row in mail_client.page("/round/emails").select("tbody tr")
        if "Withdrawn" in row.get_text()
    )
    assert "sent again with a new link" in row.get_text()
    assert row.find("button") is None  # nothing to send again
    # Neither a coordinator's retry nor the cron job sends the old link after the new one.
    assert (
        "was withdrawn"
        in mail_client.get(send_again(mail_client, refused.id).headers["location"]).text
    )
    assert mail_queue.drain(db, mail_server_up) == 0
    assert mailbox.to("sam.reed@example.org") == [fresh]
    assert "/join/" in fresh.get_content()


def test_a_failed_invitation_is_not_sent_once_its_invitation_has_expired_or_was_cancelled(
    db, engine, coordinator, mail_server_down, mail_server_up, mail_client, mailbox
):
    expired = refused_invitation(db, engine, coordinator, mail_server_down, "old@example.org")
    cancelled = refused_invitation(db, engine, coordinator, mail_server_down, "gone@example.org")
    old, gone = (
        db.scalars(select(Invitation).where(Invitation.email == email.to)).one()
        for email in (expired, cancelled)
    )
    old.expires_at = utcnow() - timedelta(days=1)  # weeks pass before anyone retries it
    auth_invitations.cancel_invitation(db, actor=coordinator, invitation=gone)
    cancelled.next_attempt_at = utcnow() - timedelta(seconds=1)  # its backoff has passed
    db.commit()

    sign_in(mail_client, coordinator)
    page = mail_client.get(send_again(mail_client, expired.id).headers["location"]).text
    assert "was withdrawn, not sent again" in page and "the invitation has expired" in page
    assert mail_queue.drain(db, mail_server_up) == 0
    db.refresh(cancelled)
    assert cancelled.status is SendStatus.WITHDRAWN
    assert cancelled.last_error == "Its link no longer works: the invitation has been cancelled."
    assert mailbox.to("old@example.org") == mailbox.to("gone@example.org") == []


def test_a_return_is_submitted_even_when_its_receipt_cannot_be_sent(
    db, engine, coordinator, norfolk, nspcc_return, mail_server_down
):
    with client_for(mail_server_down, engine, db) as down:
        sign_in(down, lead_of(db, "NSPCC"))
        returns_fixtures.answer_everything(down, nspcc_return)
        token = down.csrf_token(f"/returns/{nspcc_return.id}/check")
        response = down.post(
            f"/returns/{nspcc_return.id}/submit", data={"csrf_token": token}, follow_redirects=False
        )
        assert response.headers["location"] == f"/returns/{nspcc_return.id}/submitted"
        db.refresh(nspcc_return)
        assert nspcc_return.status is ReturnStatus.SUBMITTED
        receipt = db.scalars(select(SentEmail).where(SentEmail.kind == "receipt")).one()
        assert receipt.status is SendStatus.FAILED and receipt.partnership_id == norfolk.id

        down.cookies.clear()
        sign_in(down, coordinator)
        assert receipt.subject in down.page("/round/emails").get_text()


def test_a_coordinator_sees_and_retries_only_their_own_partnerships_emails(db, client, coordinator):
    suffolk = db.scalars(select(Partnership).where(Partnership.slug == "suffolk")).one()
    theirs = notifications_service.record(
        db,
        Email(to="lead@suffolk.example.org", subject="Hello", body="Hi"),
        kind="receipt",
        partnership_id=suffolk.id,
    )
    # Failed for good: no worker tries it again by itself.
    theirs.status, theirs.attempts = SendStatus.FAILED, notifications_service.MAX_ATTEMPTS
    sign_in(client, coordinator)
    assert "lead@suffolk.example.org" not in client.page("/round/emails").get_text()
    assert send_again(client, theirs.id).status_code == 404
    db.refresh(theirs)
    assert theirs.status is SendStatus.FAILED


def failed_email(db, norfolk, to: str, *, attempts: int = 1) -> SentEmail:
    sent = notifications_service.record(
        db,
        Email(to=to, subject="Your receipt", body="Thank you"),
        kind="receipt",
        partnership_id=norfolk.id,
    )
    sent.status, sent.attempts, sent.last_error = SendStatus.FAILED, attempts, "refused"
    db.flush()
    return sent


def test_the_cron_retry_sends_failed_emails_once_and_gives_up_after_five_attempts(
    db, norfolk, mail_server_up, mailbox
):
    failed_email(db, norfolk, "retry@example.org")
    failed_email(db, norfolk, "given.up@example.org", attempts=notifications_service.MAX_ATTEMPTS)
    assert mail_queue.drain(db, mail_server_up) == 1
    assert mail_queue.drain(db, mail_server_up) == 0
    assert len(mailbox.to("retry@example.org")) == 1
    assert mailbox.to("given.up@example.org") == []


def test_an_email_a_killed_worker_held_is_sent_once_its_lease_ends_not_before(
    db, norfolk, mail_server_up, mailbox
):
    left = notifications_service.record(
        db,
        Email(to="left@example.org", subject="Reminder", body="Due soon"),
        kind="reminder",
        partnership_id=norfolk.id,
    )
    # A worker claims it, then is killed (SIGKILL) before it can mark it.
    assert mail_queue.claim(db, mail_server_up, worker="killed", now=utcnow()) == [left.id]
    assert mail_queue.drain(db, mail_server_up) == 0  # maybe being handed over right now
    db.refresh(left)
    left.claimed_until = utcnow() - timedelta(seconds=1)  # the lease runs out
    db.commit()
    assert mail_queue.drain(db, mail_server_up) == 1
    assert len(mailbox.to("left@example.org")) == 1
    db.refresh(left)
    assert left.status is SendStatus.SENT and left.attempts == 2 and left.claimed_by is None
