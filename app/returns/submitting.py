"""Submitting a return: the answers still missing, the senior officer's sign-off, and the
receipt. Never submits a return with a required answer missing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.db import utcnow
from app.directory.models import Person
from app.notifications.mail import Email
from app.questionnaires.rules import counts_as_answered
from app.questionnaires.schema import EvidenceQuestion, QuestionBase, Section
from app.returns.models import AgencyReturn, ReturnStatus
from app.returns.service import ReturnError, ReturnView


@dataclass(frozen=True)
class MissingAnswer:
    section: Section
    question: QuestionBase
    # A section marked evidence_required with no file attached to any of its evidence questions.
    evidence: bool = False


def missing_answers(view: ReturnView) -> list[MissingAnswer]:
    """Required questions shown to this agency and not yet answered, in questionnaire order,
    and sections that require evidence and have none."""
    values = view.values
    missing = []
    for progress in view.sections():
        missing += [
            MissingAnswer(progress.section, q)
            for q in progress.questions
            if q.required and not counts_as_answered(q, values.get(q.id))
        ]
        if progress.section.evidence_required:
            slots = [q for q in progress.questions if isinstance(q, EvidenceQuestion)]
            if slots and not any(view.evidence.get(q.id) for q in slots):
                missing.append(MissingAnswer(progress.section, slots[0], evidence=True))
    return missing


@dataclass(frozen=True)
class SeniorOfficer:
    """Who will confirm the submission where the cycle asks for senior sign-off."""

    name: str
    role: str
    email: str


def submit_return(
    session: Session, *, view: ReturnView, actor: Person, officer: SeniorOfficer | None = None
) -> bool:
    """Submit once: True when this call submitted it, False when it already was (a double
    click, the back button or a retry never makes a second submission). Where the cycle asks
    for senior sign-off the return waits, locked, for the officer's confirmation."""
    agency_return = view.agency_return
    if not view.is_lead:
        raise ReturnError("Only the agency's safeguarding lead can submit the return")
    if not agency_return.status.editable:
        return False
    missing = missing_answers(view)
    if missing:
        raise ReturnError(
            f"Answer the {len(missing)} required questions (or attach the evidence asked for) "
            "before you submit"
        )
    needs_sign_off = view.cycle.senior_sign_off_required
    if needs_sign_off and officer is None:
        raise ReturnError("Give the senior officer's name, role and email address")
    to = ReturnStatus.AWAITING_SIGN_OFF if needs_sign_off else ReturnStatus.SUBMITTED
    # The conditional UPDATE is the lock: of two submissions at once, one changes the row.
    moved = session.execute(
        update(AgencyReturn)
        .where(
            AgencyReturn.id == agency_return.id,
            AgencyReturn.status.in_([ReturnStatus.NOT_STARTED, ReturnStatus.IN_PROGRESS]),
        )
        .values(status=to, submitted_at=utcnow(), submitted_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    session.expire(agency_return)
    if moved.rowcount != 1:
        if not agency_return.status.editable:
            return False
        raise ReturnError("This return can no longer be submitted")
    audit_service.record_event(
        session,
        actor=actor,
        action="return_status_changed",
        object_type="return",
        object_id=agency_return.id,
        detail={"from": "in_progress", "to": to.value},
    )
    return True


def receipt_email(view: ReturnView, *, to: Person, base_url: str) -> Email:
    link = f"{base_url.rstrip('/')}/returns/{view.agency_return.id}"
    agency_return = view.agency_return
    signed_off = (
        f", signed off by {agency_return.signed_off_name}, {agency_return.signed_off_role}"
        if agency_return.signed_off_name
        else ""
    )
    return Email(
        to=to.email,
        subject=f"Received: {view.agency.name}'s return for {view.cycle.name}",
        body=(
            f"Hello {to.name},\n\n"
            f"Thank you: {view.agency.name}'s Section 11 return for {view.cycle.name} was "
            f"submitted on {utcnow():%-d %B %Y at %H:%M} (UTC){signed_off}.\n\n"
            f"You can read it at {link}\n\n"
            "The partnership's business unit will be in touch about the challenge and support "
            "panel.\n"
        ),
    )
