"""The round's invitation to each agency's leads: the link to their return, the deadline and
the cycle's guidance. Never sends mail itself: it returns the emails to send."""

from __future__ import annotations

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
from app.surveys.models import Survey, SurveyLink


@dataclass(frozen=True)
class LeadInvitation:
    """An email inviting an agency's lead, kept with its agency so that, if the mail server
    refuses it, the page can say whose invitation has not gone."""

    agency: Agency
    email: Email


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
    surveys = _survey_links(session, cycle)
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
                        surveys.get(agency.id),
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


def _survey_links(session: Session, cycle: Cycle) -> dict[int, tuple[str, Survey]]:
    """Each agency's frontline survey link, when the round has a survey not closed."""
    rows = session.execute(
        select(SurveyLink.agency_id, SurveyLink.token, Survey)
        .join(Survey, Survey.id == SurveyLink.survey_id)
        .where(
            Survey.cycle_id == cycle.id,
            Survey.closed_at.is_(None),
            SurveyLink.replaced_at.is_(None),
            SurveyLink.agency_id.is_not(None),
        )
    )
    return {agency_id: (token, survey) for agency_id, token, survey in rows}


def _survey_paragraph(survey: tuple[str, Survey] | None, base_url: str) -> tuple[str, str]:
    """The survey's link for the lead to pass to frontline staff: as text, and as HTML."""
    if survey is None:
        return "", ""
    token, row = survey
    link = f"{base_url.rstrip('/')}/survey/{token}"
    when = f"{row.opens_on:%-d %B} to {row.closes_on:%-d %B %Y}"
    words = (
        "Please also pass this link to your frontline staff and volunteers: an anonymous survey "
        f"about safeguarding in your organisation, open from {when}"
    )
    return (
        f"{words}:\n\n{link}\n\n",
        f'<p>{escape(words)}: <a href="{escape(link)}">{escape(link)}</a></p>',
    )


def _round_invitation(
    cycle: Cycle,
    agency_return: AgencyReturn,
    agency: Agency,
    name: str,
    to: str,
    base_url: str,
    terms: BoardTerms,
    survey: tuple[str, Survey] | None = None,
) -> Email:
    link = f"{base_url.rstrip('/')}/returns/{agency_return.id}"
    survey_text, survey_html = _survey_paragraph(survey, base_url)
    deadline = f"{deadline_of(agency_return, cycle):%-d %B %Y}"
    text = (
        f"Hello {name},\n\n{cycle.name} is open. Please complete {agency.name}'s "
        f"{terms.self_assessment} by {deadline}:\n\n{link}\n\n"
        + (f"{cycle.guidance}\n\n" if cycle.guidance else "")
        + survey_text
        + "You can invite colleagues to help; only you, as safeguarding lead, submit it.\n"
    )
    html = (
        f"<p>Hello {escape(name)},</p><p>{escape(cycle.name)} is open. Please complete "
        f"{escape(agency.name)}'s {terms.self_assessment} by <strong>{deadline}</strong>.</p>"
        f'<p><a href="{escape(link)}">Open your return</a></p>'
        + "".join(f"<p>{escape(line)}</p>" for line in cycle.guidance.splitlines() if line)
        + survey_html
        + "<p>You can invite colleagues to help; only you, as safeguarding lead, submit it.</p>"
    )
    return Email(
        to=to, subject=f"{cycle.name}: your agency's {terms.return_name}", body=text, html=html
    )
