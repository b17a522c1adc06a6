"""Each agency's deadline: the cycle's, or the extension a coordinator gave it, with a reason
the agency reads. Never moves a deadline before the cycle's own."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.cycle_models import (
    Cycle,
)
from app.cycles.service import CycleError
from app.directory.models import (
    Person,
)
from app.returns.models import AgencyReturn


def deadline_of(agency_return: AgencyReturn, cycle: Cycle) -> date:
    """The agency's deadline: its extension, if it has one, else the cycle's."""
    return agency_return.deadline_extended_to or cycle.deadline_on


def extend_deadline(
    session: Session,
    *,
    agency_return: AgencyReturn,
    cycle: Cycle,
    to: date | None,
    reason: str,
    actor: Person,
) -> None:
    if to is None:
        raise CycleError("Enter the new deadline, like 14 12 2021")
    if to <= cycle.deadline_on:
        raise CycleError(
            f"An extension must be later than the cycle's deadline, {cycle.deadline_on:%-d %B %Y}"
        )
    if not reason.strip():
        raise CycleError("Say why this agency has longer: the reason is kept with the return")
    if not agency_return.status.editable:
        raise CycleError("This return has been submitted: reopen it before extending its deadline")
    was = agency_return.deadline_extended_to
    agency_return.deadline_extended_to = to
    agency_return.extension_reason = reason.strip()
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="deadline_extended",
        object_type="return",
        object_id=agency_return.id,
        detail={
            "from": (was or cycle.deadline_on).isoformat(),
            "to": to.isoformat(),
            "reason": reason.strip(),
        },
    )
