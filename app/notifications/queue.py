"""The delivery queue's workers: claim a batch of queued emails, hand it over on one
connection, mark each message, retry with backoff, read GOV.UK Notify's verdicts back.

Never called from a request. The bound on sending twice: each message is marked (and
committed) as soon as it is handed over, so a worker killed mid-batch leaves at most the one
message it was handing over unmarked; that one goes again once its lease ends. A message is
sent at most once more than it was handed over for each worker killed while sending it."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import aware, utcnow
from app.notifications.mail import Email, MailError, open_transport
from app.notifications.models import SendStatus, SentEmail
from app.notifications.service import MAX_ATTEMPTS, SECRET_KINDS, WITHHELD, dead_link

logger = logging.getLogger("s11.mail")

# Workers on PostgreSQL take this advisory lock to count and claim under the sending limits
# one at a time; without limits they claim side by side (FOR UPDATE SKIP LOCKED).
LIMITS_LOCK = 0x5311_3A11
# How soon a worker asks GOV.UK Notify again about a message it has not settled.
STATUS_CHECK_EVERY = timedelta(seconds=30)
# GOV.UK Notify's statuses (its API documentation), and what s11 makes of each.
NOTIFY_DELIVERED = "delivered"
NOTIFY_FAILURES = {
    "permanent-failure": ("the address does not exist or the provider blocked it", True),
    "temporary-failure": ("the recipient's mailbox was full or unavailable for 72 hours", False),
    "technical-failure": ("a technical failure at GOV.UK Notify", False),
}


def backoff(attempts: int) -> timedelta:
    """How long a refused message waits before the next try: 1, 2, 4, 8 minutes …"""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


@dataclass(frozen=True)
class BatchOutcome:
    claimed: int = 0
    sent: int = 0
    failed: int = 0


def _due(now: datetime):  # type: ignore[no-untyped-def]
    """Waiting and free: queued (or refused, with tries left), its backoff over, no worker's
    lease on it (a lease that ran out belongs to a worker that died)."""
    return and_(
        or_(
            SentEmail.status == SendStatus.QUEUED,
            and_(SentEmail.status == SendStatus.FAILED, SentEmail.attempts < MAX_ATTEMPTS),
        ),
        or_(SentEmail.next_attempt_at.is_(None), SentEmail.next_attempt_at <= now),
        or_(SentEmail.claimed_until.is_(None), SentEmail.claimed_until < now),
    )


def _in_window(since: datetime, now: datetime):  # type: ignore[no-untyped-def]
    """Handed over since then, or held by a worker about to hand it over."""
    return or_(
        SentEmail.sent_at >= since,
        and_(SentEmail.status == SendStatus.QUEUED, SentEmail.claimed_until >= now),
    )


def _room(session: Session, settings: Settings, now: datetime) -> int | None:
    """How many more the installation may send now under its limits; None: no limit."""
    room: int | None = None
    for limit, span in ((settings.mail_per_minute, 60), (settings.mail_per_day, 86_400)):
        if limit:
            used = session.scalar(
                select(func.count())
                .select_from(SentEmail)
                .where(_in_window(now - timedelta(seconds=span), now))
            )
            left = max(limit - (used or 0), 0)
            room = left if room is None else min(room, left)
    return room


def _partnership_room(session: Session, settings: Settings, now: datetime) -> dict | None:
    """Per partnership sender, how many more it may send now; None: no limit."""
    limits = (
        (settings.mail_per_minute_per_partnership, 60),
        (settings.mail_per_day_per_partnership, 86_400),
    )
    if not any(limit for limit, _ in limits):
        return None
    room: dict[int | None, int] = {}
    for limit, span in limits:
        if not limit:
            continue
        used = session.execute(
            select(SentEmail.partnership_id, func.count())
            .where(_in_window(now - timedelta(seconds=span), now))
            .group_by(SentEmail.partnership_id)
        ).all()
        for partnership_id, count in used:
            left = max(limit - count, 0)
            room[partnership_id] = min(room.get(partnership_id, left), left)
    room["default"] = min(limit for limit, _ in limits if limit)  # type: ignore[index]
    return room


def claim(session: Session, settings: Settings, *, worker: str, now: datetime) -> list[int]:
    """Take a batch for this worker and commit the claim; the ids taken, oldest first.

    PostgreSQL: the rows are locked FOR UPDATE SKIP LOCKED, so workers side by side take
    disjoint batches. SQLite (one worker): the UPDATE claims only rows still due, as read."""
    postgres = session.get_bind().dialect.name == "postgresql"
    limited = any(
        (
            settings.mail_per_minute,
            settings.mail_per_day,
            settings.mail_per_minute_per_partnership,
            settings.mail_per_day_per_partnership,
        )
    )
    if postgres and limited:
        session.execute(select(func.pg_advisory_xact_lock(LIMITS_LOCK)))
    room = _room(session, settings, now)
    size = settings.mail_batch_size if room is None else min(settings.mail_batch_size, room)
    per_partnership = _partnership_room(session, settings, now)
    if size <= 0:
        session.commit()
        return []
    query = (
        select(SentEmail.id, SentEmail.partnership_id)
        .where(_due(now))
        .order_by(SentEmail.created_at, SentEmail.id)
        .limit(size if per_partnership is None else size * 4)
    )
    if postgres:
        query = query.with_for_update(skip_locked=True, of=SentEmail)
    chosen: list[int] = []
    for email_id, partnership_id in session.execute(query).all():
        if per_partnership is not None:
            left = per_partnership.get(partnership_id, per_partnership["default"])  # type: ignore[index]
            if left <= 0:
                continue
            per_partnership[partnership_id] = left - 1
        chosen.append(email_id)
        if len(chosen) == size:
            break
    if not postgres:
        # On SQLite a transaction that read first cannot write once another has written
        # meanwhile: the claim below is a write of its own, conditional on the rows as read.
        session.commit()
    if not chosen:
        session.commit()
        return []
    claimed = session.scalars(
        update(SentEmail)
        .where(SentEmail.id.in_(chosen), _due(now))
        .values(
            status=SendStatus.QUEUED,
            attempts=SentEmail.attempts + 1,
            claimed_by=worker[:80],
            claimed_until=now + timedelta(seconds=settings.mail_lease_seconds),
        )
        .returning(SentEmail.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return sorted(claimed)


def deliver_batch(
    session: Session,
    settings: Settings,
    *,
    worker: str,
    stop: threading.Event | None = None,
) -> BatchOutcome:
    """Claim a batch and hand it over on one connection, committing each message's fate as
    soon as it is known. Stopping (SIGTERM) gives back what is not yet handed over."""
    ids = claim(session, settings, worker=worker, now=utcnow())
    if not ids:
        return BatchOutcome()
    messages = list(
        session.scalars(
            select(SentEmail)
            .where(SentEmail.id.in_(ids))
            .order_by(SentEmail.id)
            .execution_options(populate_existing=True)  # as claimed, not as last read
        )
    )
    session.commit()
    sent = failed = 0
    with open_transport(settings) as transport:
        for index, message in enumerate(messages):
            lease = message.claimed_until
            if (
                (stop is not None and stop.is_set())
                or message.claimed_by != worker[:80]
                or lease is None
                or aware(lease) <= utcnow()
            ):
                # Stopping, or too slow: another worker may take the rest (a lease that ran
                # out is another worker's to take; sending it here could send it twice).
                _give_back(session, [m.id for m in messages[index:]], worker=worker)
                break
            reason = dead_link(session, message)
            if reason is not None:
                _withdraw(message, reason)
                session.commit()
                continue
            try:
                provider_id = transport.send(_email_of(message), reference=str(message.id))
            except MailError as error:
                _mark_failed(message, str(error), final=error.final)
                failed += 1
            else:
                _mark_sent(message, provider_id, awaits_verdict=transport.reports_delivery)
                sent += 1
            session.commit()
    return BatchOutcome(claimed=len(ids), sent=sent, failed=failed)


def _email_of(message: SentEmail) -> Email:
    return Email(
        to=message.to,
        subject=message.subject,
        body=message.body,
        html=message.html,
        calendar=message.calendar,
    )


def _release(message: SentEmail) -> None:
    message.claimed_by = None
    message.claimed_until = None


def _mark_sent(message: SentEmail, provider_id: str | None, *, awaits_verdict: bool) -> None:
    now = utcnow()
    message.status = SendStatus.SENT
    message.sent_at = now
    message.last_error = None
    message.provider_id = provider_id
    message.next_attempt_at = now + STATUS_CHECK_EVERY if awaits_verdict else None
    _release(message)
    if message.kind in SECRET_KINDS:
        message.body, message.html, message.calendar = WITHHELD, None, None


def _mark_failed(message: SentEmail, reason: str, *, final: bool) -> None:
    message.status = SendStatus.FAILED
    message.last_error = reason[:2000]
    message.sent_at = None
    if final:
        # Trying again cannot help (GOV.UK Notify refused the address itself): no more tries.
        message.attempts = max(message.attempts, MAX_ATTEMPTS)
    message.next_attempt_at = utcnow() + backoff(message.attempts)
    _release(message)


def _withdraw(message: SentEmail, reason: str) -> None:
    """Give up a claimed message for good: its link stopped working since it was written,
    and an old invitation must never reach someone after a newer one."""
    message.status = SendStatus.WITHDRAWN
    message.attempts -= 1  # the claim counted an attempt that was not made
    message.sent_at = None
    message.last_error = f"Its link no longer works: {reason}."
    _release(message)


def _give_back(session: Session, ids: list[int], *, worker: str) -> None:
    session.execute(
        update(SentEmail)
        .where(SentEmail.id.in_(ids), SentEmail.claimed_by == worker[:80])
        .values(claimed_by=None, claimed_until=None, attempts=SentEmail.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def check_delivery(session: Session, settings: Settings, *, limit: int = 100) -> int:
    """Ask GOV.UK Notify what became of messages it took and has not settled; returns how
    many were settled (delivered or failed). SMTP says nothing after it takes a message."""
    if settings.notify_api_key is None:
        return 0
    now = utcnow()
    waiting = list(
        session.scalars(
            select(SentEmail)
            .where(
                SentEmail.status == SendStatus.SENT,
                SentEmail.provider_id.is_not(None),
                or_(SentEmail.next_attempt_at.is_(None), SentEmail.next_attempt_at <= now),
            )
            .order_by(SentEmail.next_attempt_at, SentEmail.id)
            .limit(limit)
        )
    )
    session.commit()
    settled = 0
    with open_transport(settings) as transport:
        for message in waiting:
            try:
                verdict = transport.status(message.provider_id or "")
            except MailError as error:
                logger.warning("could not read the status of mail %s: %s", message.id, error)
                message.next_attempt_at = utcnow() + STATUS_CHECK_EVERY
                session.commit()
                continue
            message.provider_status = verdict
            if verdict == NOTIFY_DELIVERED:
                message.status = SendStatus.DELIVERED
                message.next_attempt_at = None
                settled += 1
            elif verdict in NOTIFY_FAILURES:
                reason, final = NOTIFY_FAILURES[verdict]
                _mark_failed(message, f"GOV.UK Notify: {verdict}: {reason}", final=final)
                settled += 1
            else:  # created, sending, pending: Notify is still trying
                message.next_attempt_at = utcnow() + STATUS_CHECK_EVERY
            session.commit()
    return settled


def drain(session: Session, settings: Settings, *, worker: str = "inline") -> int:
    """Deliver everything due now, batch after batch, then read back any verdicts due;
    returns how many were handed over. For `s11 send-reminders` and the tests' requests."""
    sent = 0
    while True:
        outcome = deliver_batch(session, settings, worker=worker)
        sent += outcome.sent
        if not outcome.claimed:
            break
    check_delivery(session, settings)
    return sent


def run_worker(session_factory, settings: Settings, *, worker: str, stop: threading.Event) -> None:  # type: ignore[no-untyped-def]
    """`s11 worker`: deliver until stopped; an idle worker looks again every poll interval."""
    while not stop.is_set():
        try:
            with session_factory() as session:
                outcome = deliver_batch(session, settings, worker=worker, stop=stop)
                settled = check_delivery(session, settings)
        except Exception:  # a database that went away: wait, then try again
            logger.exception("the mail worker %s could not deliver a batch", worker)
            stop.wait(settings.mail_poll_seconds)
            continue
        if not outcome.claimed and not settled:
            stop.wait(settings.mail_poll_seconds)
