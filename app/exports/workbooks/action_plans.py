"""Every agency's action plan as a workbook, an action a row with its latest progress.
Never holds a plan still being written: only agreed plans, as the Composite Action Plan."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.actions import composite, progress
from app.cycle_models import CyclePartnership
from app.directory.models import Partnership
from app.exports.gather import uk_time
from app.exports.scope import Reader, Scope
from app.exports.workbooks.kind import Kind, WorkbookFacts
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.schema import LevelColour
from app.spreadsheets import Book, Column, Rated

# Each status's tag colour on screen (progress.SHOWN), as the cell's fill.
STATUS_COLOURS = {
    "not_started": LevelColour.GREY,
    "on_track": LevelColour.GREEN,
    "at_risk": LevelColour.AMBER,
    "overdue": LevelColour.RED,
    "complete": LevelColour.BLUE,
}


def composite_plans(
    session: Session, scope: Scope
) -> list[tuple[Partnership, composite.CompositePlan]]:
    """The reader's partnership's plan; on the server, every partnership's in the cycle."""
    if scope.partnership is not None:
        partnerships = [scope.partnership]
    else:
        partnerships = list(
            session.scalars(
                select(Partnership)
                .join(CyclePartnership, CyclePartnership.partnership_id == Partnership.id)
                .where(CyclePartnership.cycle_id == scope.cycle.id)
                .order_by(Partnership.name)
            )
        )
    return [
        (p, composite.composite_plan(session, cycle=scope.cycle, partnership=p))
        for p in partnerships
    ]


def status_cell(action: Any, today: date) -> Rated:
    shown = progress.shown_status(action, today)
    return Rated(shown.label, STATUS_COLOURS[shown.key])


def latest_update(plan: composite.CompositePlan, action_id: int) -> tuple[str, object]:
    update = plan.latest.get(action_id)
    return (update.note, uk_time(update.made_at)) if update else ("", None)


def cycle_versions(session: Session, scope: Scope) -> list[QuestionnaireVersion]:
    version = session.get(QuestionnaireVersion, scope.cycle.questionnaire_version_id)
    return [version] if version is not None else []


def _write_action_plans(session: Session, scope: Scope, book: Book) -> WorkbookFacts:
    """Every action of every agreed agency plan, with the recommendation it answers."""
    today = date.today()
    sheet = book.sheet(
        "Action plans",
        [
            Column("Agency", 36, wrap=True),
            Column("Worry statement", 50, wrap=True),
            Column("Safety goal", 50, wrap=True),
            Column("Next steps", 50, wrap=True),
            Column("Priority", 28, wrap=True),
            Column("Theme", 28, wrap=True),
            Column("Action", 50, wrap=True),
            Column("Owner", 28, wrap=True),
            Column("Due", 12),
            Column("Status", 14),
            Column("How success will be shown", 40, wrap=True),
            Column("Latest progress note", 50, wrap=True),
            Column("Note given (UK time)", 18),
        ],
    )
    returns: set[int] = set()
    for _partnership, plan in composite_plans(session, scope):
        for recommendation, agency, items in plan.recommendations:
            for item in items:
                returns.add(recommendation.return_id)
                note, when = latest_update(plan, item.action.id)
                sheet.add(
                    [
                        agency.name,
                        recommendation.worry_statement,
                        recommendation.safety_goal,
                        recommendation.next_steps,
                        recommendation.priority,
                        recommendation.theme,
                        item.action.description,
                        item.action.owner,
                        item.action.due_on,
                        status_cell(item.action, today),
                        item.action.success_measure,
                        note,
                        when,
                    ]
                )
    notes = [
        ("Plans", "Agreed by the partnership; plans still being written or agreed are left out.")
    ]
    return WorkbookFacts(len(returns), cycle_versions(session, scope), notes=notes)


ACTION_PLANS = Kind(
    "action-plans",
    "Action plans",
    frozenset({Reader.PARTNERSHIP, Reader.OPERATOR}),
    _write_action_plans,
)
