"""Signing in with an organisation's account (OpenID Connect): a person is matched by issuer
and subject, or claims a waiting invitation by a verified email; never by an unverified one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import invitations as auth_invitations
from app.auth import service as auth_service
from app.auth.models import (
    PersonIdentity,
)
from app.directory import service as directory_service
from app.directory.models import Person


def sign_in_with_oidc(
    session: Session,
    *,
    issuer: str,
    subject: str,
    email: str | None,
    email_verified: bool,
    client_address: str | None,
    request_id: str | None,
) -> Person:
    """Match the provider's account by (issuer, subject); on a first sign-in, a verified
    email address may claim a waiting invitation, and nothing else."""
    person_id = session.scalar(
        select(PersonIdentity.person_id).where(
            PersonIdentity.issuer == issuer, PersonIdentity.subject == subject
        )
    )
    person = directory_service.get_person(session, person_id=person_id) if person_id else None
    if person is None and email and email_verified:
        invitation = auth_invitations.waiting_invitation_for(session, email)
        if invitation is not None:
            person = auth_invitations.accept_invitation(
                session,
                invitation=invitation,
                signed_in_as=None,
                client_address=client_address,
                request_id=request_id,
            )
            session.add(PersonIdentity(person_id=person.id, issuer=issuer, subject=subject))
            session.flush()
    if person is None or not auth_service.may_sign_in(person):
        auth_service.record_failed_sign_in(
            session,
            method="oidc",
            reason="no invitation for this account",
            client_address=client_address,
            request_id=request_id,
            email=email,
        )
        raise auth_service.SignInError(
            "Your organisation's account has not been invited to s11. Ask your partnership's "
            "business unit for an invitation, or sign in with a link sent by email."
        )
    auth_service.record_sign_in(
        session,
        person=person,
        method="oidc",
        client_address=client_address,
        request_id=request_id,
        issuer=issuer,
    )
    return person
