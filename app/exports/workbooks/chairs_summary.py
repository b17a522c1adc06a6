"""The chair's summary as a workbook: the figures of summary.py, its distribution and the
change from last year, with native charts. Never computes a figure the page does not show."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.exports.gather import SCHOOL_HEADINGS, plans_of, returns_of, uk_time
from app.exports.scope import Reader, Scope
from app.exports.summary import Change, Distribution, round_summary
from app.exports.workbooks.kind import Kind, WorkbookFacts
from app.questionnaires.schema import LevelColour
from app.spreadsheets import Book, Column, fit


def _write_summary(session: Session, scope: Scope, book: Book) -> WorkbookFacts:
    """The chair's summary: returns received by sector, ratings by section with charts, the
    agencies with most red ratings, recommendations by priority and theme, and year on year."""
    summary = round_summary(session, scope=scope)
    received = book.sheet(
        "Returns received",
        [
            Column("Sector", fit([line.label for line in summary.received], at_most=40)),
            Column("Invited", 10),
            Column("Received", 10),
            Column("Not yet received", 12, wrap=True),
            Column("Per cent received", 12, wrap=True),
        ],
    )
    for line in summary.received:
        received.add([line.label, line.invited, line.received, line.waiting, line.percent])
    sectors = sum(1 for line in summary.received if not line.total)
    received.bar_chart(
        "Returns received against invited, by sector",
        first_row=2,
        last_row=sectors + 1,
        series=[(3, LevelColour.BLUE), (4, LevelColour.GREY)],
        anchor="G2",
        axis_title="Returns",
    )
    _schools_sheet(session, scope, book)
    for title, distribution in (
        ("Agreed ratings", summary.agreed),
        ("Self ratings", summary.self_rated),
    ):
        _distribution_sheet(book, title, distribution)
    red = book.sheet(
        "Most red ratings",
        [
            Column("Agency", fit([r.agency for r in summary.most_red], at_least=12), wrap=True),
            Column("Sector", fit([r.sector for r in summary.most_red], at_least=10), wrap=True),
            Column("Agreed ratings in red", 14, wrap=True),
            Column("Agreed ratings in all", 14, wrap=True),
        ],
    )
    for reds in summary.most_red:
        red.add([reds.agency, reds.sector, reds.red, reds.agreed])
    table = summary.recommendations
    recommendations = book.sheet(
        "Recommendations",
        [
            Column("Priority", fit(table.priorities, at_least=12), wrap=True),
            *(Column(theme, fit([theme], at_most=20), wrap=True) for theme in table.themes),
            Column("All themes", 10, wrap=True),
        ],
    )
    for priority in table.priorities:
        recommendations.add(
            [
                priority,
                *(table.count(priority, theme) for theme in table.themes),
                table.by_priority(priority),
            ]
        )
    recommendations.add(
        ["All priorities", *(table.by_theme(theme) for theme in table.themes), table.total]
    )
    notes = []
    change = summary.year_on_year
    if change is None:
        notes.append(("Year on year", "There is no earlier cycle of this partnership to compare."))
    else:
        notes.append(("Year on year", f"Agreed ratings compared with {change.previous.name}."))
        _change_sheet(book, f"Change since {change.previous.name}", "Agency", change.agencies)
        _change_sheet(book, "Change by question", "Question", change.questions)
    versions = [
        p.version for p in plans_of(session, {scope.cycle.questionnaire_version_id}).values()
    ]
    return WorkbookFacts(summary.returns, versions, notes=notes)


def _schools_sheet(session: Session, scope: Scope, book: Book) -> None:
    """A schools round's schools, each with its type, phase, local authority or trust and URN,
    so the chair can read the round by kind of school; no sheet when no return is a school's."""
    schools = [r for r in returns_of(session, scope) if r.school_type]
    if not schools:
        return
    sheet = book.sheet(
        "Schools",
        [
            Column("School", fit([r.agency for r in schools], at_least=12, at_most=40), wrap=True),
            *(Column(heading, 18, wrap=True) for heading in SCHOOL_HEADINGS),
            Column("Status", fit([r.status.label for r in schools], at_least=10, at_most=26)),
            Column("Submitted", 14),
        ],
    )
    for row in schools:  # in agency name order, as returns_of reads them
        sheet.add([row.agency, *row.school_cells, row.status.label, uk_time(row.submitted_at)])


def _distribution_sheet(book: Book, title: str, distribution: Distribution) -> None:
    sheet = book.sheet(
        title,
        [
            Column("Section", fit([t for t, _c in distribution.rows], at_least=12), wrap=True),
            *(
                Column(band.label, fit([band.label], at_most=16), wrap=True)
                for band in distribution.bands
            ),
            Column("All ratings", 10),
        ],
    )
    for section, counts in distribution.rows:
        sheet.add([section, *counts, sum(counts)])
    if distribution.rows and distribution.bands:
        sheet.bar_chart(
            f"{title} by section",
            first_row=2,
            last_row=len(distribution.rows) + 1,
            series=[(index + 2, band.colour) for index, band in enumerate(distribution.bands)],
            anchor=f"A{len(distribution.rows) + 4}",
            axis_title="Ratings",
        )


def _change_sheet(book: Book, title: str, name: str, changes: list[Change]) -> None:
    questions = name == "Question"
    sheet = book.sheet(
        title,
        [
            Column(
                name, 60 if questions else fit([c.name for c in changes], at_least=12), wrap=True
            ),
            *([] if questions else [Column("Sector", fit([c.detail for c in changes]), wrap=True)]),
            Column("Ratings compared", 12, wrap=True),
            Column("Improved", 10),
            Column("Same", 10),
            Column("Declined", 10),
            *(
                [Column("Average then", 10, wrap=True), Column("Average now", 10, wrap=True)]
                if questions
                else []
            ),
        ],
    )
    for change in changes:
        sheet.add(
            [
                change.name,
                *([] if questions else [change.detail]),
                change.compared,
                change.improved,
                change.same,
                change.declined,
                *(
                    [round(change.average_then or 0, 2), round(change.average_now or 0, 2)]
                    if questions
                    else []
                ),
            ]
        )


SUMMARY = Kind(
    "summary",
    "The chair's summary",
    frozenset({Reader.PARTNERSHIP, Reader.OPERATOR}),
    _write_summary,
)
