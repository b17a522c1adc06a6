"""Reminding agency leads that an agreed action is due soon: one email per reminder point, sent
the way return reminders are (points committed before sending, so no two hosts send one twice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.actions.models import Action, ActionPlan, ActionReminderSent, ActionStatus, PlanStatus
from app.config import Settings
from app.cycle_models import Cycle
from app.cycles.reminders import agency_leads, send_once
from app.directory.models import Agency, Partnership
from app.directory.terms import BoardTerms, terms_for
from app.notifications.mail import Email
from app.returns.models import AgencyReturn


@dataclass(frozen=True)
class DueAction:
    action_id: int
    points: list[int]
    emails: list[tuple[Email, int]]  # to each lead, with the partnership they lead it in


def send_action_reminders(
    session_factory: Callable[[], Session], settings: Settings, *, today: date | None = None
) -> int:
    """Remind the leads of each agreed action not complete whose point has come; returns how
    many reminders the mail server took."""
    with session_factory() as session:
        due = due_actions(session, settings, today=today or date.today())
    claims = [
        (
            insert(ActionReminderSent).values(
                [{"action_id": d.action_id, "days_before": point} for point in d.points]
            ),
            d.emails,
        )
        for d in due
    ]
    return send_once(session_factory, settings, claims, kind="action_reminder")


def due_actions(session: Session, settings: Settings, *, today: date) -> list[DueAction]:
    """Agreed actions, not complete, due within the furthest reminder point and not yet past."""
    furthest = max(settings.action_reminder_days, default=0)
    rows = session.execute(
        select(Action, Agency, Cycle, AgencyReturn.id)
        .join(ActionPlan, ActionPlan.id == Action.plan_id)
        .join(AgencyReturn, AgencyReturn.id == ActionPlan.return_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
        .where(
            ActionPlan.status == PlanStatus.AGREED,
            Action.status != ActionStatus.COMPLETE,
            Action.due_on >= today,
            Action.due_on <= today + timedelta(days=furthest),
        )
        .order_by(Action.id)
    ).all()
    already = {
        (action_id, days)
        for action_id, days in session.execute(
            select(ActionReminderSent.action_id, ActionReminderSent.days_before).where(
                ActionReminderSent.action_id.in_([action.id for action, _, _, _ in rows])
            )
        )
    }
    leads = agency_leads(session, {(cycle.id, agency.id) for _, agency, cycle, _ in rows})
    boards = {
        p.id: terms_for(p)
        for p in session.scalars(
            select(Partnership).where(
                Partnership.id.in_({pid for found in leads.values() for _, _, pid in found})
            )
        )
    }
    due = []
    for action, agency, cycle, return_id in rows:
        points = sorted(
            point
            for point in set(settings.action_reminder_days)
            if action.due_on - timedelta(days=point) <= today and (action.id, point) not in already
        )
        if not points:
            continue
        base = settings.base_url.rstrip("/")
        link = f"{base}/returns/{return_id}/action-plan/actions/{action.id}"
        emails = [
            (
                action_due_email(
                    name, address, agency, action, today, link, terms=boards[partnership_id]
                ),
                partnership_id,
            )
            for name, address, partnership_id in leads.get((cycle.id, agency.id), [])
        ]
        if emails:
            due.append(DueAction(action.id, points, emails))
    return due


def action_due_email(
    name: str,
    to: str,
    agency: Agency,
    action: Action,
    today: date,
    link: str,
    *,
    terms: BoardTerms,
) -> Email:
    days = (action.due_on - today).days
    when = {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")
    on = f"{action.due_on:%A %-d %B %Y}"
    return Email(
        to=to,
        subject=f"Reminder: an action in {agency.name}'s {terms.work} action plan is due {when}",
        body=(
            f"Hello {name},\n\n"
            f"This action in {agency.name}'s agreed action plan is due {when}, on {on}:\n\n"
            f"{action.description}\n\nOwner: {action.owner}\n"
            f"Status: {action.status.label}\n\n"
            f"Record progress, or mark it complete, at {link}\n"
        ),
    )
