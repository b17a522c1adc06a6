"""The round's progress for the coordinator's dashboard: each agency's return, how much is
answered, its lead, deadline and counts. Reads only, in a fixed number of statements."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cycles.deadlines import deadline_of
from app.cycles.models import (
    Cycle,
)
from app.cycles.service import own_agencies
from app.directory.models import (
    Agency,
    AgencySector,
    Membership,
    Partnership,
    Person,
    Role,
)
from app.returns import service as returns_service
from app.returns.models import AgencyReturn, Answer, ReturnStatus

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
    agencies: list[AgencyProgress]  # filtered as asked
    submitted: int  # of all this partnership's agencies in the cycle, before filtering
    invited: int
    by_status: list[tuple[ReturnStatus, int]]
    by_sector: list[SectorCount]

    @property
    def chase(self) -> list[AgencyProgress]:
        """Agencies that have not submitted, the nearest deadline and least progress first."""
        waiting = [a for a in self.agencies if not a.submitted]
        return sorted(waiting, key=lambda a: (a.deadline, a.answered - a.required, a.agency.name))


def progress(
    session: Session,
    *,
    cycle: Cycle,
    partnership: Partnership,
    sector: AgencySector | None = None,
    status: ReturnStatus | None = None,
) -> RoundProgress:
    """The round as the partnership's coordinators see it: only its own agencies' returns."""
    rows = session.execute(
        select(AgencyReturn, Agency)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(AgencyReturn.cycle_id == cycle.id, Agency.id.in_(own_agencies(partnership)))
        .order_by(Agency.name)
    ).all()
    views = returns_service.views_of(session, [row[0] for row in rows], cycle=cycle)
    last = dict(
        session.execute(
            select(Answer.return_id, func.max(Answer.updated_at))
            .where(Answer.return_id.in_([row[0].id for row in rows]))
            .group_by(Answer.return_id)
        ).all()
    )
    leads = _leads(session, partnership, [row[1].id for row in rows])
    everyone = []
    for agency_return, agency in rows:
        answered, required = views[agency_return.id].required_progress
        moments = [m for m in (last.get(agency_return.id), agency_return.submitted_at) if m]
        everyone.append(
            AgencyProgress(
                agency_return=agency_return,
                agency=agency,
                lead=leads.get(agency.id),
                answered=answered,
                required=required,
                last_activity=max(moments) if moments else None,
                deadline=deadline_of(agency_return, cycle),
            )
        )
    statuses = Counter(a.agency_return.status for a in everyone)
    sectors: dict[AgencySector, list[AgencyProgress]] = {}
    for entry in everyone:
        sectors.setdefault(entry.agency.sector, []).append(entry)
    return RoundProgress(
        cycle=cycle,
        agencies=[
            a
            for a in everyone
            if (sector is None or a.agency.sector is sector)
            and (status is None or a.agency_return.status is status)
        ],
        submitted=sum(1 for a in everyone if a.submitted),
        invited=len(everyone),
        by_status=[(s, statuses[s]) for s in ReturnStatus],
        by_sector=[
            SectorCount(s, sum(1 for a in entries if a.submitted), len(entries))
            for s, entries in sorted(sectors.items(), key=lambda item: item[0].label)
        ],
    )


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
