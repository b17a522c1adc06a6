"""Sending one email: through SMTP when S11_SMTP_HOST is set, otherwise into var/outbox/.

It never decides who gets what; services do, and call send_email with the finished text.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from icalendar import Calendar

from app import metrics
from app.config import Settings

logger = logging.getLogger("s11.mail")


class MailError(RuntimeError):
    """The message could not be handed to the mail server."""


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str  # plain text, always sent
    html: str | None = None  # an HTML alternative, where the message has one
    calendar: str | None = None  # an .ics invitation or cancellation, where it has one


def send_email(settings: Settings, email: Email) -> None:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Message-ID"] = make_msgid(domain="s11")
    message.set_content(email.body)
    if email.html:
        message.add_alternative(email.html, subtype="html")
    if email.calendar:
        _add_calendar(message, email.calendar)
    if not settings.smtp_host:
        _write_to_outbox(settings.var_dir / "outbox", message)
        metrics.EMAILS.labels("sent").inc()
        return
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        metrics.EMAILS.labels("failed").inc()
        # Neither the address nor the server's words (a refusal quotes the address): logs
        # never hold people's email addresses; the sent_email row keeps the reason.
        code = getattr(error, "smtp_code", None) or type(error).__name__
        logger.error("could not send mail %s: %s", message["Message-ID"], code)
        raise MailError(f"the mail server did not accept the message: {error}") from error
    metrics.EMAILS.labels("sent").inc()


def _add_calendar(message: EmailMessage, calendar: str) -> None:
    method = str(Calendar.from_ical(calendar).method or "REQUEST").upper()
    # As an alternative with its method, mail clients show the meeting with accept and decline
    # buttons; as an attachment too, for those that show only attachments. The attachment is
    # application/ics, as Gmail sends it: two text/calendar parts make some clients show the
    # meeting twice.
    message.add_alternative(calendar, subtype="calendar", params={"method": method})
    name = "cancellation.ics" if method == "CANCEL" else "invitation.ics"
    message.add_attachment(calendar.encode(), "application", "ics", filename=name)


def _write_to_outbox(outbox: Path, message: EmailMessage) -> None:
    outbox.mkdir(parents=True, exist_ok=True)
    name = message["Message-ID"].strip("<>").replace("@", "_") + ".eml"
    (outbox / name).write_bytes(bytes(message))
    logger.info("mail for %s written to %s", message["To"], outbox / name)
