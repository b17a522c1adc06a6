"""What the home page shows a person: their partnerships and what needs their attention.

Later modules add their own attention items here (returns to finish, panels to score).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.directory import service as directory_service
from app.directory.models import Partnership, Person, Role
from app.setup import checklist


@dataclass(frozen=True)
class AttentionItem:
    text: str
    href: str
    due: str | None = None


@dataclass(frozen=True)
class HomePage:
    partnerships: list[directory_service.PartnershipRoles]
    attention: list[AttentionItem]
    site_administrator: bool = False
    # A coordinator's set-up checklist for the partnership they work in, until a cycle opens.
    checklist: list[checklist.Task] | None = None


def home_page_for(session: Session, *, person: Person, partnership: Partnership | None) -> HomePage:
    coordinates_here = partnership is not None and any(
        m.role is Role.COORDINATOR and m.partnership_id == partnership.id
        for m in person.memberships
    )
    return HomePage(
        partnerships=directory_service.partnerships_of(person),
        attention=[],
        site_administrator=person.is_admin,
        checklist=(
            checklist.checklist_for(session, partnership=partnership)
            if coordinates_here and partnership is not None
            else None
        ),
    )
