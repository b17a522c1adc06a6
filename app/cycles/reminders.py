"""Reminding agency leads that their return is due: one email per reminder point reached.

Nothing is sent before its points are committed, so no two hosts running it send one twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import escape
from sqlalchemy import Insert, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Settings
from app.cycle_models import Cycle, CyclePartnership, ReminderSent
from app.cycles.deadlines import deadline_of
from app.directory.models import Agency, Membership, Partnership, Person, Role
from app.directory.terms import BoardTerms, terms_for
from app.notifications import service as notifications_service
from app.notifications.mail import Email
from app.notifications.models import SentEmail
from app.returns.models import AgencyReturn, ReturnStatus

NOT_SUBMITTED = [status for status in ReturnStatus if status.editable]


@dataclass(frozen=True)
class DueReminder:
    return_id: int
    points: list[int]  # every point reached and not yet sent: one email covers them all
    emails: list[tuple[Email, int]]  # to each lead, with the partnership they lead it in


def send_reminders(
    session_factory: Callable[[], Session], settings: Settings, *, today: date | None = None
) -> int:
    """Remind the leads of every return not yet submitted whose reminder point has come;
    returns how many reminders were queued (the workers, or the same command, send them)."""
    with session_factory() as session:
        due = due_reminders(session, settings, today=today or date.today())
    claims = [
        (
            insert(ReminderSent).values(
                [{"return_id": r.return_id, "days_before": point} for point in r.points]
            ),
            r.emails,
        )
        for r in due
    ]
    return send_once(session_factory, settings, claims, kind="reminder")


def send_once(
    session_factory: Callable[[], Session],
    settings: Settings,
    claims: list[tuple[Insert, list[tuple[Email, int]]]],
    *,
    kind: str,
) -> int:
    """Queue each group of emails once: with it goes an insert of the reminder points it
    covers, whose key makes a second host's insert fail, so that host queues nothing. Returns
    how many emails were queued."""
    queued = 0
    for points, emails in claims:
        with session_factory() as session:
            queued += len(_claim(session, points, emails, kind))
    return queued


def _claim(
    session: Session, points: Insert, emails: list[tuple[Email, int]], kind: str
) -> list[SentEmail]:
    """Commit the points and the queued emails together, or nothing if another host has."""
    # The points go first, in one statement: their key is what stops a second host, and on
    # SQLite a transaction that starts by writing waits its turn instead of failing.
    try:
        session.execute(points)
    except IntegrityError:
        session.rollback()
        return []
    records = [
        notifications_service.record(session, email, kind=kind, partnership_id=partnership)
        for email, partnership in emails
    ]
    session.commit()
    return records


def due_reminders(session: Session, settings: Settings, *, today: date) -> list[DueReminder]:
    """The reminders to send today: for each return, the most urgent point reached (an
    extension moves the points; those already sent stay sent)."""
    rows = session.execute(
        select(AgencyReturn, Cycle, Agency)
        .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(
            Cycle.opens_on <= today,
            AgencyReturn.status.in_(NOT_SUBMITTED),
            func.coalesce(AgencyReturn.deadline_extended_to, Cycle.deadline_on) >= today,
        )
        .order_by(AgencyReturn.id)
    ).all()
    return_ids = [agency_return.id for agency_return, _, _ in rows]
    already = {
        (return_id, days)
        for return_id, days in session.execute(
            select(ReminderSent.return_id, ReminderSent.days_before).where(
                ReminderSent.return_id.in_(return_ids)
            )
        )
    }
    leads = agency_leads(session, {(cycle.id, agency.id) for _, cycle, agency in rows})
    partnership_ids = {p for found in leads.values() for _name, _email, p in found}
    kinds = {
        partnership_id: kind
        for partnership_id, kind in session.execute(
            select(Partnership.id, Partnership.kind).where(Partnership.id.in_(partnership_ids))
        )
    }
    due = []
    for agency_return, cycle, agency in rows:
        deadline = deadline_of(agency_return, cycle)
        points = sorted(
            point
            for point in set(cycle.reminder_days)
            if deadline - timedelta(days=point) <= today
            and (agency_return.id, point) not in already
        )
        recipients = leads.get((cycle.id, agency.id), [])
        if points and recipients:  # with no lead yet, a lead added later is still reminded
            link = f"{settings.base_url.rstrip('/')}/returns/{agency_return.id}"
            emails = [
                (
                    reminder_email(
                        name=name,
                        to=email,
                        agency_name=agency.name,
                        cycle=cycle,
                        deadline=deadline,
                        today=today,
                        link=link,
                        terms=terms_for(kinds.get(partnership)),
                    ),
                    partnership,
                )
                for name, email, partnership in recipients
            ]
            due.append(DueReminder(agency_return.id, points, emails))
    return due


def agency_leads(
    session: Session, returns: set[tuple[int, int]]
) -> dict[tuple[int, int], list[tuple[str, str, int]]]:
    """(name, email, partnership) of each agency's leads in any partnership of the cycle."""
    rows = session.execute(
        select(
            CyclePartnership.cycle_id,
            Membership.agency_id,
            Person.name,
            Person.email,
            Membership.partnership_id,
        )
        .join(Membership, Membership.partnership_id == CyclePartnership.partnership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.role == Role.AGENCY_LEAD,
            CyclePartnership.cycle_id.in_(sorted({cycle_id for cycle_id, _ in returns})),
            Membership.agency_id.in_(sorted({agency_id for _, agency_id in returns})),
        )
        .order_by(Membership.id)
    )
    leads: dict[tuple[int, int], list[tuple[str, str, int]]] = {}
    for cycle_id, agency_id, name, email, partnership_id in rows:
        known = leads.setdefault((cycle_id, agency_id), [])
        if email not in [address for _, address, _ in known]:  # one lead in two partnerships
            known.append((name, email, partnership_id))
    return leads


def reminder_email(
    *,
    name: str,
    to: str,
    agency_name: str,
    cycle: Cycle,
    deadline: date,
    today: date,
    link: str,
    terms: BoardTerms | None = None,
) -> Email:
    words = (terms or terms_for(None)).return_name
    days = (deadline - today).days
    when = {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")
    if days < 0:  # a coordinator chasing those overdue
        when = "now: its deadline has passed"
    on = f"{deadline:%A %-d %B %Y}"
    return Email(
        to=to,
        subject=f"Reminder: {agency_name}'s {words} is due {when}",
        body=(
            f"Hello {name},\n\n"
            f"{agency_name}'s {words} for {cycle.name} has not been submitted yet. "
            f"It is due {when}, on {on}.\n\n"
            f"Carry on with it, and submit it, at {link}\n\n"
            "If you need longer, ask the partnership's business unit before the deadline.\n"
        ),
        html=(
            f"<p>Hello {escape(name)},</p>\n"
            f"<p>{escape(agency_name)}'s {words} for {escape(cycle.name)} has not been "
            f"submitted yet. It is due {when}, on <strong>{on}</strong>.</p>\n"
            f'<p><a href="{escape(link)}">Carry on with the return</a></p>\n'
            "<p>If you need longer, ask the partnership's business unit before the deadline.</p>\n"
        ),
    )
