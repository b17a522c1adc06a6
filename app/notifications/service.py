"""Sending email on the record: each message is stored, then handed to the mail server, and
what happened is kept, so a refused message is retried and shown, never silently dropped."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.notifications.mail import Email, MailError, send_email
from app.notifications.models import SendStatus, SentEmail

MAX_ATTEMPTS = 5


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
        status=SendStatus.QUEUED,
        attempts=0,
    )
    session.add(sent)
    session.flush()
    return sent


def attempt(session: Session, settings: Settings, sent: SentEmail) -> bool:
    """Hand a recorded message to the mail server once; True if it took it."""
    sent.attempts += 1
    try:
        send_email(
            settings, Email(to=sent.to, subject=sent.subject, body=sent.body, html=sent.html)
        )
    except MailError as error:
        sent.status = SendStatus.FAILED
        sent.last_error = str(error)[:2000]
        session.flush()
        return False
    sent.status = SendStatus.SENT
    sent.sent_at = utcnow()
    sent.last_error = None
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
    sent = record(session, email, kind=kind, partnership_id=partnership_id)
    attempt(session, settings, sent)
    return sent
