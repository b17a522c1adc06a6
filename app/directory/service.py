"""Rules for partnerships, agencies, people and memberships.

Functions take the session and keyword arguments, flush but never commit; the `ensure_*`
functions find a row by its natural key before creating one, so imports never duplicate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.directory.models import (
    Agency,
    AgencyDuty,
    AgencySector,
    Membership,
    Partnership,
    PartnershipAgency,
    Person,
    Role,
    SchoolPhase,
    SchoolType,
)


class DirectoryError(ValueError):
    """Input the directory refuses, with a message fit to show a person."""


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    local, _, domain = cleaned.partition("@")
    if not local or "." not in domain or " " in cleaned:
        raise DirectoryError(
            f"Enter an email address in the correct format, like name@example.org (got {email!r})"
        )
    return cleaned


class SchoolDetailsError(DirectoryError):
    """A school attribute refused, naming the field it belongs beside."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SchoolDetails:
    """What an education audit needs to know of a school or college; all empty for others."""

    school_type: SchoolType | None = None
    school_phase: SchoolPhase | None = None
    school_body: str | None = None
    urn: str | None = None

    def apply_to(self, agency: Agency) -> None:
        agency.school_type, agency.school_phase = self.school_type, self.school_phase
        agency.school_body, agency.urn = self.school_body, self.urn


URN = re.compile(r"^[0-9]{6}$")
# The words people write for each kind of school, besides its value and its label.
SCHOOL_TYPE_WORDS = {
    **{t.value: t for t in SchoolType},
    **{t.label.lower(): t for t in SchoolType},
    "maintained": SchoolType.MAINTAINED,
    "community": SchoolType.MAINTAINED,
    "voluntary aided": SchoolType.MAINTAINED,
    "voluntary controlled": SchoolType.MAINTAINED,
    "foundation": SchoolType.MAINTAINED,
    "free school": SchoolType.FREE_SCHOOL,
    "independent": SchoolType.INDEPENDENT,
    "independent school": SchoolType.INDEPENDENT,
    "s157": SchoolType.INDEPENDENT,
    "special": SchoolType.SPECIAL,
    "ap": SchoolType.ALTERNATIVE_PROVISION,
    "pupil referral unit": SchoolType.ALTERNATIVE_PROVISION,
    "further education": SchoolType.FURTHER_EDUCATION,
    "fe college": SchoolType.FURTHER_EDUCATION,
    "college": SchoolType.FURTHER_EDUCATION,
    "early years": SchoolType.EARLY_YEARS,
    "nursery": SchoolType.EARLY_YEARS,
}
SCHOOL_PHASE_WORDS = {
    **{p.value: p for p in SchoolPhase},
    **{p.label.lower(): p for p in SchoolPhase},
    "all through": SchoolPhase.ALL_THROUGH,
    "16+": SchoolPhase.SIXTEEN_PLUS,
    "16-plus": SchoolPhase.SIXTEEN_PLUS,
    "post-16": SchoolPhase.SIXTEEN_PLUS,
    "post 16": SchoolPhase.SIXTEEN_PLUS,
}


def _word(words: dict, text: str):  # type: ignore[no-untyped-def]
    key = " ".join(text.lower().split())
    return words.get(key) or words.get(key.replace(" ", "_"))


def school_details(
    *, school_type: str = "", school_phase: str = "", school_body: str = "", urn: str = ""
) -> SchoolDetails:
    """A school's type, phase, local authority or trust and URN from what a person typed,
    or the first thing wrong with them. Every school but an early years setting has a URN."""
    school_type, school_phase = school_type.strip(), school_phase.strip()
    body, urn = tidy_name(school_body), "".join(urn.split())
    kind = _word(SCHOOL_TYPE_WORDS, school_type) if school_type else None
    if school_type and kind is None:
        allowed = ", ".join(t.label for t in SchoolType)
        raise SchoolDetailsError(
            f"{school_type[:60]} is not a school type s11 knows: use one of {allowed}",
            "school_type",
        )
    phase = _word(SCHOOL_PHASE_WORDS, school_phase) if school_phase else None
    if school_phase and phase is None:
        allowed = ", ".join(p.label for p in SchoolPhase)
        raise SchoolDetailsError(
            f"{school_phase[:60]} is not a phase s11 knows: use one of {allowed}", "school_phase"
        )
    if kind is None:
        if phase or body or urn:
            raise SchoolDetailsError(
                "Select the school type, or leave the phase, local authority or trust and "
                "URN empty",
                "school_type",
            )
        return SchoolDetails()
    if urn and not URN.match(urn):
        raise SchoolDetailsError(
            f"The URN must be 6 digits, like 123456 (got {urn[:20]}, {len(urn)} characters)",
            "urn",
        )
    if not urn and kind is not SchoolType.EARLY_YEARS:
        raise SchoolDetailsError("Enter the school's URN: 6 digits, like 123456", "urn")
    if len(body) > 200:
        raise SchoolDetailsError(
            "The local authority or trust must be 200 characters or fewer", "school_body"
        )
    return SchoolDetails(kind, phase, body or None, urn or None)


def urn_taken(session: Session, *, urn: str | None, agency_id: int | None) -> str | None:
    """The name of another agency that already has this URN, if one does."""
    if urn is None:
        return None
    query = select(Agency.name).where(Agency.urn == urn)
    if agency_id is not None:
        query = query.where(Agency.id != agency_id)
    return session.scalar(query)


HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def tidy_name(text: str) -> str:
    """A name as people mean it: spaces at the ends and runs of spaces inside do not count."""
    return " ".join(text.split())


def name_key(text: str) -> str:
    """What makes two names the same name: case and spacing ignored."""
    return tidy_name(text).casefold()


def ensure_partnership(
    session: Session, *, slug: str, name: str, short_name: str, colour: str
) -> Partnership:
    if not HEX_COLOUR.match(colour):
        raise DirectoryError(
            f"Enter the partnership colour as a hex code like #4c2c92 (got {colour!r})"
        )
    partnership = session.scalar(select(Partnership).where(Partnership.slug == slug))
    if partnership is None:
        partnership = Partnership(slug=slug, name=name, short_name=short_name, colour=colour)
        session.add(partnership)
        session.flush()
    return partnership


def ensure_agency(
    session: Session,
    *,
    name: str,
    sector: AgencySector,
    duty: AgencyDuty,
    partnership: Partnership | None = None,
) -> Agency:
    """Find the agency by name (case and spacing ignored) or create it, and link it to the
    partnership (restoring it there if it had been archived)."""
    name = tidy_name(name)
    agency = session.scalar(select(Agency).where(func.lower(Agency.name) == name.lower()))
    if agency is None:
        agency = Agency(name=name, sector=sector, duty=duty)
        session.add(agency)
        session.flush()
    if partnership is not None:
        link = session.get(PartnershipAgency, (partnership.id, agency.id))
        if link is None:
            session.add(PartnershipAgency(partnership_id=partnership.id, agency_id=agency.id))
            session.flush()
        elif link.archived_at is not None:
            link.archived_at = None
            session.flush()
    return agency


def ensure_person(session: Session, *, email: str, name: str) -> Person:
    address = normalise_email(email)
    person = session.scalar(select(Person).where(Person.email == address))
    if person is None:
        person = Person(email=address, name=name.strip())
        session.add(person)
        session.flush()
    return person


def ensure_membership(
    session: Session,
    *,
    person: Person,
    partnership: Partnership,
    role: Role,
    agency: Agency | None = None,
) -> Membership:
    if role.belongs_to_agency != (agency is not None):
        raise DirectoryError(
            f"A {role.label.lower()} membership "
            + (
                "must name the agency."
                if role.belongs_to_agency
                else "does not belong to an agency."
            )
        )
    same_agency = Membership.agency_id == agency.id if agency else Membership.agency_id.is_(None)
    membership = session.scalar(
        select(Membership).where(
            Membership.person_id == person.id,
            Membership.partnership_id == partnership.id,
            Membership.role == role,
            same_agency,
        )
    )
    if membership is None:
        membership = Membership(
            person_id=person.id,
            partnership_id=partnership.id,
            role=role,
            agency_id=agency.id if agency else None,
        )
        session.add(membership)
        session.flush()
    return membership


def make_admin(session: Session, *, email: str, name: str | None = None) -> Person:
    address = normalise_email(email)
    person = ensure_person(session, email=address, name=name or address.split("@")[0])
    person.is_admin = True
    session.flush()
    return person


def with_roles() -> Any:
    """Loader option: a person's roles, with their partnerships and agencies, in the same
    statement as the person (a person has a handful; access decisions read them all)."""
    return joinedload(Person.memberships).options(
        joinedload(Membership.partnership), joinedload(Membership.agency)
    )


def get_person(session: Session, *, person_id: int) -> Person | None:
    return (
        session.scalars(select(Person).where(Person.id == person_id).options(with_roles()))
        .unique()
        .one_or_none()
    )


@dataclass
class PartnershipRoles:
    """One partnership as a person sees it: their roles there, and for which agencies."""

    partnership: Partnership
    roles: list[Membership] = field(default_factory=list)

    @property
    def role_labels(self) -> list[str]:
        return [
            f"{m.role.label}, {m.agency.name}" if m.agency else m.role.label for m in self.roles
        ]


def partnerships_of(person: Person) -> list[PartnershipRoles]:
    """Group a loaded person's memberships by partnership, in a stable order."""
    grouped: dict[int, PartnershipRoles] = {}
    for membership in person.memberships:
        entry = grouped.setdefault(
            membership.partnership_id, PartnershipRoles(partnership=membership.partnership)
        )
        entry.roles.append(membership)
    return sorted(grouped.values(), key=lambda entry: entry.partnership.name)


def list_people_with_roles(session: Session) -> list[Person]:
    """Everyone who holds a membership, and the site administrators, for the development
    sign-in page."""
    return list(
        session.scalars(
            select(Person)
            .where(Person.memberships.any() | Person.is_admin)
            .options(
                selectinload(Person.memberships).options(
                    joinedload(Membership.partnership), joinedload(Membership.agency)
                )
            )
            .order_by(Person.name)
        )
    )


def count_agencies_by_sector(
    session: Session, *, partnership: Partnership
) -> dict[AgencySector, int]:
    rows = session.execute(
        select(Agency.sector, func.count())
        .join(PartnershipAgency, PartnershipAgency.agency_id == Agency.id)
        .where(PartnershipAgency.partnership_id == partnership.id)
        .group_by(Agency.sector)
    )
    return {sector: count for sector, count in rows}


def agencies_of(
    session: Session, *, partnership: Partnership, archived: bool = False
) -> list[Agency]:
    """The partnership's agencies by name: those in use, or with `archived` those archived."""
    kept = (
        PartnershipAgency.archived_at.is_not(None)
        if archived
        else (PartnershipAgency.archived_at.is_(None))
    )
    return list(
        session.scalars(
            select(Agency)
            .join(PartnershipAgency, PartnershipAgency.agency_id == Agency.id)
            .where(PartnershipAgency.partnership_id == partnership.id, kept)
            .order_by(Agency.name)
        )
    )


# Past this many agencies (a schools round), a form asks for an agency's name, not a choice.
CHOICES_AT_MOST = 200


def agencies_to_choose(session: Session, *, partnership: Partnership) -> list[Agency] | None:
    """The partnership's agencies in use, by name, to offer in a list; None when there are
    more than CHOICES_AT_MOST, too many for one list."""
    rows = list(
        session.scalars(
            select(Agency)
            .join(PartnershipAgency, PartnershipAgency.agency_id == Agency.id)
            .where(
                PartnershipAgency.partnership_id == partnership.id,
                PartnershipAgency.archived_at.is_(None),
            )
            .order_by(Agency.name)
            .limit(CHOICES_AT_MOST + 1)
        )
    )
    return rows if len(rows) <= CHOICES_AT_MOST else None


def members_of(session: Session, *, partnership: Partnership) -> list[Person]:
    """Everyone with a role in the partnership, by name."""
    return list(
        session.scalars(
            select(Person)
            .where(Person.memberships.any(Membership.partnership_id == partnership.id))
            .order_by(Person.name)
        )
    )


def leads_of(session: Session, *, partnership_id: int, agency_id: int) -> list[tuple[str, str]]:
    """(name, email) of the agency's safeguarding leads in one partnership, by name."""
    return [
        (name, email)
        for name, email in session.execute(
            select(Person.name, Person.email)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.partnership_id == partnership_id,
                Membership.role == Role.AGENCY_LEAD,
                Membership.agency_id == agency_id,
            )
            .order_by(Person.name)
        )
    ]
