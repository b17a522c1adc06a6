"""An agency's return as a workbook, with its agreed ratings and its action plan once
feedback is issued. Never shows the agency a rating before then."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.actions import plans as action_plans
from app.actions import progress
from app.actions import recommendations as action_recommendations
from app.exports.gather import (
    SCHOOL_HEADINGS,
    gather_answers,
    lines_of,
    plans_of,
    returns_of,
    table_questions,
    table_rows,
    uk_time,
)
from app.exports.scope import Reader, Scope
from app.exports.workbooks.action_plans import status_cell
from app.exports.workbooks.kind import Kind, WorkbookFacts
from app.exports.workbooks.scored_returns import rating_column_width
from app.panels.models import Feedback
from app.spreadsheets import Book, Column


def _write_one_return(session: Session, scope: Scope, book: Book) -> WorkbookFacts:
    """One agency's return for its own records: a sheet per section, and the panel's feedback
    once it has been issued."""
    [row] = returns_of(session, scope)
    plans = plans_of(session, {row.version_id})
    plan = plans[row.version_id]
    rating_width = rating_column_width(plans, "Agreed panel rating")
    columns = [
        Column("Question", 60, wrap=True),
        Column("Answer", 80, wrap=True),
        Column("Self rating", rating_width),
        Column("Agreed panel rating", rating_width),
        Column("Not applicable because", 40, wrap=True),
        Column("Evidence files", 36, wrap=True),
        Column("Last changed (UK time)", 18),
    ]
    sheets = {s.id: book.sheet(s.title, columns) for s in plan.questionnaire.sections}
    [gathered] = list(gather_answers(session, scope, [row], plans))
    for section in plan.questionnaire.sections:
        for line in lines_of(gathered, section):
            sheets[section.id].add(
                [
                    line.question,
                    line.answer,
                    line.self_rating,
                    line.agreed,
                    line.not_applicable,
                    line.files,
                    line.changed,
                ]
            )
    for question in table_questions([(s.id, s, plan) for s in plan.questionnaire.sections]):
        rows = list(table_rows(gathered, question.id))
        if rows:
            table = book.sheet(
                question.label,
                [Column("Row", 6), *(Column(c.label, 24, wrap=True) for c in question.columns)],
            )
            for cells in rows:
                table.add(cells)
    notes = [("Status", row.status.label)]
    if row.school_type is not None:
        notes += [(h, v) for h, v in zip(SCHOOL_HEADINGS, row.school_cells, strict=True) if v]
    if row.submitted_at:
        notes.append(("Submitted", f"{uk_time(row.submitted_at):%-d %B %Y at %H:%M}"))
    feedback = session.get(Feedback, row.id) if gathered.feedback_issued else None
    if feedback is not None:
        sheet = book.sheet(
            "Panel feedback",
            [
                Column("About", 40, wrap=True),
                Column("Worry statement", 50, wrap=True),
                Column("Safety goal", 50, wrap=True),
                Column("Next steps", 50, wrap=True),
                Column("Priority", 28, wrap=True),
                Column("Theme", 28, wrap=True),
            ],
        )
        sheet.add(["Strengths the panel saw", feedback.strengths, "", "", "", ""])
        for recommendation in action_recommendations.recommendations_of(session, return_id=row.id):
            about = plan.item_title(recommendation.item) if recommendation.item else "The return"
            sheet.add(
                [
                    about,
                    recommendation.worry_statement,
                    recommendation.safety_goal,
                    recommendation.next_steps,
                    recommendation.priority,
                    recommendation.theme,
                ]
            )
        notes.append(("Feedback issued", f"{uk_time(feedback.issued_at):%-d %B %Y}"))
        notes += _own_action_plan(session, book, row.id)
    return WorkbookFacts(1, [plan.version], agency=row.agency, notes=notes)


def _own_action_plan(session: Session, book: Book, return_id: int) -> list[tuple[str, str]]:
    """The agency's action plan, as it stands, on a sheet of its own."""
    plan, actions = action_plans.plan_of_return(session, return_id=return_id)
    if plan is None or not actions:
        return []
    today = date.today()
    latest = progress.latest_notes(session, [action.id for action, _ in actions])
    sheet = book.sheet(
        "Action plan",
        [
            Column("Worry statement", 50, wrap=True),
            Column("Action", 50, wrap=True),
            Column("Owner", 28, wrap=True),
            Column("Due", 12),
            Column("Status", 14),
            Column("How success will be shown", 40, wrap=True),
            Column("Latest progress note", 50, wrap=True),
        ],
    )
    for action, recommendation in actions:
        note = latest.get(action.id)
        sheet.add(
            [
                recommendation.worry_statement,
                action.description,
                action.owner,
                action.due_on,
                status_cell(action, today),
                action.success_measure,
                note.note if note else "",
            ]
        )
    return [("Action plan", plan.status.label)]


ONE_RETURN = Kind(
    "return",
    "An agency's return",
    frozenset(Reader),
    _write_one_return,
    by_agency=True,
)
