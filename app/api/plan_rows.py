"""Recommendations once feedback is issued, the Composite Action Plan's actions with their
latest progress, and its open actions by theme and date, as the partnership's pages show them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.actions.models import Recommendation
from app.api import sources
from app.api.rows import (
    DAY,
    MOMENT,
    NUMBER,
    TEXT,
    Field,
    Key,
    Row,
    Scope,
    after_key,
    fields_of,
    own_cycles,
    returns_in,
    stream,
    utc,
)
from app.cycle_models import Cycle
from app.directory.models import Agency, Partnership
from app.returns.models import AgencyReturn

# Recommendations ---------------------------------------------------------------------------

RECOMMENDATION_FIELDS = fields_of(
    ("id", NUMBER),
    ("return_id", NUMBER),
    ("cycle_id", NUMBER),
    ("agency_id", NUMBER),
    ("agency_name", TEXT),
    ("item", TEXT),
    ("worry_statement", TEXT),
    ("safety_goal", TEXT),
    ("next_steps", TEXT),
    ("priority", TEXT),
    ("theme", TEXT),
    ("created_at", MOMENT),
)


def recommendations(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
    """Recommendations once feedback is issued: before then they are the panel's draft."""
    query = (
        select(Recommendation, AgencyReturn.cycle_id, AgencyReturn.agency_id, Agency.name)
        .join(AgencyReturn, AgencyReturn.id == Recommendation.return_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(
            returns_in(scope),
            AgencyReturn.status.in_(sources.AFTER_FEEDBACK),
            after_key(Recommendation.id, after),
        )
        .order_by(Recommendation.id)
    )
    for recommendation, cycle_id, agency_id, agency in stream(session, query):
        yield (
            (recommendation.id,),
            {
                "id": recommendation.id,
                "return_id": recommendation.return_id,
                "cycle_id": cycle_id,
                "agency_id": agency_id,
                "agency_name": agency,
                "item": recommendation.item,
                "worry_statement": recommendation.worry_statement,
                "safety_goal": recommendation.safety_goal,
                "next_steps": recommendation.next_steps,
                "priority": recommendation.priority,
                "theme": recommendation.theme,
                "created_at": utc(recommendation.created_at),
            },
        )


# Actions and the Composite Action Plan -------------------------------------------------------

ACTION_FIELDS = fields_of(
    ("id", NUMBER),
    ("cycle_id", NUMBER),
    ("source", TEXT),
    ("agency_id", NUMBER),
    ("agency_name", TEXT),
    ("return_id", NUMBER),
    ("recommendation_id", NUMBER),
    ("description", TEXT),
    ("owner", TEXT),
    ("due_on", DAY),
    ("status", TEXT),
    ("status_label", TEXT),
    ("theme", TEXT),
    ("priority", TEXT),
    ("success_measure", TEXT),
    ("latest_progress", TEXT),
    ("latest_progress_at", MOMENT),
)


def _cycles_of(session: Session, scope: Scope) -> tuple[Partnership, list[Cycle]]:
    partnership = session.get(Partnership, scope.partnership_id)
    assert partnership is not None
    cycles = session.scalars(
        select(Cycle).where(Cycle.id.in_(own_cycles(scope))).order_by(Cycle.id)
    )
    return partnership, list(cycles)


def actions(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
    """The Composite Action Plan's actions, as its page lists them: agreed agency plans'
    actions and the partnership's own items. Tens a cycle, so read a cycle at a time."""
    partnership, cycles = _cycles_of(session, scope)
    today = date.today()
    rows: list[tuple[Key, Row]] = []
    for cycle in cycles:
        plan = sources.composite_plan(session, cycle=cycle, partnership=partnership)
        for item in plan.items:
            action = item.action
            if after is not None and (action.id,) <= after:
                continue
            shown = sources.shown_status(action, today)
            recommendation = item.recommendation
            latest = plan.latest.get(action.id)
            rows.append(
                (
                    (action.id,),
                    {
                        "id": action.id,
                        "cycle_id": cycle.id,
                        "source": action.source.value,
                        "agency_id": item.agency.id if item.agency else None,
                        "agency_name": item.agency.name if item.agency else None,
                        "return_id": item.return_id,
                        "recommendation_id": recommendation.id if recommendation else None,
                        "description": action.description,
                        "owner": action.owner,
                        "due_on": action.due_on,
                        "status": shown.key,
                        "status_label": shown.label,
                        "theme": item.theme,
                        "priority": item.priority,
                        "success_measure": action.success_measure,
                        "latest_progress": latest.note if latest else None,
                        "latest_progress_at": utc(latest.made_at) if latest else None,
                    },
                )
            )
    yield from sorted(rows, key=lambda pair: pair[0])


THEME_COUNT_FIELDS = (
    Field("cycle_id", NUMBER, nullable=False),
    Field("theme", TEXT, nullable=False),
    Field("on_date", DAY, nullable=False),
    Field("open_actions", NUMBER),
)


def theme_counts(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
    """Open actions under each theme at the end of the dates the Composite Action Plan's page
    offers first (the panels' end, every six months after, today), read from the history."""
    partnership, cycles = _cycles_of(session, scope)
    today = date.today()
    for cycle in cycles:
        if after is not None and cycle.id < after[0]:
            continue
        plan = sources.composite_plan(session, cycle=cycle, partnership=partnership)
        dates = sources.default_dates(cycle, today)
        counts, _totals = sources.open_by_theme(session, plan=plan, dates=dates)
        for t, row in enumerate(counts):
            for d, day in enumerate(dates):
                key = (cycle.id, t, d)
                if after is not None and key <= after:
                    continue
                yield (
                    key,
                    {
                        "cycle_id": cycle.id,
                        "theme": row.theme or "No theme",
                        "on_date": day,
                        "open_actions": row.open_at[d],
                    },
                )
