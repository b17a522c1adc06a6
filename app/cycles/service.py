"""Setting up a cycle and opening a return for each agency in it.

Functions flush and never commit; opening returns is idempotent (one return per agency).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cycles.models import Cycle, CyclePartnership
from app.directory.models import Agency, Partnership, Person, Role
from app.questionnaires.models import QuestionnaireVersion
from app.returns.models import AgencyReturn


def ensure_cycle(
    session: Session,
    *,
    slug: str,
    name: str,
    version: QuestionnaireVersion,
    partnerships: list[Partnership],
    opens_on: date,
    deadline_on: date,
    senior_sign_off_required: bool = False,
) -> Cycle:
    cycle = session.scalar(select(Cycle).where(Cycle.slug == slug))
    if cycle is None:
        cycle = Cycle(
            slug=slug,
            name=name,
            questionnaire_version_id=version.id,
            opens_on=opens_on,
            deadline_on=deadline_on,
            senior_sign_off_required=senior_sign_off_required,
        )
        session.add(cycle)
        session.flush()
    for partnership in partnerships:
        if session.get(CyclePartnership, (cycle.id, partnership.id)) is None:
            session.add(CyclePartnership(cycle_id=cycle.id, partnership_id=partnership.id))
    session.flush()
    return cycle


def open_returns(session: Session, *, cycle: Cycle, agencies: list[Agency]) -> list[AgencyReturn]:
    existing = {
        r.agency_id: r
        for r in session.scalars(select(AgencyReturn).where(AgencyReturn.cycle_id == cycle.id))
    }
    for agency in agencies:
        if agency.id not in existing:
            existing[agency.id] = AgencyReturn(cycle_id=cycle.id, agency_id=agency.id)
            session.add(existing[agency.id])
    session.flush()
    return [existing[agency.id] for agency in agencies]


def coordinates(person: Person, partnership: Partnership | None) -> bool:
    """Whether the person runs rounds in this partnership (site administrators do everywhere)."""
    if partnership is None:
        return False
    return person.is_admin or any(
        m.role is Role.COORDINATOR and m.partnership_id == partnership.id
        for m in person.memberships
    )


def returns_in_round(
    session: Session, *, partnership: Partnership
) -> list[tuple[AgencyReturn, Cycle, Agency]]:
    """Every return of every cycle this partnership takes part in, newest cycle first."""
    rows = session.execute(
        select(AgencyReturn, Cycle, Agency)
        .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .join(CyclePartnership, CyclePartnership.cycle_id == Cycle.id)
        .where(CyclePartnership.partnership_id == partnership.id)
        .order_by(Cycle.deadline_on.desc(), Agency.name)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def return_in_round(
    session: Session, *, partnership: Partnership, return_id: int
) -> tuple[AgencyReturn, Cycle, Agency] | None:
    """One return, if its cycle is this partnership's; another partnership's finds nothing."""
    row = session.execute(
        select(AgencyReturn, Cycle, Agency)
        .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .join(CyclePartnership, CyclePartnership.cycle_id == Cycle.id)
        .where(CyclePartnership.partnership_id == partnership.id, AgencyReturn.id == return_id)
    ).first()
    return tuple(row) if row else None  # type: ignore[return-value]
