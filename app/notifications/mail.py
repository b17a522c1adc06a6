"""Handing finished emails to a transport: SMTP (one connection for a batch), GOV.UK Notify,
or, with neither set, files in var/outbox/. It never decides who gets what, nor when: the
delivery queue (app.notifications.queue) does, and no request ever calls it."""

from __future__ import annotations

import io
import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

from icalendar import Calendar

from app import metrics
from app.config import Settings

logger = logging.getLogger("s11.mail")


class MailError(RuntimeError):
    """The message could not be handed over; `final` when trying again cannot help."""

    def __init__(self, message: str, *, final: bool = False) -> None:
        super().__init__(message)
        self.final = final


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str  # plain text, always sent
    html: str | None = None  # an HTML alternative, where the message has one
    calendar: str | None = None  # an .ics invitation or cancellation, where it has one


class Transport(Protocol):
    # Whether a sent message's fate is read back later (GOV.UK Notify), or sent is the end.
    reports_delivery: bool

    def send(self, email: Email, *, reference: str) -> str | None:
        """Hand one message over; the transport's own id for it, where it has one."""

    def status(self, provider_id: str) -> str:
        """What the transport last knew of a message it took."""


@contextmanager
def open_transport(settings: Settings) -> Iterator[Transport]:
    """The installation's transport, for one batch: closed (its connection quit) after it."""
    if settings.notify_api_key is not None:
        yield NotifyTransport(settings)
        return
    if not settings.smtp_host:
        yield OutboxTransport(settings.var_dir / "outbox", settings.mail_from)
        return
    transport = SmtpTransport(settings)
    try:
        yield transport
    finally:
        transport.close()


def mime_message(mail_from: str, email: Email, *, reference: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = email.to
    message["Subject"] = email.subject
    # The record's id in the Message-ID: a copy sent again after a crash is recognisable.
    message["Message-ID"] = make_msgid(idstring=f"s11-{reference}", domain="s11")
    message.set_content(email.body)
    if email.html:
        message.add_alternative(email.html, subtype="html")
    if email.calendar:
        _add_calendar(message, email.calendar)
    return message


class SmtpTransport:
    """One SMTP connection (STARTTLS and login once) for as many messages as the batch holds;
    a refused recipient fails that message alone, a dropped connection is opened again."""

    reports_delivery = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        smtp = smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=20)
        try:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        except BaseException:
            smtp.close()
            raise
        metrics.SMTP_CONNECTIONS.inc()
        return smtp

    def send(self, email: Email, *, reference: str) -> str | None:
        message = mime_message(self.settings.mail_from, email, reference=reference)
        try:
            if self.smtp is None:
                self.smtp = self._connect()
            self.smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
            # The server said no to this message and reset the transaction: the connection
            # carries on with the next one.
            metrics.EMAILS.labels("failed").inc()
            raise MailError(_said(message, error)) from error
        except (OSError, smtplib.SMTPException) as error:
            metrics.EMAILS.labels("failed").inc()
            self.close()
            raise MailError(_said(message, error)) from error
        metrics.EMAILS.labels("sent").inc()
        return None

    def status(self, provider_id: str) -> str:  # pragma: no cover - SMTP tells nothing more
        return "sent"

    def close(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (OSError, smtplib.SMTPException):
            self.smtp.close()
        self.smtp = None


def _said(message: EmailMessage, error: Exception) -> str:
    # Neither the address nor the server's words in the log (a refusal quotes the address):
    # logs never hold people's email addresses; the sent_email row keeps the reason.
    code = getattr(error, "smtp_code", None) or type(error).__name__
    logger.error("could not send mail %s: %s", message["Message-ID"], code)
    return f"the mail server did not accept the message: {error}"


class OutboxTransport:
    """Development without a mail server: each message a file under var/outbox/."""

    reports_delivery = False

    def __init__(self, outbox: Path, mail_from: str) -> None:
        self.outbox = outbox
        self.mail_from = mail_from

    def send(self, email: Email, *, reference: str) -> str | None:
        message = mime_message(self.mail_from, email, reference=reference)
        self.outbox.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_") + ".eml"
        (self.outbox / name).write_bytes(bytes(message))
        logger.info("mail %s written to %s", reference, self.outbox / name)
        metrics.EMAILS.labels("sent").inc()
        return None

    def status(self, provider_id: str) -> str:  # pragma: no cover - a file is the end
        return "sent"


class NotifyTransport:
    """GOV.UK Notify through its official client: the message's text fills one template's
    ((subject)) and ((body)); the record's id is Notify's `reference`."""

    reports_delivery = True

    def __init__(self, settings: Settings) -> None:
        from notifications_python_client import NotificationsAPIClient

        assert settings.notify_api_key is not None and settings.notify_template_id
        self.template_id = settings.notify_template_id
        self.calendar_template_id = settings.notify_calendar_template_id
        self.client = NotificationsAPIClient(
            settings.notify_api_key.get_secret_value(),
            base_url=settings.notify_base_url,
            timeout=20,
        )

    def send(self, email: Email, *, reference: str) -> str | None:
        from notifications_python_client import prepare_upload
        from notifications_python_client.errors import APIError

        personalisation: dict[str, object] = {"subject": email.subject, "body": email.body}
        template_id = self.template_id
        if email.calendar and self.calendar_template_id:
            # Notify sends no attachments: the .ics goes as a file Notify keeps, and the
            # calendar template's ((calendar)) placeholder becomes a link to download it.
            # Without that template the message goes without it: its text has the meeting.
            template_id = self.calendar_template_id
            personalisation["calendar"] = prepare_upload(
                io.BytesIO(email.calendar.encode()), filename="invitation.ics"
            )
        try:
            answer = self.client.send_email_notification(
                email_address=email.to,
                template_id=template_id,
                personalisation=personalisation,
                reference=reference,
            )
        except APIError as error:
            metrics.EMAILS.labels("failed").inc()
            # A 400 (a bad address, say) will not change on a retry; 429 and 5xx may.
            final = error.status_code == 400
            logger.error("GOV.UK Notify did not take mail %s: %s", reference, error.status_code)
            raise MailError(
                f"GOV.UK Notify did not accept the message: {error}", final=final
            ) from error
        metrics.EMAILS.labels("sent").inc()
        return str(answer["id"])

    def status(self, provider_id: str) -> str:
        from notifications_python_client.errors import APIError

        try:
            return str(self.client.get_notification_by_id(provider_id)["status"])
        except APIError as error:
            raise MailError(f"GOV.UK Notify did not say: {error}") from error


def _add_calendar(message: EmailMessage, calendar: str) -> None:
    method = str(Calendar.from_ical(calendar).method or "REQUEST").upper()
    # As an alternative with its method, mail clients show the meeting with accept and decline
    # buttons; as an attachment too, for those that show only attachments. The attachment is
    # application/ics, as Gmail sends it: two text/calendar parts make some clients show the
    # meeting twice.
    message.add_alternative(calendar, subtype="calendar", params={"method": method})
    name = "cancellation.ics" if method == "CANCEL" else "invitation.ics"
    message.add_attachment(calendar.encode(), "application", "ics", filename=name)
