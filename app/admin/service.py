"""Site administration: creating, changing, archiving and restoring partnerships, and appointing
their first coordinators and chair. Never reads a partnership's returns, scores or plans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth import invitations as auth_invitations
from app.auth.models import Invitation
from app.colours import (
    AA_NORMAL_TEXT,
    WHITE,
    contrast_ratio,
    darker_shade_for_white_text,
)
from app.cycles import service as cycles_service
from app.db import utcnow
from app.directory import service as directory_service
from app.directory.models import (
    BoardKind,
    Membership,
    Partnership,
    PartnershipAgency,
    Person,
    Role,
)
from app.notifications.mail import Email

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
LOGO_MAX_BYTES = 200 * 1024
# Read from the first bytes, never from the file's name or the browser's word for it.
LOGO_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
APPOINTED_ROLES = (Role.COORDINATOR, Role.CHAIR)


class AdminError(ValueError):
    """A change the site administration refuses, with a message for the page."""


@dataclass
class PartnershipDetails:
    """What the partnership form says, checked by `check_details` before anything is saved."""

    name: str = ""
    short_name: str = ""
    slug: str = ""
    colour: str = "#28313b"
    kind: str = BoardKind.CHILDREN.value


@dataclass(frozen=True)
class Logo:
    data: bytes
    content_type: str


def read_logo(data: bytes) -> Logo:
    """A PNG or JPEG of at most 200 KB, by content; anything else is refused."""
    if len(data) > LOGO_MAX_BYTES:
        raise AdminError("The logo must be smaller than 200 KB")
    for signature, content_type in LOGO_SIGNATURES.items():
        if data.startswith(signature):
            return Logo(data, content_type)
    raise AdminError("The logo must be a PNG or JPEG image")


def check_details(
    session: Session, details: PartnershipDetails, *, partnership: Partnership | None = None
) -> dict[str, str]:
    """Every problem with the form, keyed by field: empty when it can be saved."""
    errors: dict[str, str] = {}
    name = directory_service.tidy_name(details.name)
    short_name = directory_service.tidy_name(details.short_name)
    slug = details.slug.strip()
    colour = details.colour.strip().lower()
    others = select(Partnership).where(Partnership.id != (partnership.id if partnership else -1))
    if not name:
        errors["name"] = "Enter the partnership's name"
    elif len(name) > 200:
        errors["name"] = "The name must be 200 characters or fewer"
    elif session.scalar(
        others.where(func.lower(Partnership.name) == name.lower()).with_only_columns(Partnership.id)
    ):
        errors["name"] = f"A partnership called {name} already exists"
    if not short_name:
        errors["short_name"] = "Enter a short name, like NSCP, for the header"
    elif len(short_name) > 40:
        errors["short_name"] = "The short name must be 40 characters or fewer"
    if not slug:
        errors["slug"] = "Enter the web-address name, like norfolk"
    elif not SLUG.match(slug):
        errors["slug"] = (
            "The web-address name must be 1 to 60 lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    elif session.scalar(others.where(Partnership.slug == slug).with_only_columns(Partnership.id)):
        errors["slug"] = f"Another partnership already uses the web-address name {slug}"
    if details.kind not in BoardKind._value2member_map_:
        errors["kind"] = "Select whether it is a children's partnership or an adults board"
    if not directory_service.HEX_COLOUR.match(colour):
        errors["colour"] = "Enter the colour as a hex code of six digits, like #4c2c92"
    elif contrast_ratio(colour, WHITE) < AA_NORMAL_TEXT:
        ratio = contrast_ratio(colour, WHITE)
        errors["colour"] = (
            f"White header text on {colour} has a contrast of {ratio:.1f} to 1, below the "
            f"{AA_NORMAL_TEXT} to 1 that WCAG AA needs: try a darker shade such as "
            f"{darker_shade_for_white_text(colour)}"
        )
    return errors


def _apply(partnership: Partnership, details: PartnershipDetails, logo: Logo | None) -> None:
    partnership.name = directory_service.tidy_name(details.name)
    partnership.short_name = directory_service.tidy_name(details.short_name)
    partnership.slug = details.slug.strip()
    partnership.colour = details.colour.strip().lower()
    partnership.kind = BoardKind(details.kind)
    if logo is not None:
        partnership.logo = logo.data
        partnership.logo_type = logo.content_type


def create_partnership(
    session: Session, *, actor: Person, details: PartnershipDetails, logo: Logo | None = None
) -> Partnership:
    errors = check_details(session, details)
    if errors:
        raise AdminError(next(iter(errors.values())))
    partnership = Partnership()
    _apply(partnership, details, logo)
    session.add(partnership)
    session.flush()
    _record(session, actor, "partnership_created", partnership)
    return partnership


def change_partnership(
    session: Session,
    *,
    actor: Person,
    partnership: Partnership,
    details: PartnershipDetails,
    logo: Logo | None = None,
    remove_logo: bool = False,
) -> Partnership:
    errors = check_details(session, details, partnership=partnership)
    if errors:
        raise AdminError(next(iter(errors.values())))
    _apply(partnership, details, logo)
    if remove_logo and logo is None:
        partnership.logo = None
        partnership.logo_type = None
    session.flush()
    _record(session, actor, "partnership_changed", partnership)
    return partnership


def details_of(partnership: Partnership) -> PartnershipDetails:
    return PartnershipDetails(
        name=partnership.name,
        short_name=partnership.short_name,
        slug=partnership.slug,
        colour=partnership.colour,
        kind=partnership.kind.value,
    )


def archive_partnership(session: Session, *, actor: Person, partnership: Partnership) -> None:
    """Archive: kept whole and restorable, read-only for everyone. Not while a cycle runs."""
    if partnership.is_archived:
        raise AdminError(f"{partnership.name} is already archived")
    running = cycles_service.open_cycles_of(session, partnership=partnership)
    if running:
        raise AdminError(
            f"{partnership.name} has a cycle still running ({running[0].name}): archive it "
            "once every return in it is closed and its deadline has passed"
        )
    partnership.archived_at = utcnow()
    session.flush()
    _record(session, actor, "partnership_archived", partnership)


def restore_partnership(session: Session, *, actor: Person, partnership: Partnership) -> None:
    if not partnership.is_archived:
        raise AdminError(f"{partnership.name} is not archived")
    partnership.archived_at = None
    session.flush()
    _record(session, actor, "partnership_restored", partnership)


def _record(session: Session, actor: Person, action: str, partnership: Partnership) -> None:
    audit_service.record_event(
        session,
        actor=actor,
        action=action,
        object_type="partnership",
        object_id=partnership.id,
        detail={"slug": partnership.slug, "name": partnership.name},
    )


def partnership_by_slug(session: Session, *, slug: str) -> Partnership | None:
    return session.scalar(select(Partnership).where(Partnership.slug == slug))


def logo_of(session: Session, *, slug: str) -> Logo | None:
    """The partnership's logo, for its header; only the logo is read, nothing else."""
    row = session.execute(
        select(Partnership.logo, Partnership.logo_type).where(Partnership.slug == slug)
    ).one_or_none()
    if row is None or row.logo is None or row.logo_type is None:
        return None
    return Logo(row.logo, row.logo_type)


@dataclass
class PartnershipOverview:
    """One line of the site administrator's list: counts, never content."""

    partnership: Partnership
    agencies: int = 0
    people: int = 0
    open_cycles: int = 0
    coordinators: list[str] = field(default_factory=list)


def overview(session: Session, *, today: date | None = None) -> list[PartnershipOverview]:
    """Every partnership with its counts, in a fixed number of statements however many."""
    rows = {
        p.id: PartnershipOverview(p)
        for p in session.scalars(select(Partnership).order_by(Partnership.name))
    }
    for partnership_id, count in session.execute(
        select(PartnershipAgency.partnership_id, func.count())
        .where(PartnershipAgency.archived_at.is_(None))
        .group_by(PartnershipAgency.partnership_id)
    ):
        rows[partnership_id].agencies = count
    for partnership_id, count in session.execute(
        select(Membership.partnership_id, func.count(func.distinct(Membership.person_id))).group_by(
            Membership.partnership_id
        )
    ):
        rows[partnership_id].people = count
    for partnership_id, name in session.execute(
        select(Membership.partnership_id, Person.name)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.role == Role.COORDINATOR)
        .order_by(Person.name)
    ):
        rows[partnership_id].coordinators.append(name)
    for partnership_id, count in cycles_service.open_cycle_counts(session, today=today).items():
        if partnership_id in rows:
            rows[partnership_id].open_cycles = count
    return list(rows.values())


def appoint(
    session: Session,
    *,
    actor: Person,
    partnership: Partnership,
    role: Role | None,
    name: str,
    email: str,
    base_url: str,
) -> tuple[Invitation, Email]:
    """Invite a coordinator or the independent chair, through the invitation every role uses."""
    if partnership.is_archived:
        raise AdminError(f"{partnership.name} is archived: restore it before appointing anyone")
    if role not in APPOINTED_ROLES:
        raise AdminError("Select coordinator or independent chair")
    scope = auth_invitations.InvitationScope(partnership, any_role=True, agency_ids=frozenset())
    try:
        return auth_invitations.invite(
            session,
            actor=actor,
            scope=scope,
            email=email,
            name=name,
            role=role,
            agency_id=None,
            base_url=base_url,
        )
    except auth_invitations.InvitationError as error:
        raise AdminError(str(error)) from None


@dataclass(frozen=True)
class Appointments:
    """Who coordinates and chairs the partnership, and the appointments still waiting."""

    holders: list[tuple[str, str, Role]]  # name, email, role
    invitations: list[Invitation]


def appointments_of(session: Session, *, partnership: Partnership) -> Appointments:
    holders = [
        (name, email, role)
        for name, email, role in session.execute(
            select(Person.name, Person.email, Membership.role)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.partnership_id == partnership.id,
                Membership.role.in_(APPOINTED_ROLES),
            )
            .order_by(Membership.role, Person.name)
        )
    ]
    scope = auth_invitations.InvitationScope(partnership, any_role=True, agency_ids=frozenset())
    invitations = [
        invitation
        for invitation in auth_invitations.invitations_for(session, scope=scope)
        if invitation.role in APPOINTED_ROLES
    ]
    return Appointments(holders, invitations)
