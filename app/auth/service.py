"""Sign-in rules: who may start a session, and the audit trail of sign-ins and sign-outs.

It never touches cookies or HTTP; routes keep the session, this decides and records.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.directory import service as directory_service
from app.directory.models import Person


class SignInError(ValueError):
    """A sign-in that cannot go ahead, with a message fit for the error summary."""


def sign_in_demo_person(
    session: Session, *, person_id: int | None, client_address: str | None, request_id: str | None
) -> Person:
    """Development only: start a session as one of the demo people."""
    person = (
        None if person_id is None else directory_service.get_person(session, person_id=person_id)
    )
    if person is None or not (person.memberships or person.is_admin):
        raise SignInError("Select the demo person you want to sign in as")
    audit_service.record_event(
        session,
        actor=person,
        action="sign_in",
        object_type="person",
        object_id=person.id,
        client_address=client_address,
        request_id=request_id,
        detail={"method": "development"},
    )
    return person


def record_sign_out(
    session: Session, *, person: Person, client_address: str | None, request_id: str | None
) -> None:
    audit_service.record_event(
        session,
        actor=person,
        action="sign_out",
        object_type="person",
        object_id=person.id,
        client_address=client_address,
        request_id=request_id,
    )
