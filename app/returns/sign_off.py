"""Senior sign-off: a named senior officer confirms the lead's submission, or sends it back.

The officer needs no account: the lead names them, and s11 emails a single-use link (kept only
as a hash, valid for two weeks) that opens the return read-only with the two choices.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.service import token_hash
from app.db import aware, utcnow
from app.directory import service as directory_service
from app.directory.models import Person
from app.notifications.mail import Email
from app.returns.models import AgencyReturn, ReturnStatus, SignOffRequest
from app.returns.service import ReturnError, ReturnView, move_return, view_of
from app.returns.submitting import SeniorOfficer, missing_answers

SIGN_OFF_LINK_LIFETIME = timedelta(days=14)


def checked_officer(name: str, role: str, email: str) -> tuple[SeniorOfficer | None, dict]:
    """The officer as given on the check-answers page, or a message for each field."""
    errors = {}
    name, role = name.strip(), role.strip()
    if not name:
        errors["officer_name"] = "Enter the senior officer's name"
    elif len(name) > 200:
        errors["officer_name"] = "Use 200 characters or fewer for the name"
    if not role:
        errors["officer_role"] = "Enter the senior officer's role, like Director of Nursing"
    elif len(role) > 200:
        errors["officer_role"] = "Use 200 characters or fewer for the role"
    try:
        address = directory_service.normalise_email(email)
    except directory_service.DirectoryError:
        errors["officer_email"] = (
            "Enter an email address in the correct format, like name@example.org"
        )
        address = ""
    if errors:
        return None, errors
    return SeniorOfficer(name=name, role=role, email=address), {}


def request_sign_off(
    session: Session,
    *,
    view: ReturnView,
    officer: SeniorOfficer,
    actor: Person,
    base_url: str,
) -> Email:
    """Record the request and return the email that carries the officer's link."""
    token = secrets.token_urlsafe(32)
    session.add(
        SignOffRequest(
            return_id=view.agency_return.id,
            token_hash=token_hash(token),
            officer_name=officer.name,
            officer_role=officer.role,
            officer_email=officer.email,
            requested_by_id=actor.id,
            expires_at=utcnow() + SIGN_OFF_LINK_LIFETIME,
        )
    )
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="sign_off_requested",
        object_type="return",
        object_id=view.agency_return.id,
        detail={"officer": officer.name, "role": officer.role, "email": officer.email},
    )
    link = f"{base_url.rstrip('/')}/sign-off/{token}"
    return Email(
        to=officer.email,
        subject=f"Please sign off {view.agency.name}'s Section 11 return for {view.cycle.name}",
        body=(
            f"Hello {officer.name},\n\n"
            f"{actor.name} has completed {view.agency.name}'s Section 11 self-assessment for "
            f"{view.cycle.name} and named you, as {officer.role}, to confirm it before it goes "
            "to the safeguarding partnership.\n\n"
            f"Read the return and confirm it, or send it back with a comment, here:\n{link}\n\n"
            f"The link works once and until {utcnow() + SIGN_OFF_LINK_LIFETIME:%-d %B %Y}. "
            "Do not forward it: anyone with it can read the return.\n"
        ),
    )


@dataclass
class PendingSignOff:
    request: SignOffRequest
    view: ReturnView


def request_of(session: Session, *, token: str) -> SignOffRequest | None:
    """The request a link was made for, used or not."""
    return session.scalar(
        select(SignOffRequest).where(SignOffRequest.token_hash == token_hash(token[:200]))
    )


def pending_sign_off(session: Session, *, token: str) -> PendingSignOff | None:
    """The request behind a link that is still good, with the return it is for."""
    request = request_of(session, token=token)
    if request is None or request.answered_at is not None:
        return None
    expires_at = request.expires_at
    if aware(expires_at) <= utcnow():
        return None
    agency_return = session.get(AgencyReturn, request.return_id)
    if agency_return is None or agency_return.status is not ReturnStatus.AWAITING_SIGN_OFF:
        return None
    return PendingSignOff(request=request, view=view_of(session, agency_return))


def _answer(
    session: Session, pending: PendingSignOff, *, outcome: str, comment: str | None
) -> bool:
    """Mark the link used; False if another click used it a moment ago."""
    used = session.execute(
        update(SignOffRequest)
        .where(SignOffRequest.id == pending.request.id, SignOffRequest.answered_at.is_(None))
        .values(answered_at=utcnow(), outcome=outcome, comment=comment)
        .execution_options(synchronize_session=False)
    )
    session.expire(pending.request)
    return used.rowcount == 1


def confirm(session: Session, *, pending: PendingSignOff, name: str, role: str) -> bool:
    """The officer confirms: the return is submitted, with their name and role on it."""
    name, role = name.strip()[:200], role.strip()[:200]
    if not name or not role:
        raise ReturnError("Enter your name and role as they should appear on the return")
    if missing_answers(pending.view):
        raise ReturnError(
            "The return is missing required answers or evidence: send it back to the lead"
        )
    if not _answer(session, pending, outcome="confirmed", comment=None):
        return False
    agency_return = pending.view.agency_return
    session.execute(
        update(AgencyReturn)
        .where(
            AgencyReturn.id == agency_return.id,
            AgencyReturn.status == ReturnStatus.AWAITING_SIGN_OFF,
        )
        .values(
            status=ReturnStatus.SUBMITTED,
            signed_off_name=name,
            signed_off_role=role,
            signed_off_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    session.expire(agency_return)
    audit_service.record_event(
        session,
        actor=None,
        action="return_status_changed",
        object_type="return",
        object_id=agency_return.id,
        detail={
            "from": "awaiting_sign_off",
            "to": "submitted",
            "signed_off_by": name,
            "role": role,
        },
    )
    return True


def send_back(session: Session, *, pending: PendingSignOff, comment: str) -> bool:
    """The officer does not confirm: the return goes back to the lead with their comment."""
    comment = comment.strip()
    if not comment:
        raise ReturnError("Say what needs to change before you can sign the return off")
    if len(comment) > 2000:
        raise ReturnError("Use 2,000 characters or fewer")
    if not _answer(session, pending, outcome="sent back", comment=comment):
        return False
    move_return(
        session,
        agency_return=pending.view.agency_return,
        to=ReturnStatus.IN_PROGRESS,
        actor=None,
        reason=f"Sent back by {pending.request.officer_name}: {comment}",
    )
    return True


def sent_back_email(pending: PendingSignOff, *, lead: Person, base_url: str) -> Email:
    view = pending.view
    return Email(
        to=lead.email,
        subject=f"Not signed off: {view.agency.name}'s return for {view.cycle.name}",
        body=(
            f"Hello {lead.name},\n\n"
            f"{pending.request.officer_name} ({pending.request.officer_role}) has sent the "
            "return back to you without signing it off. Their comment:\n\n"
            f"{pending.request.comment}\n\n"
            "The return is open again for changes. When it is ready, submit it again from "
            f"{base_url.rstrip('/')}/returns/{view.agency_return.id}/check\n"
        ),
    )


def latest_request(session: Session, *, agency_return: AgencyReturn) -> SignOffRequest | None:
    return session.scalar(
        select(SignOffRequest)
        .where(SignOffRequest.return_id == agency_return.id)
        .order_by(SignOffRequest.created_at.desc(), SignOffRequest.id.desc())
        .limit(1)
    )
