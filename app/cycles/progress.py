"""The round's progress for the coordinator's dashboard: counts of the whole round, and the
page of agencies asked for with how much is answered, lead and deadline. Reads only, in a fixed
number of statements however many returns the round has."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cycle_models import (
    Cycle,
)
from app.cycles import listing as round_listing
from app.cycles.listing import RoundRow
from app.cycles.service import own_agencies
from app.directory.models import (
    Agency,
    AgencySector,
    Membership,
    Partnership,
    Person,
    Role,
)
from app.listing import Listing, Page
from app.returns import service as returns_service
from app.returns.models import AgencyReturn, ReturnStatus

WAITING = frozenset(s for s in ReturnStatus if s.editable)
SUBMITTED = frozenset(
    {
        ReturnStatus.SUBMITTED,
        ReturnStatus.AT_PANEL,
        ReturnStatus.FEEDBACK_ISSUED,
        ReturnStatus.ACTION_PLAN_AGREED,
        ReturnStatus.CLOSED,
    }
)


@dataclass(frozen=True)
class AgencyProgress:
    agency_return: AgencyReturn
    agency: Agency
    lead: str | None  # "Name <email>" of the agency lead in this partnership, if any
    answered: int
    required: int
    last_activity: datetime | None
    deadline: date

    @property
    def submitted(self) -> bool:
        return self.agency_return.status in SUBMITTED


@dataclass(frozen=True)
class SectorCount:
    sector: AgencySector
    submitted: int
    invited: int


@dataclass
class RoundProgress:
    cycle: Cycle
    agencies: Page[AgencyProgress]  # the page of the filtered list asked for
    chase: list[AgencyProgress]  # the first few not submitted, nearest deadline first
    waiting: int  # how many have not submitted, of those the filters match
    submitted: int  # of all this partnership's agencies in the cycle, before filtering
    invited: int
    by_status: list[tuple[ReturnStatus, int]]
    by_sector: list[SectorCount]


CHASE = 10  # agencies named in the chase list; the rest are a filter away


def progress(
    session: Session,
    *,
    cycle: Cycle,
    partnership: Partnership,
    listing: Listing,
) -> RoundProgress:
    """The round as the partnership's coordinators see it: only its own agencies' returns,
    counted in SQL, and only the page asked for loaded."""
    counts = session.execute(
        select(Agency.sector, AgencyReturn.status, func.count())
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(AgencyReturn.cycle_id == cycle.id, Agency.id.in_(own_agencies(partnership)))
        .group_by(Agency.sector, AgencyReturn.status)
    ).all()
    statuses: Counter[ReturnStatus] = Counter()
    sectors: dict[AgencySector, list[int]] = {}
    for sector, status, n in counts:
        statuses[status] += n
        tally = sectors.setdefault(sector, [0, 0])
        tally[0] += n if status in SUBMITTED else 0
        tally[1] += n
    page = round_listing.returns_page(
        session, partnership=partnership, listing=listing, cycle=cycle
    )
    chasing = replace(listing, sort="deadline", descending=False, page=1, per_page=CHASE)
    chase = round_listing.returns_page(
        session, partnership=partnership, listing=chasing, cycle=cycle, statuses=WAITING
    )
    shown = _progress_of(session, cycle, partnership, page.rows + chase.rows)
    return RoundProgress(
        cycle=cycle,
        agencies=Page([shown[r.agency_return.id] for r in page.rows], page.total, page.listing),
        chase=[shown[r.agency_return.id] for r in chase.rows],
        waiting=chase.total,
        submitted=sum(n for s, n in statuses.items() if s in SUBMITTED),
        invited=sum(statuses.values()),
        by_status=[(s, statuses[s]) for s in ReturnStatus],
        by_sector=[
            SectorCount(s, *tally)
            for s, tally in sorted(sectors.items(), key=lambda item: item[0].label)
        ],
    )


def _progress_of(
    session: Session, cycle: Cycle, partnership: Partnership, rows: list[RoundRow]
) -> dict[int, AgencyProgress]:
    returns = list({r.agency_return.id: r.agency_return for r in rows}.values())
    views = returns_service.views_of(session, returns, cycle=cycle)
    leads = _leads(session, partnership, [r.agency.id for r in rows])
    shown = {}
    for row in rows:
        answered, required = views[row.agency_return.id].required_progress
        shown[row.agency_return.id] = AgencyProgress(
            agency_return=row.agency_return,
            agency=row.agency,
            lead=leads.get(row.agency.id),
            answered=answered,
            required=required,
            last_activity=row.last_change,
            deadline=row.deadline,
        )
    return shown


def _leads(session: Session, partnership: Partnership, agency_ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(Membership.agency_id, Person.name, Person.email)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.partnership_id == partnership.id,
            Membership.role == Role.AGENCY_LEAD,
            Membership.agency_id.in_(agency_ids),
        )
        .order_by(Membership.id)
    )
    leads: dict[int, str] = {}
    for agency_id, name, email in rows:
        leads.setdefault(agency_id, f"{name} <{email}>")
    return leads
