"""Acting on the filtered set of a round's returns at once: reminding the leads of those not
submitted, and extending their deadline, through the rules one return at a time follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cycle_models import Cycle
from app.cycles import listing as round_listing
from app.cycles.deadlines import extend_deadline
from app.cycles.reminders import NOT_SUBMITTED, agency_leads, reminder_email
from app.cycles.service import CycleError
from app.directory.models import Agency, Partnership, Person
from app.directory.terms import terms_for
from app.listing import Listing
from app.notifications.mail import Email
from app.returns.models import AgencyReturn


@dataclass(frozen=True)
class Selection:
    """What a bulk action would touch: the filtered set, and those of it not yet submitted."""

    matching: int
    waiting: list[int]  # ids of the returns not started or in progress


def selection(
    session: Session, *, cycle: Cycle, partnership: Partnership, listing: Listing
) -> Selection:
    matching = round_listing.ids_matching(
        session, partnership=partnership, listing=listing, cycle=cycle
    )
    waiting = round_listing.ids_matching(
        session, partnership=partnership, listing=listing, cycle=cycle, statuses=NOT_SUBMITTED
    )
    return Selection(len(matching), waiting)


def _waiting_returns(session: Session, ids: list[int]) -> list[tuple[AgencyReturn, Agency]]:
    rows = session.execute(
        select(AgencyReturn, Agency)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(AgencyReturn.id.in_(ids), AgencyReturn.status.in_(NOT_SUBMITTED))
        .order_by(Agency.name)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def reminders_for(
    session: Session,
    *,
    cycle: Cycle,
    partnership: Partnership,
    listing: Listing,
    base_url: str,
    today: date | None = None,
) -> list[tuple[Email, int]]:
    """A reminder to each lead of each return the filters match that is not yet submitted,
    with the partnership they lead it in; a return without a lead gets none."""
    today = today or date.today()
    chosen = selection(session, cycle=cycle, partnership=partnership, listing=listing)
    # Plain columns, not ORM objects: a schools round reminds 6,000 leads in one request.
    rows = session.execute(
        select(AgencyReturn.id, AgencyReturn.deadline_extended_to, Agency.id, Agency.name)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(AgencyReturn.id.in_(chosen.waiting), AgencyReturn.status.in_(NOT_SUBMITTED))
        .order_by(Agency.name)
    ).all()
    leads = agency_leads(session, {(cycle.id, agency_id) for _, _, agency_id, _ in rows})
    terms = terms_for(partnership.kind)
    emails = []
    for return_id, extended_to, agency_id, agency_name in rows:
        deadline = extended_to or cycle.deadline_on
        link = f"{base_url.rstrip('/')}/returns/{return_id}"
        for name, email, led_in in leads.get((cycle.id, agency_id), []):
            if led_in != partnership.id:
                continue  # another partnership of a joint round chases its own leads
            emails.append(
                (
                    reminder_email(
                        name=name,
                        to=email,
                        agency_name=agency_name,
                        cycle=cycle,
                        deadline=deadline,
                        today=today,
                        link=link,
                        terms=terms,
                    ),
                    led_in,
                )
            )
    return emails


def extend_selection(
    session: Session,
    *,
    cycle: Cycle,
    partnership: Partnership,
    listing: Listing,
    to: date | None,
    reason: str,
    actor: Person,
) -> int:
    """Extend the deadline of every return the filters match that is not yet submitted, each
    as if one at a time (checked, kept with its reason, audited). Returns how many."""
    chosen = selection(session, cycle=cycle, partnership=partnership, listing=listing)
    rows = _waiting_returns(session, chosen.waiting)
    if not rows:
        raise CycleError("None of the returns chosen is waiting: nothing to extend")
    for agency_return, _agency in rows:
        extend_deadline(
            session, agency_return=agency_return, cycle=cycle, to=to, reason=reason, actor=actor
        )
    return len(rows)
