"""Agencies brought into the partnership and a cycle, matched by name, and their safeguarding
leads' account invitations. Never sends mail itself: it returns the emails to send."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import invitations as auth_invitations
from app.cycle_models import (
    Cycle,
)
from app.cycles.service import CycleError, open_returns
from app.directory import service as directory_service
from app.directory.models import (
    Agency,
    AgencyDuty,
    AgencySector,
    Membership,
    Partnership,
    Person,
    Role,
)
from app.notifications.mail import Email
from app.returns.models import AgencyReturn


@dataclass(frozen=True)
class AddedAgency:
    agency: Agency
    agency_return: AgencyReturn | None  # None when added to the directory only
    new_agency: bool  # False: an agency already known by that name was used
    invitation: Email | None  # the lead's account invitation, to send; None if not needed


def add_agency(
    session: Session,
    *,
    cycle: Cycle | None,
    partnership: Partnership,
    name: str,
    sector: AgencySector,
    lead_name: str,
    lead_email: str,
    actor: Person,
    base_url: str,
    duty: AgencyDuty | None = None,
) -> AddedAgency:
    """Bring an agency into the partnership's directory and, given a cycle, into the cycle:
    matched by name or created, linked to the partnership, its return opened, and its lead
    invited unless they already lead it here."""
    name = directory_service.tidy_name(name)
    if not name:
        raise CycleError("Enter the agency's name")
    if not lead_name.strip():
        raise CycleError("Enter the name of the agency's safeguarding lead")
    try:  # checked before anything is saved, so a refused lead leaves no half-added agency
        lead_email = directory_service.normalise_email(lead_email)
    except directory_service.DirectoryError as error:
        raise CycleError(str(error)) from None
    known = session.scalar(select(Agency).where(func.lower(Agency.name) == name.strip().lower()))
    agency = directory_service.ensure_agency(
        session,
        name=name,
        sector=sector,
        duty=duty or DUTY_BY_SECTOR.get(sector, AgencyDuty.SECTION_11),
        partnership=partnership,
    )
    agency_return = open_returns(session, cycle=cycle, agencies=[agency])[0] if cycle else None
    invitation = invite_lead(
        session,
        partnership=partnership,
        agency=agency,
        lead_name=lead_name,
        lead_email=lead_email,
        actor=actor,
        base_url=base_url,
    )
    return AddedAgency(agency, agency_return, known is None, invitation)


# Voluntary organisations, schools and early years settings sign up to equivalent standards.
DUTY_BY_SECTOR = {
    AgencySector.VOLUNTARY: AgencyDuty.EQUIVALENT_STANDARDS,
    AgencySector.EDUCATION: AgencyDuty.EQUIVALENT_STANDARDS,
    AgencySector.EARLY_YEARS: AgencyDuty.EQUIVALENT_STANDARDS,
}


def invite_lead(
    session: Session,
    *,
    partnership: Partnership,
    agency: Agency,
    lead_name: str,
    lead_email: str,
    actor: Person,
    base_url: str,
) -> Email | None:
    """The invitation for the agency's safeguarding lead here, unless they already lead it or
    an invitation is waiting for them."""
    address = directory_service.normalise_email(lead_email)
    already = session.scalar(
        select(Membership.id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Person.email == address,
            Membership.partnership_id == partnership.id,
            Membership.role == Role.AGENCY_LEAD,
            Membership.agency_id == agency.id,
        )
    )
    if already is not None:
        return None
    scope = auth_invitations.invitation_scope(actor, partnership)
    if scope is None:
        raise CycleError("Only the partnership's coordinators bring agencies into a cycle")
    try:
        _invitation, email = auth_invitations.invite(
            session,
            actor=actor,
            scope=scope,
            email=address,
            name=lead_name,
            role=Role.AGENCY_LEAD,
            agency_id=agency.id,
            base_url=base_url,
        )
    except auth_invitations.InvitationError as error:
        if "already has an invitation waiting" in str(error):
            return None  # invited before, e.g. by an earlier import: not twice
        raise CycleError(str(error)) from None
    return email
