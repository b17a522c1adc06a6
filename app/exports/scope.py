"""Who may export what: the reader a person is for a cycle and the returns in their scope.
Never lets a draft return, or a draft score, reach anyone but its own agency or scorer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.cycle_models import Cycle, CyclePartnership
from app.cycles import listing as round_listing
from app.cycles import progress as round_progress
from app.cycles import service as cycles_service
from app.directory.models import Partnership, PartnershipAgency, Person, Role
from app.panels import reading
from app.returns import service as returns_service
from app.returns.models import AgencyReturn

RECEIVED = sorted(round_progress.SUBMITTED)  # submitted, or further on: at panel, feedback…


class ExportError(ValueError):
    """An export that cannot be made, with a message for the person who asked."""


class Reader(StrEnum):
    """Whose eyes a workbook is for: it holds what they may see, and nothing more."""

    PARTNERSHIP = "partnership"  # its coordinators and independent chair: its agencies' returns
    PANEL = "panel"  # a panel member: the returns booked into the sessions they sit on
    AGENCY = "agency"  # an agency's own people: their own return, as it stands
    OPERATOR = "operator"  # whoever runs the s11 command on the server: every agency


@dataclass(frozen=True)
class Scope:
    """What one reader may have of one cycle; made only by the *_scope functions below."""

    cycle: Cycle
    reader: Reader
    generated_by: str
    actor: Person | None = None
    partnership: Partnership | None = None  # only its agencies' returns
    return_ids: frozenset[int] | None = None  # only these returns
    scores_hidden: frozenset[int] = frozenset()  # returns whose colleagues' scores wait
    agency_id: int | None = None  # only this agency's return

    @property
    def sees_drafts(self) -> bool:
        """A return not yet submitted is its own agency's business alone."""
        return self.reader is Reader.AGENCY

    def sees_scores(self, return_id: int) -> bool:
        """Each panel member's own rating: never for the agency; for a panel member once they
        have submitted their own scores or the meeting has started."""
        return self.reader is not Reader.AGENCY and return_id not in self.scores_hidden

    def sees_agreed(self, return_id: int, feedback_issued: set[int]) -> bool:
        """The agency reads the panel's agreed ratings in its feedback, once that is issued."""
        return self.reader is not Reader.AGENCY or return_id in feedback_issued


def reads_round(person: Person, partnership: Partnership | None) -> bool:
    """The partnership's coordinators and independent chair read all of its round; a site
    administrator only through such a role."""
    if partnership is None:
        return False
    return any(
        m.partnership_id == partnership.id and m.role in (Role.COORDINATOR, Role.CHAIR)
        for m in person.memberships
    )


def _by(person: Person) -> str:
    return f"{person.name} ({person.email})"


def round_scope(
    session: Session, *, person: Person, partnership: Partnership | None, slug: str
) -> Scope | None:
    """A cycle of the partnership, for its coordinators and chair; anyone else finds nothing."""
    if partnership is None or not reads_round(person, partnership):
        return None
    cycle = cycles_service.cycle_for(session, partnership=partnership, slug=slug)
    if cycle is None:
        return None
    return Scope(cycle, Reader.PARTNERSHIP, _by(person), actor=person, partnership=partnership)


def export_scope(
    session: Session, *, person: Person, partnership: Partnership | None, slug: str
) -> Scope | None:
    """The round's readers have the whole round; a panel member, the returns booked into the
    sessions of the cycle they sit on (less any agency they have an interest in)."""
    scope = round_scope(session, person=person, partnership=partnership, slug=slug)
    if scope is not None or partnership is None:
        return scope
    cycle = cycles_service.cycle_for(session, partnership=partnership, slug=slug)
    if cycle is None:
        return None
    readable = reading.returns_to_read(session, person=person, cycle=cycle, partnership=partnership)
    if not readable:
        return None
    return Scope(
        cycle,
        Reader.PANEL,
        _by(person),
        actor=person,
        partnership=partnership,
        return_ids=frozenset(readable),
        scores_hidden=frozenset(r for r, sees in readable.items() if not sees),
    )


def agency_scope(session: Session, *, person: Person, return_id: int) -> Scope | None:
    """A return for its own agency's lead and contributors; another agency's is not found."""
    rows = returns_service.returns_for(session, person=person)
    found = next((row for row in rows if row[0].id == return_id), None)
    if found is None:
        return None
    agency_return, cycle, agency = found
    return Scope(
        cycle,
        Reader.AGENCY,
        _by(person),
        actor=person,
        return_ids=frozenset({agency_return.id}),
        agency_id=agency.id,
    )


def operator_scope(session: Session, *, slug: str, generated_by: str) -> Scope | None:
    """The whole cycle, for the `s11 export` command run on the server."""
    cycle = session.scalar(select(Cycle).where(Cycle.slug == slug))
    return Scope(cycle, Reader.OPERATOR, generated_by) if cycle is not None else None


def in_scope(scope: Scope, *, any_status: bool = False) -> Select[tuple[int]]:
    """The ids of the returns the scope holds, as a subquery."""
    query = select(AgencyReturn.id).where(AgencyReturn.cycle_id == scope.cycle.id)
    if not (scope.sees_drafts or any_status):
        query = query.where(AgencyReturn.status.in_(RECEIVED))
    if scope.partnership is not None:
        query = query.where(
            AgencyReturn.agency_id.in_(
                select(PartnershipAgency.agency_id).where(
                    PartnershipAgency.partnership_id == scope.partnership.id
                )
            )
        )
    if scope.return_ids is not None:
        query = query.where(AgencyReturn.id.in_(sorted(scope.return_ids)))
    if scope.agency_id is not None:
        query = query.where(AgencyReturn.agency_id == scope.agency_id)
    return query


def narrowed_to_listing(session: Session, scope: Scope, params: Mapping[str, str]) -> Scope:
    """The scope narrowed to the returns a round list's search and filters match, when the
    request carries any (a coordinator exporting the selection); else the scope as it was."""
    listing = round_listing.read(params)
    if scope.partnership is None or not (listing.search or listing.filters):
        return scope
    ids = frozenset(
        round_listing.ids_matching(
            session, partnership=scope.partnership, listing=listing, cycle=scope.cycle
        )
    )
    return replace(scope, return_ids=ids if scope.return_ids is None else ids & scope.return_ids)


def partnership_names(session: Session, scope: Scope) -> str:
    if scope.partnership is not None:
        return scope.partnership.name
    names = session.scalars(
        select(Partnership.name)
        .join(CyclePartnership, CyclePartnership.partnership_id == Partnership.id)
        .where(CyclePartnership.cycle_id == scope.cycle.id)
        .order_by(Partnership.name)
    )
    return " and ".join(names)


def summaries_of(
    session: Session, *, person: Person, partnership: Partnership | None
) -> list[Cycle]:
    """The cycles whose summary the person may read: their partnership's, if they read its
    round."""
    if partnership is None or not reads_round(person, partnership):
        return []
    return cycles_service.cycles_of(session, partnership=partnership)
