"""Email on the record: a request queues each message in its own transaction and returns; the
workers (app.notifications.queue) hand it over. Nothing here talks to a mail server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.notifications.mail import Email
from app.notifications.models import MailAction, SendStatus, SentEmail

MAX_ATTEMPTS = 5
# Their links sign someone in or act for them, and s11 keeps only hashes of such links: once
# the mail server has the message, its text is not kept either.
SECRET_KINDS = frozenset({"sign_in_link", "invitation", "sign_off_request"})
WITHHELD = "(Not kept: the message held a link for its recipient alone.)"
# The kinds that invite a lead or a colleague in: a failed one is shown beside the person.
INVITATION_KINDS = frozenset({"invitation", "round_invitation"})


def record(
    session: Session,
    email: Email,
    *,
    kind: str,
    partnership_id: int | None = None,
    action_id: int | None = None,
) -> SentEmail:
    """Store a message as queued: a worker sends it once the request's transaction commits."""
    sent = SentEmail(
        partnership_id=partnership_id,
        action_id=action_id,
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


def record_many(
    session: Session, emails: list[tuple[Email, int]], *, kind: str, action_id: int
) -> None:
    """Queue a bulk action's emails, each with the partnership it is sent for, in one
    statement: 6,000 reminders are one INSERT, not 6,000 round trips."""
    if emails:
        session.execute(
            insert(SentEmail),
            [
                {
                    "partnership_id": partnership_id,
                    "action_id": action_id,
                    "kind": kind,
                    "to": email.to,
                    "subject": email.subject,
                    "body": email.body,
                    "html": email.html,
                    "calendar": email.calendar,
                    "status": SendStatus.QUEUED,
                    "attempts": 0,
                    "created_at": utcnow(),
                }
                for email, partnership_id in emails
            ],
        )


def queue_email(
    session: Session,
    email: Email,
    *,
    kind: str,
    partnership_id: int | None = None,
    action_id: int | None = None,
) -> SentEmail:
    """Queue a message for the workers; it goes, or fails, after the request has answered."""
    if kind == "invitation":
        # A new invitation to someone comes once their last one's link was replaced or
        # ended: its failed email shows as withdrawn now, not as waiting for a retry.
        withdraw_dead_links(session, partnership_id=partnership_id, to=email.to)
    return record(session, email, kind=kind, partnership_id=partnership_id, action_id=action_id)


def start_action(
    session: Session, *, partnership_id: int, description: str, back_to: str
) -> MailAction:
    """One bulk action's emails, gathered so that the coordinator can watch them go."""
    action = MailAction(partnership_id=partnership_id, description=description, back_to=back_to)
    session.add(action)
    session.flush()
    return action


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
        # Only while no worker holds it: a worker sending it now keeps it.
        if reason is not None and _requeue_failed(session, [sent.id], status=SendStatus.WITHDRAWN):
            session.refresh(sent)
            sent.last_error = f"Its link no longer works: {reason}."
            session.flush()
            withdrawn += 1
    return withdrawn


def _requeue_failed(session: Session, ids: list[int], *, status: SendStatus) -> int:
    """Move failed messages no worker holds to `status`; returns how many moved."""
    now = utcnow()
    moved = session.execute(
        update(SentEmail)
        .where(
            SentEmail.id.in_(ids),
            SentEmail.status == SendStatus.FAILED,
            or_(SentEmail.claimed_until.is_(None), SentEmail.claimed_until < now),
        )
        .values(status=status, next_attempt_at=None, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount  # type: ignore[attr-defined,no-any-return]


def retry(session: Session, sent: SentEmail) -> bool:
    """Queue a failed message again, as a coordinator asked: the next worker sends it (or
    withdraws it, if its link has stopped working). False if it had not failed."""
    if sent.status is not SendStatus.FAILED:
        return False
    moved = _requeue_failed(session, [sent.id], status=SendStatus.QUEUED)
    session.refresh(sent)
    return moved == 1


def resend_failed(session: Session, *, action: MailAction) -> int:
    """Queue again every failed email of a bulk action; returns how many."""
    ids = list(
        session.scalars(
            select(SentEmail.id).where(
                SentEmail.action_id == action.id, SentEmail.status == SendStatus.FAILED
            )
        )
    )
    return _requeue_failed(session, ids, status=SendStatus.QUEUED) if ids else 0


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


def action_of(session: Session, *, partnership_id: int, action_id: int) -> MailAction | None:
    """One of the partnership's bulk actions; another partnership's finds nothing."""
    return session.scalar(
        select(MailAction).where(
            MailAction.id == action_id, MailAction.partnership_id == partnership_id
        )
    )


@dataclass(frozen=True)
class Delivery:
    """How a bulk action's emails stand: waiting, taken by the mail server, confirmed in the
    recipient's mailbox (GOV.UK Notify only), refused."""

    queued: int
    sent: int
    delivered: int
    failed: int
    withdrawn: int
    awaiting_verdict: int  # sent through GOV.UK Notify, its delivery not yet known
    failed_emails: list[SentEmail]

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.delivered + self.failed + self.withdrawn

    @property
    def settled(self) -> bool:
        """Nothing left to happen: every email handed over, and each verdict read back."""
        return self.queued == 0 and self.awaiting_verdict == 0


def delivery_of(session: Session, *, action: MailAction) -> Delivery:
    counts = dict(
        session.execute(
            select(SentEmail.status, func.count())
            .where(SentEmail.action_id == action.id)
            .group_by(SentEmail.status)
        ).all()
    )
    awaiting = session.scalar(
        select(func.count())
        .select_from(SentEmail)
        .where(
            SentEmail.action_id == action.id,
            SentEmail.status == SendStatus.SENT,
            SentEmail.provider_id.is_not(None),
        )
    )
    failed = list(
        session.scalars(
            select(SentEmail)
            .where(SentEmail.action_id == action.id, SentEmail.status == SendStatus.FAILED)
            .order_by(SentEmail.to, SentEmail.id)
            .limit(100)
        )
    )
    return Delivery(
        queued=counts.get(SendStatus.QUEUED, 0),
        sent=counts.get(SendStatus.SENT, 0),
        delivered=counts.get(SendStatus.DELIVERED, 0),
        failed=counts.get(SendStatus.FAILED, 0),
        withdrawn=counts.get(SendStatus.WITHDRAWN, 0),
        awaiting_verdict=awaiting or 0,
        failed_emails=failed,
    )


def undelivered_invitations(session: Session, *, partnership_id: int) -> dict[str, SentEmail]:
    """By address (lower case), the invitations to this partnership whose email failed and
    that no later invitation email to the same address has replaced."""
    latest = (
        select(func.max(SentEmail.id))
        .where(
            SentEmail.partnership_id == partnership_id,
            SentEmail.kind.in_(INVITATION_KINDS),
        )
        .group_by(func.lower(SentEmail.to))
    )
    rows = session.scalars(
        select(SentEmail).where(
            and_(SentEmail.id.in_(latest), SentEmail.status == SendStatus.FAILED)
        )
    )
    return {sent.to.lower(): sent for sent in rows}
