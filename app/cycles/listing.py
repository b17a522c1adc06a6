"""The round's returns as a long list: searched by agency name, filtered, sorted and paged in SQL,
for every page that lists them. Never loads a return that is not on the page asked for."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.cycle_models import Cycle, CyclePartnership
from app.cycles.service import own_agencies
from app.directory.models import Agency, AgencySector, Partnership, SchoolType
from app.listing import Choice, Listing, Page, last_page, read_listing
from app.params import id_from
from app.returns.models import AgencyReturn, Answer, ReturnStatus

SORTS = ("name", "status", "changed", "deadline")
SORT_LABELS = {
    "name": "Agency name",
    "status": "Status",
    "changed": "Last change",
    "deadline": "Deadline",
}
EDITABLE = [s for s in ReturnStatus if s.editable]


@dataclass(frozen=True)
class RoundFilter:
    """A filter the lists offer: its choices, and the SQL condition a chosen value adds."""

    choice: Choice
    condition: Callable[[str, date], Any]


def _deadline() -> Any:
    return func.coalesce(AgencyReturn.deadline_extended_to, Cycle.deadline_on)


# A new filter (a school type, a phase) is one entry here; the forms and queries follow it.
FILTERS = [
    RoundFilter(
        Choice("status", "Status", tuple((s.value, s.label) for s in ReturnStatus)),
        lambda value, _today: AgencyReturn.status == ReturnStatus(value),
    ),
    RoundFilter(
        Choice("sector", "Sector", tuple((s.value, s.label) for s in AgencySector)),
        lambda value, _today: Agency.sector == AgencySector(value),
    ),
    RoundFilter(
        Choice("school_type", "School type", tuple((t.value, t.label) for t in SchoolType)),
        lambda value, _today: Agency.school_type == SchoolType(value),
    ),
    RoundFilter(
        Choice("overdue", "Deadline", (("yes", "Overdue and not submitted"),)),
        lambda _value, today: AgencyReturn.status.in_(EDITABLE) & (_deadline() < today),
    ),
]


def choices(filters: Collection[str] | None = None) -> list[Choice]:
    return [f.choice for f in FILTERS if filters is None or f.choice.name in filters]


def read(params: Mapping[str, str], *, default_sort: str = "name") -> Listing:
    return read_listing(
        params, choices=choices(), sorts=SORTS, default_sort=default_sort, extra=("agency",)
    )


@dataclass(frozen=True)
class RoundRow:
    agency_return: AgencyReturn
    agency: Agency
    cycle: Cycle
    last_change: datetime | None
    deadline: date


def _last_change() -> Any:
    answered = (
        select(func.max(Answer.updated_at))
        .where(Answer.return_id == AgencyReturn.id)
        .correlate(AgencyReturn)
        .scalar_subquery()
    )
    # Submitting comes after the last answer, unless the return was reopened and changed since.
    return case(
        (AgencyReturn.submitted_at > answered, AgencyReturn.submitted_at),
        else_=func.coalesce(answered, AgencyReturn.submitted_at),
    )


def _sort_key(sort: str) -> Any:
    if sort == "status":
        return case({s: n for n, s in enumerate(ReturnStatus)}, value=AgencyReturn.status)
    if sort == "changed":
        return _last_change()
    if sort == "deadline":
        return _deadline()
    return Agency.name


def _where(
    partnership: Partnership,
    listing: Listing,
    *,
    cycle: Cycle | None,
    statuses: Collection[ReturnStatus] | None,
    today: date,
    also: Collection[Any] = (),
) -> list[Any]:
    where = [
        CyclePartnership.partnership_id == partnership.id,
        Agency.id.in_(own_agencies(partnership)),
        *also,
    ]
    if cycle is not None:
        where.append(AgencyReturn.cycle_id == cycle.id)
    if statuses is not None:
        where.append(AgencyReturn.status.in_(list(statuses)))
    if listing.search:
        where.append(Agency.name.icontains(listing.search, autoescape=True))
    for entry in FILTERS:
        if (value := listing.filters.get(entry.choice.name)) is not None:
            where.append(entry.condition(value, today))
    if "agency" in listing.filters:
        # An agency of another partnership, or none, is simply not among this round's rows.
        where.append(Agency.id == (id_from(listing.filters["agency"]) or 0))
    return where


def _joined(query: Any) -> Any:
    return (
        query.join(Agency, Agency.id == AgencyReturn.agency_id)
        .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
        .join(CyclePartnership, CyclePartnership.cycle_id == Cycle.id)
    )


def returns_page(
    session: Session,
    *,
    partnership: Partnership,
    listing: Listing,
    cycle: Cycle | None = None,
    statuses: Collection[ReturnStatus] | None = None,
    today: date | None = None,
    also: Collection[Any] = (),
) -> Page[RoundRow]:
    """One page of the partnership's returns (of `cycle`, if given; only `statuses`, and
    meeting the SQL conditions `also`, if given) as `listing` asks, and how many the filters
    match in all: two statements."""
    today = today or date.today()
    where = _where(partnership, listing, cycle=cycle, statuses=statuses, today=today, also=also)
    total = session.scalar(_joined(select(func.count(AgencyReturn.id))).where(*where)) or 0
    listing = last_page(listing, total)
    key = _sort_key(listing.sort)
    order = [key.desc() if listing.descending else key]
    if listing.sort != "name":
        order.append(Agency.name)
    if cycle is None and listing.sort == "name":
        order.insert(0, Cycle.deadline_on.desc())  # across rounds: the newest round first
    rows = session.execute(
        _joined(select(AgencyReturn, Agency, Cycle, _last_change(), _deadline()))
        .where(*where)
        .order_by(*order, AgencyReturn.id)
        .limit(listing.per_page)
        .offset(listing.offset)
    ).all()
    return Page([RoundRow(*row) for row in rows], total, listing)


def ids_matching(
    session: Session,
    *,
    partnership: Partnership,
    listing: Listing,
    cycle: Cycle,
    statuses: Collection[ReturnStatus] | None = None,
    today: date | None = None,
) -> list[int]:
    """The ids of every return the listing's filters match, on every page: what a bulk action
    on the filtered set acts on."""
    where = _where(
        partnership, listing, cycle=cycle, statuses=statuses, today=today or date.today()
    )
    return list(session.scalars(_joined(select(AgencyReturn.id)).where(*where)))
