"""The delivery queue: a request records its emails and returns, workers hand them over in
batches on one connection, under the sending limits, never one message twice."""

from __future__ import annotations

import threading
import time

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.notifications import queue as mail_queue
from app.notifications import service as notifications_service
from app.notifications.mail import Email
from app.notifications.models import SendStatus, SentEmail
from tests.conftest import client_for, person_by_email, sign_in, test_settings

COORDINATOR = "coordinator@nscp.example.org"


@pytest.fixture
def relay(database_url, var_dir, smtp_server):
    return test_settings(database_url, var_dir, smtp_host="127.0.0.1", smtp_port=smtp_server[1])


def queue(db, count: int, *, prefix: str = "lead", partnership_id=None) -> list[SentEmail]:
    return [
        notifications_service.record(
            db,
            Email(to=f"{prefix}{n}@example.org", subject="Reminder", body="Due soon"),
            kind="reminder",
            partnership_id=partnership_id,
        )
        for n in range(count)
    ]


def counts(page) -> dict[str, int]:
    return {
        cell["data-count"]: int(cell.get_text().replace(",", ""))
        for cell in page.select("[data-count]")
    }


def test_a_bulk_reminder_returns_before_any_email_goes_and_its_page_counts_them_out(
    db, engine, demo, relay, mailbox
):
    from app.demo import grow_round

    grow_round(db, returns=100)  # 20 schools not started
    db.commit()
    # No worker after this client's requests: only the queue.
    with client_for(relay, engine, db, deliver_mail=False) as client:
        sign_in(client, person_by_email(db, COORDINATOR))
        token = client.csrf_token("/round/cycles/s11-2021/bulk/remind?q=grown")
        response = client.post(
            "/round/cycles/s11-2021/bulk/remind",
            data={"csrf_token": token, "q": "grown", "status": "not_started"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert mailbox.messages == []  # nothing reached the mail server in the request
        page = client.page(response.headers["location"])
        assert counts(page) == {"queued": 20, "sent": 0, "delivered": 0, "failed": 0}
        assert page.select_one("#counts")["hx-trigger"] == "every 3s"
        assert any("Refresh" in link.get_text() for link in page.select("#counts a"))

        # The worker takes them; the page, as HTMX asks for it, counts them out.
        assert mail_queue.drain(db, relay) == 20
        swapped = client.get(
            response.headers["location"], headers={"HX-Request": "true", "HX-Target": "counts"}
        )
        assert "<!doctype" not in swapped.text.lower() and 'data-count="sent">20<' in swapped.text
        assert "hx-trigger" not in swapped.text  # settled: the page stops asking
    assert len(mailbox.messages) == 20


def test_a_relay_that_refuses_one_address_fails_that_email_alone_on_one_connection(
    db, relay, mailbox
):
    emails = queue(db, 5)
    mailbox.refused.add("lead2@example.org")
    before = REGISTRY.get_sample_value("s11_smtp_connections_total") or 0
    assert mail_queue.drain(db, relay) == 4
    assert (REGISTRY.get_sample_value("s11_smtp_connections_total") or 0) - before == 1
    for email in emails:
        db.refresh(email)
    refused = emails[2]
    assert refused.status is SendStatus.FAILED and "Mailbox full" in (refused.last_error or "")
    assert refused.next_attempt_at is not None  # tried again after a backoff, not at once
    assert [e.status for e in emails if e is not refused] == [SendStatus.SENT] * 4
    assert sorted(m["To"] for m in mailbox.messages) == [
        "lead0@example.org",
        "lead1@example.org",
        "lead3@example.org",
        "lead4@example.org",
    ]


def test_the_sending_limits_hold_the_rest_in_the_queue(
    db, demo, database_url, var_dir, smtp_server, mailbox
):
    from app.directory.models import Partnership

    norfolk, suffolk = (
        db.scalars(select(Partnership).where(Partnership.slug == slug)).one()
        for slug in ("norfolk", "suffolk")
    )
    queue(db, 6, prefix="norfolk", partnership_id=norfolk.id)
    queue(db, 6, prefix="suffolk", partnership_id=suffolk.id)
    limited = test_settings(
        database_url,
        var_dir,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server[1],
        mail_per_minute=8,
        mail_per_minute_per_partnership=3,
    )
    assert mail_queue.drain(db, limited) == 6  # 3 for each partnership's sender
    assert mail_queue.drain(db, limited) == 0  # the queue waits for the minute to pass
    assert len(mailbox.messages) == 6
    per_partnership = {
        prefix: sum(m["To"].startswith(prefix) for m in mailbox.messages)
        for prefix in ("norfolk", "suffolk")
    }
    assert per_partnership == {"norfolk": 3, "suffolk": 3}

    installation_only = test_settings(
        database_url, var_dir, smtp_host="127.0.0.1", smtp_port=smtp_server[1], mail_per_minute=8
    )
    assert mail_queue.drain(db, installation_only) == 2  # 8 a minute in all
    waiting = db.scalars(select(SentEmail).where(SentEmail.status == SendStatus.QUEUED)).all()
    assert len(waiting) == 4


def test_two_workers_side_by_side_never_send_one_email_twice(
    engine, database_url, var_dir, smtp_server, mailbox
):
    settings = test_settings(
        database_url, var_dir, smtp_host="127.0.0.1", smtp_port=smtp_server[1], mail_batch_size=7
    )
    with Session(engine) as session:
        queue(session, 120, prefix="twice")
        session.commit()
    stop = threading.Event()
    workers = [
        threading.Thread(
            target=mail_queue.run_worker,
            args=(lambda: Session(engine), settings),
            kwargs={"worker": f"worker-{n}", "stop": stop},
        )
        for n in range(2)
    ]
    try:
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 60
        while len(mailbox.messages) < 120 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # a second copy, were there one, would arrive now
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        with Session(engine) as session:
            senders = session.scalars(select(SentEmail.claimed_by)).all()
            statuses = session.scalars(select(SentEmail.status)).all()
            session.execute(delete(SentEmail))
            session.commit()
    addresses = [m["To"] for m in mailbox.messages]
    assert len(addresses) == 120 and len(set(addresses)) == 120
    assert set(statuses) == {SendStatus.SENT}
    assert senders == [None] * 120  # every claim released once its message was marked


def test_a_worker_stops_cleanly_on_sigterm(empty_engine, database_url, var_dir):
    import os
    import signal
    import subprocess
    import sys

    from app.config import PROJECT_ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith("S11_")}
    env.update({"S11_DATABASE_URL": database_url, "S11_VAR_DIR": str(var_dir)})
    worker = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--name", "stopping"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert worker.stdout is not None
    first = worker.stdout.readline()
    assert "is delivering" in first, first + worker.stdout.read()
    worker.send_signal(signal.SIGTERM)
    out, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0 and "s11 mail worker stopping stopped." in out
