"""The Composite Action Plan as a workbook: a row per action by theme, with its latest
progress. Never counts an action outside the reader's partnership."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.actions import composite
from app.exports.scope import Reader, Scope
from app.exports.workbooks.action_plans import (
    composite_plans,
    cycle_versions,
    latest_update,
    status_cell,
)
from app.exports.workbooks.kind import Kind, WorkbookFacts
from app.spreadsheets import Book, Column


def _write_composite_plan(session: Session, scope: Scope, book: Book) -> WorkbookFacts:
    """The partnership's plan: Section 11 actions and items from other sources, then the
    open actions by theme at the dates the page offers first, read from the history."""
    today = date.today()
    dates = composite.default_dates(scope.cycle, today)
    plans = composite_plans(session, scope)
    sheet = book.sheet(
        "Composite Action Plan",
        [
            Column("Partnership", 30, wrap=True),
            Column("Source", 22, wrap=True),
            Column("Agency", 30, wrap=True),
            Column("Recommendation or item", 50, wrap=True),
            Column("Action", 50, wrap=True),
            Column("Theme", 28, wrap=True),
            Column("Priority", 28, wrap=True),
            Column("Owner", 28, wrap=True),
            Column("Due", 12),
            Column("Status", 14),
            Column("Latest progress note", 50, wrap=True),
        ],
    )
    returns: set[int] = set()
    for partnership, plan in plans:
        for item in plan.items:
            action = item.action
            if item.recommendation is not None:
                returns.add(item.recommendation.return_id)
            note, _when = latest_update(plan, action.id)
            sheet.add(
                [
                    partnership.name,
                    action.source.label,
                    item.agency.name if item.agency else "",
                    item.recommendation.worry_statement if item.recommendation else "",
                    action.description,
                    item.theme,
                    item.priority,
                    action.owner,
                    action.due_on,
                    status_cell(action, today),
                    note,
                ]
            )
    counts_sheet = book.sheet(
        "Open by theme",
        [
            Column("Partnership", 30, wrap=True),
            Column("Theme", 36, wrap=True),
            *(Column(f"Open on {day:%-d %b %Y}", 16) for day in dates),
        ],
    )
    for partnership, plan in plans:
        counts, totals = composite.open_by_theme(session, plan=plan, dates=dates)
        for row in counts:
            counts_sheet.add([partnership.name, row.theme or "No theme", *row.open_at])
        counts_sheet.add([partnership.name, "All themes", *totals])
    notes = [
        (
            "Open by theme",
            "Counted from each action's recorded history: open from the day its "
            "plan was agreed (or the item was added) until an update marked it complete.",
        ),
    ]
    return WorkbookFacts(len(returns), cycle_versions(session, scope), notes=notes)


COMPOSITE_ACTION_PLAN = Kind(
    "composite-action-plan",
    "Composite Action Plan",
    frozenset({Reader.PARTNERSHIP, Reader.OPERATOR}),
    _write_composite_plan,
)
