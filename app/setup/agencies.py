"""The partnership's agency directory, kept outside any cycle: agencies, their sector and duty,
their safeguarding leads, archived and restored. An agency shared by partnerships stays one row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.models import Invitation
from app.cycles import agencies as round_agencies
from app.cycles import listing as round_listing
from app.cycles import service as cycles_service
from app.db import utcnow
from app.directory import service as directory_service
from app.directory.models import (
    Agency,
    AgencyDuty,
    AgencySector,
    Membership,
    Partnership,
    PartnershipAgency,
    Person,
    Role,
)
from app.listing import Listing, Page, last_page, read_listing
from app.notifications.mail import Email


class AgencyError(ValueError):
    """A change to the directory that is refused, with a message for the page and the field
    it belongs beside."""

    def __init__(self, message: str, field: str = "name") -> None:
        super().__init__(message)
        self.field = field


@dataclass
class DirectoryEntry:
    agency: Agency
    archived: bool
    leads: list[str] = field(default_factory=list)  # names of leads who have joined
    invited: list[str] = field(default_factory=list)  # names of leads invited, not yet joined


def read_directory_listing(params: Mapping[str, str]) -> Listing:
    """The directory's search, sector filter and page, as the round's lists read them."""
    return read_listing(
        params, choices=round_listing.choices({"sector"}), sorts=("name",), default_sort="name"
    )


def directory_of(
    session: Session,
    *,
    partnership: Partnership,
    archived: bool = False,
    listing: Listing | None = None,
) -> Page[DirectoryEntry]:
    """A page of the partnership's agencies by name with their leads, and how many the search
    and filter match in all, in four statements."""
    listing = listing or read_directory_listing({})
    kept = (
        PartnershipAgency.archived_at.is_not(None)
        if archived
        else PartnershipAgency.archived_at.is_(None)
    )
    where = [PartnershipAgency.partnership_id == partnership.id, kept]
    if listing.search:
        where.append(Agency.name.icontains(listing.search, autoescape=True))
    if sector := listing.filters.get("sector"):
        where.append(Agency.sector == AgencySector(sector))
    joined = select(Agency).join(PartnershipAgency, PartnershipAgency.agency_id == Agency.id)
    total = session.scalar(select(func.count()).select_from(joined.where(*where).subquery()))
    listing = last_page(listing, total or 0)
    entries = {
        agency.id: DirectoryEntry(agency, archived)
        for agency in session.scalars(
            joined.where(*where)
            .order_by(Agency.name)
            .limit(listing.per_page)
            .offset(listing.offset)
        )
    }
    for agency_id, name in session.execute(
        select(Membership.agency_id, Person.name)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.partnership_id == partnership.id,
            Membership.role == Role.AGENCY_LEAD,
            Membership.agency_id.in_(entries),
        )
        .order_by(Person.name)
    ):
        entries[agency_id].leads.append(name)
    for agency_id, name in session.execute(
        select(Invitation.agency_id, Invitation.name)
        .where(
            Invitation.partnership_id == partnership.id,
            Invitation.role == Role.AGENCY_LEAD,
            Invitation.agency_id.in_(entries),
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.name)
    ):
        entries[agency_id].invited.append(name)
    return Page(list(entries.values()), total or 0, listing)


def entry_in(
    session: Session, *, partnership: Partnership, agency_id: int
) -> DirectoryEntry | None:
    """One agency of this partnership's directory; another partnership's does not exist here."""
    row = session.execute(
        select(Agency, PartnershipAgency.archived_at)
        .join(PartnershipAgency, PartnershipAgency.agency_id == Agency.id)
        .where(PartnershipAgency.partnership_id == partnership.id, Agency.id == agency_id)
    ).one_or_none()
    if row is None:
        return None
    return DirectoryEntry(row.Agency, row.archived_at is not None)


def _refuse_if_listed(session: Session, partnership: Partnership, name: str) -> None:
    link = session.execute(
        select(PartnershipAgency.archived_at)
        .join(Agency, Agency.id == PartnershipAgency.agency_id)
        .where(
            PartnershipAgency.partnership_id == partnership.id,
            func.lower(Agency.name) == name.lower(),
        )
    ).one_or_none()
    if link is not None:
        where = "archived agencies: restore it" if link.archived_at else "directory already"
        raise AgencyError(f"{name} is in your {where}")


def add_agency(
    session: Session,
    *,
    partnership: Partnership,
    actor: Person,
    name: str,
    sector: AgencySector | None,
    duty: AgencyDuty | None,
    lead_name: str,
    lead_email: str,
    base_url: str,
    school: Mapping[str, str] | None = None,
) -> round_agencies.AddedAgency:
    """Add an agency to the directory (matched by name if s11 knows it from another
    partnership) and invite its safeguarding lead."""
    name = directory_service.tidy_name(name)
    if not name:
        raise AgencyError("Enter the agency's name")
    if len(name) > 200:
        raise AgencyError("The agency's name must be 200 characters or fewer")
    if sector is None:
        raise AgencyError("Select the agency's sector", "sector")
    details = _school(session, school, agency_id=None)
    _refuse_if_listed(session, partnership, name)
    try:
        added = round_agencies.add_agency(
            session,
            cycle=None,
            partnership=partnership,
            name=name,
            sector=sector,
            lead_name=lead_name,
            lead_email=lead_email,
            actor=actor,
            base_url=base_url,
            duty=duty,
        )
    except cycles_service.CycleError as error:  # the lead's name or address
        field = "lead_email" if "email" in str(error).lower() else "lead_name"
        raise AgencyError(str(error), field) from None
    if details.school_type is not None:
        if directory_service.urn_taken(session, urn=details.urn, agency_id=added.agency.id):
            raise AgencyError(f"Another agency already has the URN {details.urn}", "urn")
        details.apply_to(added.agency)
        session.flush()
    _record(session, actor, "agency_added", partnership, added.agency, new=added.new_agency)
    return added


def change_agency(
    session: Session,
    *,
    partnership: Partnership,
    actor: Person,
    agency: Agency,
    name: str,
    sector: AgencySector | None,
    duty: AgencyDuty | None,
    school: Mapping[str, str] | None = None,
) -> None:
    """Rename an agency or change its sector, duty or school details; every partnership it
    works with sees it."""
    name = directory_service.tidy_name(name)
    if not name:
        raise AgencyError("Enter the agency's name")
    if len(name) > 200:
        raise AgencyError("The agency's name must be 200 characters or fewer")
    if sector is None:
        raise AgencyError("Select the agency's sector", "sector")
    if duty is None:
        raise AgencyError("Select whether the Section 11 duty applies", "duty")
    details = _school(session, school, agency_id=agency.id)
    taken = session.scalar(
        select(Agency.id).where(func.lower(Agency.name) == name.lower(), Agency.id != agency.id)
    )
    if taken is not None:
        raise AgencyError(f"Another agency is already called {name}")
    before = {
        "name": agency.name,
        "sector": agency.sector.value,
        "duty": agency.duty.value,
        "school_type": agency.school_type.value if agency.school_type else None,
        "urn": agency.urn,
    }
    agency.name, agency.sector, agency.duty = name, sector, duty
    details.apply_to(agency)
    session.flush()
    _record(session, actor, "agency_changed", partnership, agency, before=before)


def _school(
    session: Session, school: Mapping[str, str] | None, *, agency_id: int | None
) -> directory_service.SchoolDetails:
    try:
        details = directory_service.school_details(**dict(school or {}))
    except directory_service.SchoolDetailsError as error:
        raise AgencyError(str(error), error.field) from None
    other = directory_service.urn_taken(session, urn=details.urn, agency_id=agency_id)
    if other is not None:
        raise AgencyError(f"{other} already has the URN {details.urn}", "urn")
    return details


def _link(session: Session, partnership: Partnership, agency: Agency) -> PartnershipAgency:
    link = session.get(PartnershipAgency, (partnership.id, agency.id))
    assert link is not None, "entry_in found the agency through this link"
    return link


def archive_agency(
    session: Session, *, partnership: Partnership, actor: Person, agency: Agency
) -> None:
    """Archived agencies keep their past returns and are offered to no new cycle."""
    link = _link(session, partnership, agency)
    if link.archived_at is None:
        link.archived_at = utcnow()
        session.flush()
        _record(session, actor, "agency_archived", partnership, agency)


def restore_agency(
    session: Session, *, partnership: Partnership, actor: Person, agency: Agency
) -> None:
    link = _link(session, partnership, agency)
    if link.archived_at is not None:
        link.archived_at = None
        session.flush()
        _record(session, actor, "agency_restored", partnership, agency)


def invite_lead(
    session: Session,
    *,
    partnership: Partnership,
    actor: Person,
    agency: Agency,
    lead_name: str,
    lead_email: str,
    base_url: str,
) -> Email:
    """Invite another (or a new) safeguarding lead for the agency; the old lead's role is
    removed from People when they hand over."""
    if not lead_name.strip():
        raise AgencyError("Enter the name of the agency's safeguarding lead", "lead_name")
    try:
        email = round_agencies.invite_lead(
            session,
            partnership=partnership,
            agency=agency,
            lead_name=lead_name,
            lead_email=directory_service.normalise_email(lead_email),
            actor=actor,
            base_url=base_url,
        )
    except (cycles_service.CycleError, directory_service.DirectoryError) as error:
        raise AgencyError(str(error), "lead_email") from None
    if email is None:
        raise AgencyError(
            f"{lead_email.strip()} already leads {agency.name} here, or has an invitation "
            "waiting: resend it from People",
            "lead_email",
        )
    return email


def _record(
    session: Session,
    actor: Person,
    action: str,
    partnership: Partnership,
    agency: Agency,
    **detail: object,
) -> None:
    audit_service.record_event(
        session,
        actor=actor,
        action=action,
        object_type="agency",
        object_id=agency.id,
        detail={"partnership_id": partnership.id, "name": agency.name, **detail},
    )
