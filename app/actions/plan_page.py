"""The Composite Action Plan's page at any size: its recommendations searched, filtered, sorted
and paged in SQL, and its open actions by theme counted in SQL. Never loads the whole plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from app.actions.composite import (
    LONDON,
    PlanItem,
    ThemeCounts,
    other_items,
    plan_recommendations,
    section_11_actions,
)
from app.actions.listing import RecommendationRow
from app.actions.models import (
    Action,
    ActionPlan,
    ActionStatus,
    ActionUpdate,
    PlanStatus,
    Recommendation,
)
from app.actions.progress import latest_notes
from app.cycle_models import Cycle
from app.directory.models import Agency, AgencySector, Partnership, SchoolType
from app.listing import Listing, Page, last_page
from app.returns.models import AgencyReturn

# Why SQL and not summary rows: a plan of thousands of recommendations is read a page at a
# time, and its counts at chosen dates are read from the actions' history, which a summary row
# could only hold for dates fixed in advance. The database filters, orders and counts; Python
# sees one page and one row per theme and date.


@dataclass(frozen=True)
class PlanPage:
    """What the page shows of a plan besides its page of recommendations: how many it holds
    in all and the items from other sources (a partnership adds a handful, not thousands)."""

    cycle: Cycle
    recommendations: int  # in the whole plan, before any filter
    others: list[PlanItem]
    latest: dict[int, ActionUpdate]


def _recommendations(cycle: Cycle, partnership: Partnership) -> Select[Any]:
    return plan_recommendations(cycle, partnership)  # type: ignore[no-any-return]


def plan_page(session: Session, *, cycle: Cycle, partnership: Partnership) -> PlanPage:
    total = session.scalar(
        select(func.count()).select_from(_recommendations(cycle, partnership).subquery())
    )
    others = other_items(session, cycle=cycle, partnership=partnership)
    return PlanPage(
        cycle, total or 0, others, latest_notes(session, [item.action.id for item in others])
    )


def themes_of(session: Session, *, cycle: Cycle, partnership: Partnership) -> list[str]:
    """The themes the plan's recommendations hold, for the theme filter."""
    query = _recommendations(cycle, partnership).subquery()
    found = session.scalars(select(query.c.theme).distinct())
    return sorted({theme for theme in found if theme}, key=str.casefold)


def _agreed_action(*conditions: Any) -> Any:
    """An action of an agreed plan answering the recommendation, as the plan lists them."""
    return exists(
        select(Action.id)
        .join(ActionPlan, ActionPlan.id == Action.plan_id)
        .where(
            Action.recommendation_id == Recommendation.id,
            ActionPlan.status == PlanStatus.AGREED,
            *conditions,
        )
    )


def recommendations_page(
    session: Session, *, cycle: Cycle, partnership: Partnership, listing: Listing, today: date
) -> Page[RecommendationRow]:
    """One page of the plan's recommendations with their actions, as listing.recommendations_page
    gives it from the whole plan: the same filters, order and paging, done by the database."""
    query = _recommendations(cycle, partnership)
    if listing.search:
        query = query.where(func.lower(Agency.name).contains(listing.search.lower()))
    if "sector" in listing.filters:
        query = query.where(Agency.sector == AgencySector(listing.filters["sector"]))
    if "school_type" in listing.filters:
        query = query.where(Agency.school_type == SchoolType(listing.filters["school_type"]))
    if "theme" in listing.filters:
        query = query.where(Recommendation.theme == listing.filters["theme"])
    actions = listing.filters.get("actions")
    if actions == "none":
        query = query.where(~_agreed_action())
    elif actions == "attention":
        # What shown_status calls overdue or at risk.
        query = query.where(
            _agreed_action(
                (Action.status == ActionStatus.AT_RISK)
                | ((Action.status != ActionStatus.COMPLETE) & (Action.due_on < today))
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    listing = last_page(listing, total)
    theme, name, priority = (
        func.lower(Recommendation.theme),
        func.lower(Agency.name),
        func.lower(Recommendation.priority),
    )
    order = {
        "agency": [name, theme, Recommendation.id],
        "priority": [priority, name, Recommendation.id],
    }.get(listing.sort, [theme, name, Recommendation.id])
    if listing.descending:
        order = [column.desc() for column in order]
    rows = session.execute(
        query.order_by(*order).offset(listing.offset).limit(listing.per_page)
    ).all()
    ids = [recommendation.id for recommendation, _agency in rows]
    items: dict[int, list[PlanItem]] = {}
    if ids:
        for row in session.execute(
            section_11_actions(partnership)
            .where(AgencyReturn.cycle_id == cycle.id, Action.recommendation_id.in_(ids))
            .order_by(Action.due_on, Action.id)
        ):
            item = PlanItem.of_agency(row)
            items.setdefault(row[1].id, []).append(item)
    return Page(
        [(r, agency, items.get(r.id, [])) for r, agency in rows],
        total,
        listing,
    )


def theme_counts(
    session: Session, *, cycle: Cycle, partnership: Partnership, dates: list[date]
) -> tuple[list[ThemeCounts], list[int]]:
    """composite.open_by_theme counted by the database: under each theme, the actions open at
    the end of each date (added by then, and not completed by their last update before it)."""
    section_11 = (
        section_11_actions(partnership)
        .where(AgencyReturn.cycle_id == cycle.id)
        .with_only_columns(
            Action.id,
            Recommendation.theme.label("theme"),
            func.coalesce(ActionPlan.agreed_at, Action.created_at).label("starts_at"),
        )
    )
    others = select(
        Action.id, func.coalesce(Action.theme, "").label("theme"), Action.created_at
    ).where(
        Action.cycle_id == cycle.id,
        Action.partnership_id == partnership.id,
        Action.plan_id.is_(None),
    )
    actions = section_11.union_all(others).subquery()
    found_themes = sorted(
        set(session.scalars(select(actions.c.theme).distinct())) - set(cycle.themes)
    )
    themes = list(dict.fromkeys([*cycle.themes, *found_themes]))
    counts = {theme: [0] * len(dates) for theme in themes}
    for index, day in enumerate(dates):
        # The end of a UK day, as UTC: SQLite keeps every moment as UTC without its zone.
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=LONDON).astimezone(UTC)
        last_said = (
            select(ActionUpdate.status)
            .where(ActionUpdate.action_id == actions.c.id, ActionUpdate.made_at < end)
            .order_by(ActionUpdate.made_at.desc(), ActionUpdate.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        for theme, number in session.execute(
            select(actions.c.theme, func.count())
            .where(
                actions.c.starts_at < end,
                # No update yet, or the last one before the date did not complete it.
                (last_said.is_(None)) | (last_said != ActionStatus.COMPLETE),
            )
            .group_by(actions.c.theme)
        ):
            counts.setdefault(theme, [0] * len(dates))[index] += number
    rows = [ThemeCounts(theme, counts[theme]) for theme in counts]
    totals = [sum(row.open_at[i] for row in rows) for i in range(len(dates))]
    return rows, totals
