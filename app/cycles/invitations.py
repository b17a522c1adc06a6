"""The round's invitation to each agency's leads: the link to their return, the deadline and
the cycle's guidance. Never sends mail itself: it returns the emails to send."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.models import Invitation
from app.cycle_models import (
    Cycle,
)
from app.cycles.deadlines import deadline_of
from app.cycles.service import own_agencies
from app.db import utcnow
from app.directory.models import (
    Agency,
    Membership,
    Partnership,
    Person,
    Role,
)
from app.directory.terms import BoardTerms, terms_for
from app.notifications.mail import Email
from app.returns.models import AgencyReturn


@dataclass(frozen=True)
class LeadInvitation:
    """An email inviting an agency's lead, kept with its agency so that, if the mail server
    refuses it, the page can say whose invitation has not gone."""

    agency: Agency
    email: Email


# What a module above cycles adds to each agency's round invitation, as (text, HTML) by agency
# id: the frontline survey's link (app/surveys/invitations.py), registered by that module.
InvitationAddition = Callable[[Session, Cycle, str], dict[int, tuple[str, str]]]
INVITATION_ADDITIONS: dict[str, InvitationAddition] = {}


def invite_leads(
    session: Session, *, cycle: Cycle, partnership: Partnership, base_url: str, actor: Person
) -> list[LeadInvitation]:
    """The round's invitation to the lead of each of the partnership's agencies not yet sent
    one: the link to their return, the deadline and the cycle's guidance."""
    rows = session.execute(
        select(AgencyReturn, Agency)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(
            AgencyReturn.cycle_id == cycle.id,
            AgencyReturn.invited_at.is_(None),
            Agency.id.in_(own_agencies(partnership)),
        )
        .order_by(Agency.name)
    ).all()
    addresses = _lead_addresses(session, partnership, [agency.id for _, agency in rows])
    added = [add(session, cycle, base_url) for add in INVITATION_ADDITIONS.values()]
    invitations = []
    terms = terms_for(partnership)
    for agency_return, agency in rows:
        for name, address in addresses.get(agency.id, []):
            invitations.append(
                LeadInvitation(
                    agency,
                    _round_invitation(
                        cycle,
                        agency_return,
                        agency,
                        name,
                        address,
                        base_url,
                        terms,
                        [paragraphs[agency.id] for paragraphs in added if agency.id in paragraphs],
                    ),
                )
            )
        if agency.id in addresses:
            agency_return.invited_at = utcnow()
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="round_invitations_sent",
        object_type="cycle",
        object_id=cycle.id,
        detail={"partnership_id": partnership.id, "emails": len(invitations)},
    )
    return invitations


def _lead_addresses(
    session: Session, partnership: Partnership, agency_ids: list[int]
) -> dict[int, list[tuple[str, str]]]:
    """Each agency's leads here: people in the role, and leads invited but not yet joined."""
    found: dict[int, list[tuple[str, str]]] = {}
    people = session.execute(
        select(Membership.agency_id, Person.name, Person.email)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.partnership_id == partnership.id,
            Membership.role == Role.AGENCY_LEAD,
            Membership.agency_id.in_(agency_ids),
        )
    )
    waiting = session.execute(
        select(Invitation.agency_id, Invitation.name, Invitation.email).where(
            Invitation.partnership_id == partnership.id,
            Invitation.role == Role.AGENCY_LEAD,
            Invitation.agency_id.in_(agency_ids),
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    for agency_id, name, email in [*people, *waiting]:
        if email not in [address for _, address in found.get(agency_id, [])]:
            found.setdefault(agency_id, []).append((name, email))
    return found


def _round_invitation(
    cycle: Cycle,
    agency_return: AgencyReturn,
    agency: Agency,
    name: str,
    to: str,
    base_url: str,
    terms: BoardTerms,
    added: Sequence[tuple[str, str]] = (),
) -> Email:
    link = f"{base_url.rstrip('/')}/returns/{agency_return.id}"
    added_text, added_html = "".join(t for t, _ in added), "".join(h for _, h in added)
    deadline = f"{deadline_of(agency_return, cycle):%-d %B %Y}"
    text = (
        f"Hello {name},\n\n{cycle.name} is open. Please complete {agency.name}'s "
        f"{terms.self_assessment} by {deadline}:\n\n{link}\n\n"
        + (f"{cycle.guidance}\n\n" if cycle.guidance else "")
        + added_text
        + "You can invite colleagues to help; only you, as safeguarding lead, submit it.\n"
    )
    html = (
        f"<p>Hello {escape(name)},</p><p>{escape(cycle.name)} is open. Please complete "
        f"{escape(agency.name)}'s {terms.self_assessment} by <strong>{deadline}</strong>.</p>"
        f'<p><a href="{escape(link)}">Open your return</a></p>'
        + "".join(f"<p>{escape(line)}</p>" for line in cycle.guidance.splitlines() if line)
        + added_html
        + "<p>You can invite colleagues to help; only you, as safeguarding lead, submit it.</p>"
    )
    return Email(
        to=to, subject=f"{cycle.name}: your agency's {terms.return_name}", body=text, html=html
    )
