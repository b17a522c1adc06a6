"""Conflicts of interest: who may not read or score an agency's return, from membership or
from a declaration. Never lets a member see a return their interest rules out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.directory.models import Agency, Membership, Partnership, PartnershipAgency, Person, Role
from app.panels.models import ConflictOfInterest, PanelSession
from app.panels.sessions import members_of, slots_of
from app.returns import service as returns_service
from app.returns.models import AgencyReturn


@dataclass(frozen=True)
class Conflict:
    person_id: int
    person_name: str
    agency_id: int
    agency_name: str
    why: str  # in words, e.g. "they come from Norfolk Constabulary"


def conflicts_between(
    session: Session, *, members: dict[int, int | None], agency_ids: set[int]
) -> list[Conflict]:
    """Every interest the given members (person id → agency they sit for) have in the given
    agencies: their own agency, an agency they work on returns for, or a declared one."""
    if not members or not agency_ids:
        return []
    names = returns_service.people_named(session, ids=set(members))
    agencies = dict(
        session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids))).all()
    )
    found: dict[tuple[int, int], str] = {}
    for person_id, agency_id in members.items():
        if agency_id in agency_ids:
            found[(person_id, agency_id)] = f"they come from {agencies[agency_id]}"
    for person_id, agency_id, role in session.execute(
        select(Membership.person_id, Membership.agency_id, Membership.role).where(
            Membership.person_id.in_(members), Membership.agency_id.in_(agency_ids)
        )
    ):
        found.setdefault(
            (person_id, agency_id), f"they are {agencies[agency_id]}'s {role.label.lower()}"
        )
    for person_id, agency_id, reason in session.execute(
        select(
            ConflictOfInterest.person_id, ConflictOfInterest.agency_id, ConflictOfInterest.reason
        ).where(
            ConflictOfInterest.person_id.in_(members),
            ConflictOfInterest.agency_id.in_(agency_ids),
        )
    ):
        found.setdefault(
            (person_id, agency_id),
            f"they declared an interest in {agencies[agency_id]} ({reason})",
        )
    return [
        Conflict(person_id, names.get(person_id, ""), agency_id, agencies[agency_id], why)
        for (person_id, agency_id), why in sorted(found.items())
    ]


def session_conflicts(session: Session, panel: PanelSession) -> list[Conflict]:
    """The interests a session's members have in the agencies booked into it: a declaration
    made after booking shows here, and that member does not see the return."""
    members = {m.person_id: m.agency_id for m in members_of(session, panel)}
    booked = [s.return_id for s in slots_of(session, panel) if s.return_id]
    return conflicts_between(
        session, members=members, agency_ids=set(agencies_of_returns(session, booked).values())
    )


def declared_conflicts(session: Session, *, person: Person) -> list[tuple[ConflictOfInterest, str]]:
    return [
        (conflict, name)
        for conflict, name in session.execute(
            select(ConflictOfInterest, Agency.name)
            .join(Agency, Agency.id == ConflictOfInterest.agency_id)
            .where(ConflictOfInterest.person_id == person.id)
            .order_by(Agency.name)
        )
    ]


def declarations_in(session: Session, *, partnership: Partnership) -> list[Conflict]:
    """Every interest the partnership's steering group has declared in its agencies."""
    rows = session.execute(
        select(ConflictOfInterest, Person.name, Agency.name)
        .join(Person, Person.id == ConflictOfInterest.person_id)
        .join(Agency, Agency.id == ConflictOfInterest.agency_id)
        .where(
            ConflictOfInterest.person_id.in_(
                select(Membership.person_id).where(
                    Membership.partnership_id == partnership.id,
                    Membership.role == Role.PANEL_MEMBER,
                )
            ),
            ConflictOfInterest.agency_id.in_(
                select(PartnershipAgency.agency_id).where(
                    PartnershipAgency.partnership_id == partnership.id
                )
            ),
        )
        .order_by(Person.name, Agency.name)
    )
    return [
        Conflict(c.person_id, person_name, c.agency_id, agency_name, c.reason)
        for c, person_name, agency_name in rows
    ]


def declarable_agencies(session: Session, *, person: Person) -> list[Agency]:
    """The agencies of the partnerships the person sits on panels for."""
    partnership_ids = {m.partnership_id for m in person.memberships if m.role is Role.PANEL_MEMBER}
    return list(
        session.scalars(
            select(Agency)
            .join(PartnershipAgency, PartnershipAgency.agency_id == Agency.id)
            .where(PartnershipAgency.partnership_id.in_(partnership_ids))
            .distinct()
            .order_by(Agency.name)
        )
    )


def declare_conflict(
    session: Session, *, person: Person, agency_id: int | None, reason: str
) -> dict[str, str]:
    """Record an interest; returns the problems by field, empty when it was recorded."""
    errors = {}
    agency_ids = {a.id for a in declarable_agencies(session, person=person)}
    if agency_id not in agency_ids:
        errors["agency"] = "Select the agency you have an interest in"
    if not reason.strip():
        errors["reason"] = "Describe your interest, for example a family member works there"
    elif len(reason) > 1000:
        errors["reason"] = "Describe your interest in 1,000 characters or fewer"
    if errors:
        return errors
    already = session.scalar(
        select(ConflictOfInterest).where(
            ConflictOfInterest.person_id == person.id, ConflictOfInterest.agency_id == agency_id
        )
    )
    if already is not None:
        already.reason = reason.strip()
    else:
        session.add(
            ConflictOfInterest(person_id=person.id, agency_id=agency_id, reason=reason.strip())
        )
    session.flush()
    audit_service.record_event(
        session,
        actor=person,
        action="conflict_of_interest_declared",
        object_type="agency",
        object_id=agency_id,
        detail={"reason": reason.strip()},
    )
    return {}


def agencies_of_returns(session: Session, return_ids: list[int]) -> dict[int, int]:
    if not return_ids:
        return {}
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(AgencyReturn.id, AgencyReturn.agency_id).where(AgencyReturn.id.in_(return_ids))
        ).all()
    )
