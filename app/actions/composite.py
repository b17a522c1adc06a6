"""The partnership's Composite Action Plan: every open action by theme at any past date, its
own items and what needs attention. Never counts an action before it existed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.actions.models import (
    Action,
    ActionPlan,
    ActionSource,
    ActionStatus,
    ActionUpdate,
    PlanStatus,
    Recommendation,
)
from app.actions.plans import AFTER_FEEDBACK
from app.actions.progress import (
    ActionDraft,
    Shown,
    check_action,
    latest_notes,
    record_action_event,
    shown_status,
    start_history,
)
from app.cycle_models import Cycle, CyclePartnership
from app.db import aware, utcnow
from app.directory.models import Agency, Partnership, PartnershipAgency, Person, Role
from app.returns.models import AgencyReturn

LONDON = ZoneInfo("Europe/London")


def follows_action_plans(person: Person, partnership: Partnership | None) -> bool:
    """Coordinators and the independent chair follow every agency's plan in their partnership."""
    if partnership is None:
        return False
    return any(
        m.role in (Role.COORDINATOR, Role.CHAIR) and m.partnership_id == partnership.id
        for m in person.memberships
    )


def section_11_actions(partnership: Partnership):  # type: ignore[no-untyped-def]
    """Actions of agreed plans of this partnership's agencies, in cycles it takes part in: a
    plan not yet agreed is still the agency's draft, not part of the partnership's plan."""
    return (
        select(Action, Recommendation, Agency, AgencyReturn.id, ActionPlan.agreed_at)
        .join(ActionPlan, ActionPlan.id == Action.plan_id)
        .join(Recommendation, Recommendation.id == Action.recommendation_id)
        .join(AgencyReturn, AgencyReturn.id == Recommendation.return_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .join(
            CyclePartnership,
            (CyclePartnership.cycle_id == AgencyReturn.cycle_id)
            & (CyclePartnership.partnership_id == partnership.id),
        )
        .where(
            ActionPlan.status == PlanStatus.AGREED,
            Agency.id.in_(
                select(PartnershipAgency.agency_id).where(
                    PartnershipAgency.partnership_id == partnership.id
                )
            ),
        )
    )


@dataclass(frozen=True)
class PlanItem:
    """One line of the Composite Action Plan: an action, where it came from and whose it is."""

    action: Action
    theme: str
    priority: str
    agency: Agency | None  # None for an item from another source
    recommendation: Recommendation | None
    return_id: int | None
    starts_at: datetime  # in the partnership's plan from: its plan's agreement, or its adding

    @classmethod
    def of_agency(cls, row) -> PlanItem:  # type: ignore[no-untyped-def]
        action, recommendation, agency, return_id, agreed_at = row
        return cls(
            action,
            recommendation.theme,
            recommendation.priority,
            agency,
            recommendation,
            return_id,
            agreed_at or action.created_at,
        )

    @classmethod
    def of_partnership(cls, action: Action) -> PlanItem:
        return cls(
            action, action.theme or "", action.priority or "", None, None, None, action.created_at
        )


@dataclass
class CompositePlan:
    cycle: Cycle
    items: list[PlanItem]
    recommendations: list[tuple[Recommendation, Agency, list[PlanItem]]]  # Section 11
    others: list[PlanItem]  # from other sources
    latest: dict[int, ActionUpdate]


def plan_recommendations(cycle: Cycle, partnership: Partnership):  # type: ignore[no-untyped-def]
    """(Recommendation, Agency) of the cycle's plan: its agencies' returns past feedback."""
    return (
        select(Recommendation, Agency)
        .join(AgencyReturn, AgencyReturn.id == Recommendation.return_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(
            AgencyReturn.cycle_id == cycle.id,
            AgencyReturn.status.in_(AFTER_FEEDBACK),  # agreed, not still being drafted
            Agency.id.in_(
                select(PartnershipAgency.agency_id).where(
                    PartnershipAgency.partnership_id == partnership.id
                )
            ),
        )
    )


def composite_plan(session: Session, *, cycle: Cycle, partnership: Partnership) -> CompositePlan:
    """Every Section 11 recommendation of the cycle with its actions, and every item the
    partnership added from other sources. A fixed number of statements, whatever the size."""
    recommendations = list(
        session.execute(
            plan_recommendations(cycle, partnership).order_by(
                Recommendation.theme, Agency.name, Recommendation.id
            )
        )
    )
    by_recommendation: dict[int, list[PlanItem]] = defaultdict(list)
    items: list[PlanItem] = []
    for row in session.execute(
        section_11_actions(partnership)
        .where(AgencyReturn.cycle_id == cycle.id)
        .order_by(Action.due_on, Action.id)
    ):
        item = PlanItem.of_agency(row)
        assert item.recommendation is not None
        by_recommendation[item.recommendation.id].append(item)
        items.append(item)
    others = other_items(session, cycle=cycle, partnership=partnership)
    items.extend(others)
    return CompositePlan(
        cycle,
        items,
        [(r, agency, by_recommendation.get(r.id, [])) for r, agency in recommendations],
        others,
        latest_notes(session, [item.action.id for item in items]),
    )


def other_items(session: Session, *, cycle: Cycle, partnership: Partnership) -> list[PlanItem]:
    """The items the partnership added to the cycle's plan from other sources."""
    return [
        PlanItem.of_partnership(action)
        for action in session.scalars(
            select(Action)
            .where(
                Action.cycle_id == cycle.id,
                Action.partnership_id == partnership.id,
                Action.plan_id.is_(None),
            )
            .order_by(Action.theme, Action.due_on, Action.id)
        )
    ]


def cycle_of(session: Session, action: Action) -> Cycle:
    cycle = session.get(Cycle, action.cycle_id)
    assert cycle is not None
    return cycle


def default_dates(cycle: Cycle, today: date) -> list[date]:
    """Where nobody chose dates: the end of the panels, every six months after, and today,
    like the columns of a Composite Action Plan taken to the partnership through the year."""
    start = cycle.panel_ends_on or cycle.deadline_on
    dates = [start + timedelta(days=182 * step) for step in range(3)]
    return [day for day in dates if day < today] + [today]


@dataclass(frozen=True)
class ThemeCounts:
    theme: str
    open_at: list[int]  # open actions at each chosen date, in order


def open_by_theme(
    session: Session, *, plan: CompositePlan, dates: list[date]
) -> tuple[list[ThemeCounts], list[int]]:
    """How many actions were open under each theme at the end of each date, read from the
    recorded history: an action is open from when it was added until an update completes it."""
    ids = [item.action.id for item in plan.items]
    history: dict[int, list[ActionUpdate]] = defaultdict(list)
    if ids:
        for update in session.scalars(
            select(ActionUpdate)
            .where(ActionUpdate.action_id.in_(ids))
            .order_by(ActionUpdate.made_at, ActionUpdate.id)
        ):
            history[update.action_id].append(update)
    themes = list(dict.fromkeys([*plan.cycle.themes, *(item.theme for item in plan.items)]))
    counts = {theme: [0] * len(dates) for theme in themes}
    for index, day in enumerate(dates):
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=LONDON)  # a UK day
        for item in plan.items:
            if aware(item.starts_at) >= end:
                continue
            said = [u for u in history.get(item.action.id, []) if aware(u.made_at) < end]
            if not said or said[-1].status is not ActionStatus.COMPLETE:
                counts[item.theme][index] += 1
    rows = [ThemeCounts(theme, counts[theme]) for theme in themes]
    totals = [sum(row.open_at[i] for row in rows) for i in range(len(dates))]
    return rows, totals


@dataclass(frozen=True)
class ItemDraft:
    source: str = ""
    description: str = ""
    theme: str = ""
    priority: str = ""
    owner: str = ""
    due_on: date | None = None
    success_measure: str = ""

    @property
    def action(self) -> ActionDraft:
        return ActionDraft(self.description, self.owner, self.due_on, self.success_measure)


OTHER_SOURCES = [source for source in ActionSource if source is not ActionSource.SECTION_11]


def check_item(
    draft: ItemDraft, *, cycle: Cycle, today: date, due_error: str | None = None
) -> dict[str, str]:
    errors = {}
    if draft.source not in {source.value for source in OTHER_SOURCES}:
        errors["source"] = "Select where the item comes from"
    errors.update(check_action(draft.action, today=today, due_error=due_error))
    if draft.theme not in cycle.themes:
        errors["theme"] = "Select the Composite Action Plan theme it belongs to"
    if draft.priority not in cycle.priorities:
        errors["priority"] = "Select the partnership priority it belongs to"
    return errors


def add_item(
    session: Session, *, cycle: Cycle, partnership: Partnership, draft: ItemDraft, actor: Person
) -> Action:
    """An item from another source (an audit, a scrutiny, a review), in the partnership's plan."""
    assert draft.due_on is not None
    action = Action(
        cycle_id=cycle.id,
        partnership_id=partnership.id,
        source=ActionSource(draft.source),
        theme=draft.theme,
        priority=draft.priority,
        description=draft.description.strip(),
        owner=draft.owner.strip(),
        due_on=draft.due_on,
        success_measure=draft.success_measure.strip(),
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    session.add(action)
    session.flush()
    start_history(session, action, actor)
    record_action_event(session, actor, "composite_item_added", action, source=draft.source)
    return action


def item_for(session: Session, *, partnership: Partnership, action_id: int) -> Action | None:
    """An item the partnership added from another source; any other id finds nothing."""
    return session.scalar(
        select(Action).where(
            Action.id == action_id,
            Action.partnership_id == partnership.id,
            Action.plan_id.is_(None),
        )
    )


@dataclass(frozen=True)
class Attention:
    item: PlanItem
    shown: Shown
    cycle: Cycle
    latest: ActionUpdate | None


def needing_attention(
    session: Session, *, partnership: Partnership, today: date
) -> list[Attention]:
    """Every overdue or at-risk action across the partnership's agencies and its own items,
    overdue first, the longest overdue at the top."""
    cycles = {
        cycle.id: cycle
        for cycle in session.scalars(
            select(Cycle)
            .join(CyclePartnership, CyclePartnership.cycle_id == Cycle.id)
            .where(CyclePartnership.partnership_id == partnership.id)
        )
    }
    worrying = (Action.status == ActionStatus.AT_RISK) | (Action.due_on < today)
    items = [
        PlanItem.of_agency(row)
        for row in session.execute(
            section_11_actions(partnership).where(Action.status != ActionStatus.COMPLETE, worrying)
        )
    ]
    items += [
        PlanItem.of_partnership(action)
        for action in session.scalars(
            select(Action).where(
                Action.partnership_id == partnership.id,
                Action.plan_id.is_(None),
                Action.status != ActionStatus.COMPLETE,
                worrying,
            )
        )
    ]
    latest = latest_notes(session, [item.action.id for item in items])
    result = [
        Attention(
            item,
            shown_status(item.action, today),
            cycles[item.action.cycle_id],
            latest.get(item.action.id),
        )
        for item in items
        if item.action.cycle_id in cycles
    ]
    result.sort(key=lambda a: (a.shown.key != "overdue", a.item.action.due_on, a.item.action.id))
    return result
