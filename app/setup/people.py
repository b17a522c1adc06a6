"""Everyone with a role in the partnership, and changing or removing a role. A change takes
effect on the person's next request; the last coordinator is never removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.audit import service as audit_service
from app.directory.models import AGENCY_ROLES, Membership, Partnership, Person, Role
from app.listing import Choice, Listing, Page, last_page, read_listing

PARTNERSHIP_ROLES = (Role.COORDINATOR, Role.CHAIR, Role.PANEL_MEMBER)


class PeopleError(ValueError):
    """A role change that is refused, with a message for the page."""


@dataclass
class PersonInPartnership:
    person: Person
    roles: list[Membership] = field(default_factory=list)


def people_of(
    session: Session,
    *,
    partnership: Partnership,
    role: Role | None = None,
    agency_id: int | None = None,
) -> list[PersonInPartnership]:
    """People with a role here, by name, each with every role they hold here; filtered to
    those holding the role (and for the agency) asked for."""
    query = (
        select(Membership)
        .where(Membership.partnership_id == partnership.id)
        .options(joinedload(Membership.person), joinedload(Membership.agency))
        .order_by(Membership.id)
    )
    people: dict[int, PersonInPartnership] = {}
    for membership in session.scalars(query):
        entry = people.setdefault(membership.person_id, PersonInPartnership(membership.person))
        entry.roles.append(membership)
    chosen = [
        entry
        for entry in people.values()
        if any(
            (role is None or m.role is role) and (agency_id is None or m.agency_id == agency_id)
            for m in entry.roles
        )
    ]
    return sorted(chosen, key=lambda entry: entry.person.name.casefold())


ROLE_CHOICE = Choice("role", "Role", tuple((r.value, r.label) for r in Role))


def read_people_listing(params: Mapping[str, str]) -> Listing:
    """The People page's search and page; its role and agency ride along so that each page
    link keeps them."""
    return read_listing(
        params, choices=[ROLE_CHOICE], sorts=("name",), default_sort="name", extra=("agency",)
    )


def people_page(
    session: Session,
    *,
    partnership: Partnership,
    listing: Listing,
    role: Role | None = None,
    agency_id: int | None = None,
) -> Page[PersonInPartnership]:
    """A page of the people with a role here, by name, searched by name or email, each with
    every role they hold here: a count, the page and its roles, however many people."""
    holding = select(Membership.person_id).where(Membership.partnership_id == partnership.id)
    if role is not None:
        holding = holding.where(Membership.role == role)
    if agency_id is not None:
        holding = holding.where(Membership.agency_id == agency_id)
    where = [Person.id.in_(holding)]
    if listing.search:
        where.append(
            Person.name.icontains(listing.search, autoescape=True)
            | Person.email.icontains(listing.search, autoescape=True)
        )
    total = session.scalar(select(func.count(Person.id)).where(*where)) or 0
    listing = last_page(listing, total)
    people = {
        p.id: PersonInPartnership(p)
        for p in session.scalars(
            select(Person)
            .where(*where)
            .order_by(func.lower(Person.name), Person.id)
            .limit(listing.per_page)
            .offset(listing.offset)
        )
    }
    for membership in session.scalars(
        select(Membership)
        .where(Membership.partnership_id == partnership.id, Membership.person_id.in_(people))
        .options(joinedload(Membership.agency))
        .order_by(Membership.id)
    ):
        people[membership.person_id].roles.append(membership)
    return Page(list(people.values()), total, listing)


def membership_in(
    session: Session, *, partnership: Partnership, membership_id: int
) -> Membership | None:
    """A role held in this partnership; one held elsewhere does not exist here."""
    return session.scalar(
        select(Membership)
        .where(Membership.id == membership_id, Membership.partnership_id == partnership.id)
        .options(
            joinedload(Membership.person),
            joinedload(Membership.agency),
            joinedload(Membership.partnership),
        )
    )


def roles_it_may_become(membership: Membership) -> tuple[Role, ...]:
    """An agency role changes to the other agency role; a partnership role to another."""
    choices = tuple(AGENCY_ROLES) if membership.role.belongs_to_agency else PARTNERSHIP_ROLES
    return tuple(sorted((r for r in choices if r is not membership.role), key=list(Role).index))


def _refuse_removing_last_coordinator(session: Session, membership: Membership) -> None:
    if membership.role is not Role.COORDINATOR:
        return
    coordinators = session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.partnership_id == membership.partnership_id,
            Membership.role == Role.COORDINATOR,
        )
    )
    if coordinators <= 1:
        raise PeopleError(
            f"{membership.person.name} is the partnership's only coordinator: invite another "
            "coordinator first, so that someone can still run the partnership"
        )


def change_role(
    session: Session, *, actor: Person, membership: Membership, role: Role | None
) -> None:
    if role is None or role not in roles_it_may_become(membership):
        raise PeopleError("Select the role they should have instead")
    _refuse_removing_last_coordinator(session, membership)
    held = session.scalar(
        select(Membership.id).where(
            Membership.person_id == membership.person_id,
            Membership.partnership_id == membership.partnership_id,
            Membership.role == role,
            Membership.agency_id.is_(None)
            if membership.agency_id is None
            else Membership.agency_id == membership.agency_id,
        )
    )
    if held is not None:
        raise PeopleError(f"{membership.person.name} already holds that role: remove this one")
    before = membership.role
    membership.role = role
    session.flush()
    _record(session, actor, membership, {"from": before.value, "to": role.value})


def remove_role(session: Session, *, actor: Person, membership: Membership) -> None:
    _refuse_removing_last_coordinator(session, membership)
    _record(session, actor, membership, {"removed": membership.role.value})
    session.delete(membership)
    session.flush()


def _record(
    session: Session, actor: Person, membership: Membership, change: dict[str, str]
) -> None:
    audit_service.record_event(
        session,
        actor=actor,
        action="role_change",
        object_type="person",
        object_id=membership.person_id,
        detail={
            **change,
            "partnership_id": membership.partnership_id,
            "agency_id": membership.agency_id,
        },
    )
