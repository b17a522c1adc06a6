"""Sending email on the record: each message is stored, then handed to the mail server, and
what happened is kept, so a refused message is retried and shown, never silently dropped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.notifications.mail import Email, MailError, send_email
from app.notifications.models import SendStatus, SentEmail

MAX_ATTEMPTS = 5
# A message still queued this long after it was handed over was left behind by a crash.
STALE_AFTER = timedelta(minutes=5)
# Their links sign someone in or act for them, and s11 keeps only hashes of such links: once
# the mail server has the message, its text is not kept either.
SECRET_KINDS = frozenset({"sign_in_link", "invitation", "sign_off_request"})
WITHHELD = "(Not kept: the message held a link for its recipient alone.)"


def record(
    session: Session, email: Email, *, kind: str, partnership_id: int | None = None
) -> SentEmail:
    """Store a message as queued, before any attempt to send it."""
    sent = SentEmail(
        partnership_id=partnership_id,
        kind=kind,
        to=email.to,
        subject=email.subject,
        body=email.body,
        html=email.html,
        calendar=email.calendar,
        status=SendStatus.QUEUED,
        attempts=0,
    )
    session.add(sent)
    session.flush()
    return sent


def attempt(session: Session, settings: Settings, sent: SentEmail) -> bool:
    """Hand a recorded message to the mail server once; True if it took it."""
    sent.attempts += 1
    return _hand_over(session, settings, sent)


def _hand_over(session: Session, settings: Settings, sent: SentEmail) -> bool:
    try:
        send_email(
            settings,
            Email(
                to=sent.to,
                subject=sent.subject,
                body=sent.body,
                html=sent.html,
                calendar=sent.calendar,
            ),
        )
    except MailError as error:
        sent.status = SendStatus.FAILED
        sent.last_error = str(error)[:2000]
        sent.sent_at = None
        session.flush()
        return False
    sent.status = SendStatus.SENT
    sent.sent_at = utcnow()
    sent.last_error = None
    if sent.kind in SECRET_KINDS:
        sent.body, sent.html, sent.calendar = WITHHELD, None, None
    session.flush()
    return True


def deliver(
    session: Session,
    settings: Settings,
    email: Email,
    *,
    kind: str,
    partnership_id: int | None = None,
) -> SentEmail:
    """Record a message and try to send it now; a failure stays recorded for a retry."""
    if kind == "invitation":
        # A new invitation to someone comes once their last one's link was replaced or
        # ended: its failed email shows as withdrawn now, not as waiting for a retry.
        withdraw_dead_links(session, partnership_id=partnership_id, to=email.to)
    sent = record(session, email, kind=kind, partnership_id=partnership_id)
    attempt(session, settings, sent)
    return sent


# By a message's kind, why the link in its text no longer works (None while it does): the
# module whose emails carry such links adds its check (auth, for invitations), as
# notifications sits below every module that sends mail and names none of them.
DEAD_LINK_CHECKS: dict[str, Callable[[Session, str], str | None]] = {}


def dead_link(session: Session, sent: SentEmail) -> str | None:
    """Why the link a message carries no longer works, or None: an invitation's stops when it
    is sent again with a new link, cancelled, accepted or expired."""
    check = DEAD_LINK_CHECKS.get(sent.kind)
    return check(session, sent.body) if check else None


def withdraw_dead_links(session: Session, *, partnership_id: int | None, to: str) -> int:
    """Withdraw the failed messages to this address whose link no longer works, so that the
    emails page offers no retry of them; returns how many."""
    failed = session.scalars(
        select(SentEmail).where(
            SentEmail.partnership_id == partnership_id,
            SentEmail.to == to,
            SentEmail.status == SendStatus.FAILED,
        )
    ).all()
    withdrawn = 0
    for sent in failed:
        reason = dead_link(session, sent)
        # Only while it is as read, like a claim: a runner sending it now keeps it.
        if reason is not None and _take(
            session, sent.id, status=sent.status, attempts=sent.attempts, at=utcnow()
        ):
            session.refresh(sent)
            _withdraw(session, sent, reason)
            withdrawn += 1
    return withdrawn


def _withdraw(session: Session, sent: SentEmail, reason: str) -> None:
    """Give up a claimed message for good, as never handed to the mail server again."""
    sent.status = SendStatus.WITHDRAWN
    sent.attempts -= 1  # the claim counted an attempt that was not made
    sent.sent_at = None
    sent.last_error = f"Its link no longer works: {reason}."
    session.flush()


def _send_claimed(session: Session, settings: Settings, sent: SentEmail) -> bool:
    """Hand over a claimed message, unless its link has stopped working since it was
    written: an old invitation must never reach someone after a newer one."""
    reason = dead_link(session, sent)
    if reason is not None:
        _withdraw(session, sent, reason)
        return False
    return _hand_over(session, settings, sent)


def emails_of(session: Session, *, partnership_id: int) -> list[SentEmail]:
    """The partnership's messages as its coordinators check them: failures first, then newest."""
    return list(
        session.scalars(
            select(SentEmail)
            .where(SentEmail.partnership_id == partnership_id)
            .order_by(
                (SentEmail.status != SendStatus.FAILED), SentEmail.created_at.desc(), SentEmail.id
            )
        )
    )


def email_of(session: Session, *, partnership_id: int, email_id: int) -> SentEmail | None:
    """One of the partnership's messages; another partnership's finds nothing."""
    return session.scalar(
        select(SentEmail).where(
            SentEmail.id == email_id, SentEmail.partnership_id == partnership_id
        )
    )


def _take(
    session: Session, email_id: int, *, status: SendStatus, attempts: int, at: datetime
) -> bool:
    """Claim a message for one sender: the UPDATE matches only while it is as it was read, so
    of two runners reading it at once only one gets it. A claimed message is queued, handed
    over at `at`: no runner takes it again unless it stays so for STALE_AFTER."""
    claimed = session.execute(
        update(SentEmail)
        .where(SentEmail.id == email_id, SentEmail.status == status, SentEmail.attempts == attempts)
        .values(status=SendStatus.QUEUED, attempts=attempts + 1, sent_at=at)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def retry(session: Session, settings: Settings, sent: SentEmail) -> bool:
    """Send a failed message again now, as a coordinator asked; False if it had not failed,
    as when `s11 send-reminders` has just sent it, or if its link no longer works."""
    if sent.status is not SendStatus.FAILED or not _take(
        session, sent.id, status=sent.status, attempts=sent.attempts, at=utcnow()
    ):
        return False
    session.refresh(sent)
    return _send_claimed(session, settings, sent)


def retry_due(session: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Send again, oldest first, what failed fewer than MAX_ATTEMPTS times and what a crash
    left queued; returns how many the mail server took.

    Unlike a request's services this commits: each claim is committed before the mail server
    is called, so a second runner at the same time never sends the same message."""
    now = now or utcnow()
    due = session.execute(
        select(SentEmail.id, SentEmail.status, SentEmail.attempts)
        .where(
            or_(
                (SentEmail.status == SendStatus.FAILED) & (SentEmail.attempts < MAX_ATTEMPTS),
                (SentEmail.status == SendStatus.QUEUED)
                & (func.coalesce(SentEmail.sent_at, SentEmail.created_at) < now - STALE_AFTER),
            )
        )
        .order_by(SentEmail.created_at, SentEmail.id)
    ).all()
    # Each write below starts its own transaction: on SQLite a transaction that read first
    # cannot write once another runner has written meanwhile.
    session.commit()
    sent = 0
    for email_id, status, attempts in due:
        if not _take(session, email_id, status=status, attempts=attempts, at=now):
            session.rollback()
            continue
        message = session.get(SentEmail, email_id, populate_existing=True)
        session.commit()
        assert message is not None
        sent += _send_claimed(session, settings, message)
        session.commit()
    return sent
