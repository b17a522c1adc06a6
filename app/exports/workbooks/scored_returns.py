"""The scored returns workbook: a sheet per section, a row per agency and question, and a
summary sheet. Never shows a reader a rating their scope hides."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.models import Person
from app.exports.gather import (
    SCHOOL_HEADINGS,
    Gathered,
    Plan,
    gather_answers,
    lines_of,
    plans_of,
    question_key,
    returns_of,
    section_key,
    sections_of,
    table_questions,
    table_rows,
    uk_time,
)
from app.exports.scope import Reader, Scope, in_scope
from app.exports.workbooks.kind import Kind, WorkbookFacts
from app.panels.models import ScoreSheet
from app.questionnaires.rules import counts_as_answered
from app.questionnaires.schema import Section
from app.returns.models import ReturnStatus
from app.spreadsheets import Book, Column, fit


def _member_names(session: Session, scope: Scope) -> list[tuple[int, str]]:
    """The panel members whose submitted ratings the reader may see, by name."""
    if scope.reader is Reader.AGENCY:
        return []
    query = (
        select(Person.id, Person.name)
        .join(ScoreSheet, ScoreSheet.person_id == Person.id)
        .where(ScoreSheet.return_id.in_(in_scope(scope)))
    )
    if scope.scores_hidden:
        query = query.where(ScoreSheet.return_id.not_in(sorted(scope.scores_hidden)))
    rows = session.execute(query.distinct().order_by(Person.name, Person.id))
    return [(person_id, name) for person_id, name in rows]


def rating_column_width(plans: dict[int, Plan], header: str) -> float:
    labels = [lv.label for plan in plans.values() for ls in plan.levels.values() for lv in ls]
    return fit([header, *labels], at_most=24)


def _write_scored_returns(session: Session, scope: Scope, book: Book) -> WorkbookFacts:
    """A sheet per section with a row per agency and question, and a summary sheet with a row
    per agency and a column per section."""
    returns = returns_of(session, scope)
    plans = plans_of(
        session, {r.version_id for r in returns} | {scope.cycle.questionnaire_version_id}
    )
    sections = sections_of(plans, scope.cycle.questionnaire_version_id)
    members = _member_names(session, scope)
    agency_width = fit([r.agency for r in returns], at_least=12, at_most=40)
    sector_width = fit([r.sector.label for r in returns], at_least=10, at_most=28)

    # A schools round shows each school's type, phase, local authority or trust and URN.
    schools = any(r.school_type for r in returns)
    school_columns = [Column(h, 18, wrap=True) for h in SCHOOL_HEADINGS] if schools else []
    summary_columns = [
        Column("Agency", agency_width, wrap=True),
        Column("Sector", sector_width, wrap=True),
        *school_columns,
        Column("Status", fit([s.label for s in ReturnStatus], at_most=26)),
        Column("Submitted", 14),
    ]
    for _sid, section, plan in sections:
        measure = _summary_measure(section, plan)
        summary_columns.append(Column(f"{section.title}: {measure}", 24, wrap=True))
    summary = book.sheet("Summary", summary_columns)

    rating_width = rating_column_width(plans, "Agreed panel rating")
    columns = [
        Column("Agency", agency_width, wrap=True),
        Column("Sector", sector_width, wrap=True),
        Column("Question", 60, wrap=True),
        Column("Self rating", rating_width),
        Column("Agreed panel rating", rating_width),
        *(
            Column(f"Rating by {name}", max(rating_width, fit([name], at_most=24)), wrap=True)
            for _id, name in members
        ),
        Column("Not applicable because", 40, wrap=True),
        Column("Answer", 80, wrap=True),
        Column("Evidence files", 36, wrap=True),
        Column("Last changed (UK time)", 18),
    ]
    sheets = {sid: book.sheet(section.title, columns) for sid, section, _plan in sections}
    tables = {
        q.id: book.sheet(
            q.label,
            [
                Column("Agency", agency_width, wrap=True),
                Column("Row", 6),
                *(Column(c.label, fit([c.label], at_least=14, at_most=40), wrap=True)
                  for c in q.columns),
            ],
        )
        for q in table_questions(sections)
    }  # fmt: skip
    member_ids = [person_id for person_id, _name in members]
    unrated = [None] * len(member_ids)
    for gathered in gather_answers(session, scope, returns, plans):
        row = gathered.row
        cells: list[object] = [
            row.agency,
            row.sector.label,
            *(row.school_cells if schools else []),
            row.status.label,
            uk_time(row.submitted_at),
        ]
        for question_id, table in tables.items():
            for cells_of_row in table_rows(gathered, question_id):
                table.add([row.agency, *cells_of_row])
        for sid, _section, _plan in sections:
            own = next((s for s in gathered.plan.questionnaire.sections if s.id == sid), None)
            cells.append(_summary_cell(gathered, own) if own else "Not asked")
            if own is None:
                continue
            sheet = sheets[sid]
            for line in lines_of(gathered, own):
                by_member = line.members
                sheet.add(
                    [row.agency, row.sector.label, line.question, line.self_rating, line.agreed]
                    + ([by_member.get(p) for p in member_ids] if by_member else unrated)
                    + [line.not_applicable, line.answer, line.files, line.changed]
                )
        summary.add(cells)
    return WorkbookFacts(len(returns), [p.version for p in plans.values()])


def _summary_measure(section: Section, plan: Plan) -> str:
    if section.scored_by_panel and section_key(section.id) in plan.levels:
        return "agreed rating"
    if plan.rated_in(section):
        return "lowest agreed rating"
    return "questions answered"


def _summary_cell(gathered: Gathered, section: Section) -> object:
    """A section of one return in a cell: its agreed rating; or, where the panel rates its
    questions, the lowest of those agreed (the weakest standard is what needs attention);
    or, where nothing in it is rated, how much was answered."""
    plan = gathered.plan
    if section.scored_by_panel and section_key(section.id) in plan.levels:
        key = section_key(section.id)
        return plan.rated(key, gathered.agreed.get(key)) or "Not agreed yet"
    rated = [q for q in plan.rated_in(section) if q in gathered.shown(section)]
    if rated:
        keys = [question_key(q.id) for q in rated]
        placed = [
            (position, key)
            for key in keys
            if (position := plan.position(key, gathered.agreed.get(key))) is not None
        ]
        if not placed:
            return "Not agreed yet"
        _position, key = min(placed)
        return plan.rated(key, gathered.agreed[key])
    shown = gathered.shown(section)
    values = gathered.values
    answered = sum(1 for q in shown if counts_as_answered(q, values.get(q.id)))
    return f"{answered} of {len(shown)}"


SCORED_RETURNS = Kind(
    "scored-returns",
    "Scored returns",
    frozenset({Reader.PARTNERSHIP, Reader.PANEL, Reader.OPERATOR}),
    _write_scored_returns,
)
