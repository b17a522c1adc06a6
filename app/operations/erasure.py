"""Erasing a person: their name and email become "former member" wherever s11 kept them,
while every row that points at them (answers, revisions, scores, audit events) stays in place.

Never removes an audit event or changes who did what: only who they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, delete, func, select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.audit.models import AuditEvent
from app.auth.models import Invitation, PersonIdentity, SignInLink, SignInSession
from app.directory.models import Membership, Partnership, Person, Role
from app.notifications.models import SentEmail

FORMER_MEMBER = "former member"


class ErasureError(ValueError):
    """A person who may not be erased by this actor, with a sentence saying why."""


@dataclass
class ErasurePlan:
    """What erasing the person will change, shown on the confirmation page before it happens."""

    person: Person
    roles: list[Membership]
    invitations: int
    emails: int
    audit_events: int


def may_erase(actor: Person, person: Person, *, partnership: Partnership | None) -> bool:
    """A site administrator may erase anyone but themselves; a coordinator, someone whose every
    role is in the partnership they coordinate (a person of two partnerships is the site's)."""
    if person.id == actor.id or person.is_admin and not actor.is_admin:
        return False
    if actor.is_admin and partnership is None:
        return True
    if partnership is None or not any(
        m.role is Role.COORDINATOR and m.partnership_id == partnership.id for m in actor.memberships
    ):
        return False
    return bool(person.memberships) and all(
        m.partnership_id == partnership.id for m in person.memberships
    )


def _mentioning(column: Any, person: Person) -> Any:
    return func.lower(cast(column, String)).contains(person.email.lower())


def erasure_plan(session: Session, *, person: Person) -> ErasurePlan:
    return ErasurePlan(
        person=person,
        roles=list(person.memberships),
        invitations=session.scalar(
            select(func.count()).where(func.lower(Invitation.email) == person.email.lower())
        )
        or 0,
        emails=session.scalar(
            select(func.count()).where(func.lower(SentEmail.to) == person.email.lower())
        )
        or 0,
        audit_events=session.scalar(
            select(func.count()).where(_mentioning(AuditEvent.detail, person))
        )
        or 0,
    )


def _scrub(value: Any, replacements: dict[str, str]) -> Any:
    """The same JSON shape with the person's name and email replaced wherever they appear."""
    if isinstance(value, dict):
        return {key: _scrub(item, replacements) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, replacements) for item in value]
    if isinstance(value, str):
        for old, new in replacements.items():
            if old and old.lower() in value.lower():
                value = value.replace(old, new) if old in value else new
        return value
    return value


def erase_person(session: Session, *, person: Person, actor: Person) -> ErasurePlan:
    """Replace the person's name and email everywhere, end their roles and sign-ins, and
    record that it happened (without saying who they were)."""
    plan = erasure_plan(session, person=person)
    email, name = person.email, person.name
    placeholder = f"former-member-{person.id}@erased.invalid"
    replacements = {email: placeholder, name: FORMER_MEMBER}
    for event in session.scalars(select(AuditEvent).where(_mentioning(AuditEvent.detail, person))):
        event.detail = _scrub(event.detail, replacements)
    for invitation in session.scalars(
        select(Invitation).where(func.lower(Invitation.email) == email.lower())
    ):
        invitation.email, invitation.name = placeholder, FORMER_MEMBER
    for sent in session.scalars(select(SentEmail).where(func.lower(SentEmail.to) == email.lower())):
        sent.to = placeholder
        sent.subject = _scrub(sent.subject, replacements)
        sent.body = _scrub(sent.body, replacements)
        sent.html = _scrub(sent.html, replacements) if sent.html else sent.html
    for model in (SignInSession, SignInLink, PersonIdentity):
        session.execute(delete(model).where(model.person_id == person.id))
    roles = len(plan.roles)
    for membership in plan.roles:
        session.delete(membership)
    person.email, person.name = placeholder, FORMER_MEMBER
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="person_erased",
        object_type="person",
        object_id=person.id,
        detail={
            "roles_ended": roles,
            "invitations": plan.invitations,
            "emails": plan.emails,
            "audit_events": plan.audit_events,
        },
    )
    session.expire(person, ["memberships"])
    return plan
