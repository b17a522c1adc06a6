"""The frontline survey as a workbook: results by question and the triangulation with each
agency's self-ratings. Never a figure for a group below k, and never what people wrote."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.cycles import service as cycles_service
from app.exports.scope import Reader, Scope
from app.exports.workbooks.kind import Kind, WorkbookFacts
from app.panels import triangulation
from app.spreadsheets import Book, Column
from app.surveys import results as survey_results
from app.surveys import service as surveys_service
from app.surveys.models import Survey


def readable_agencies(session: Session, scope: Scope, survey: Survey) -> set[int]:
    """A partnership reads its own agencies' figures; a panel member, those of the returns
    they read; whoever runs `s11 export`, every one."""
    if scope.reader is Reader.PANEL:
        return surveys_service.agencies_of_returns(session, return_ids=scope.return_ids or set())
    if scope.partnership is not None:
        return surveys_service.own_agency_ids(session, partnership=scope.partnership)
    return {a.id for a in surveys_service.agencies_taking_part(session, survey=survey)}


def survey_gaps(session: Session, scope: Scope) -> list[triangulation.Standard]:
    """The chair's summary's triangulation: the reader's agencies, widest gaps first."""
    survey = surveys_service.survey_of(session, cycle=scope.cycle)
    if survey is None:
        return []
    k = surveys_service.threshold_of(session, cycle=scope.cycle)
    # The partnership's agencies as a subquery: the summary page has a budget of statements.
    agencies = (
        cycles_service.own_agencies(scope.partnership)
        if scope.partnership is not None
        else readable_agencies(session, scope, survey)
    )
    return triangulation.round_triangulation(session, survey=survey, k=k, agency_ids=agencies)


def _write_survey(session: Session, scope: Scope, book: Book) -> WorkbookFacts:
    survey = surveys_service.survey_of(session, cycle=scope.cycle)
    by_question = book.sheet(
        "Results by question",
        [
            Column("Question", 50, wrap=True),
            Column("Group", 30, wrap=True),
            Column("Responses", 10),
            Column("Answer", 28, wrap=True),
            Column("Count", 8),
            Column("Per cent", 8),
        ],
    )
    gaps = book.sheet(
        "Triangulation",
        [
            Column("Agency", 36, wrap=True),
            Column("Standard", 50, wrap=True),
            Column("Self-rating", 16),
            Column("Agreed rating", 16),
            Column("Staff agreeing (per cent)", 12, wrap=True),
            Column("Responses", 10),
            Column("Diverges", 10),
        ],
    )
    if survey is None:
        by_question.add(["This round has no frontline survey.", "", "", "", "", ""])
        return WorkbookFacts(returns=0, versions=[])
    k = surveys_service.threshold_of(session, cycle=scope.cycle)
    questionnaire = surveys_service.questionnaire_of(session, survey)
    agency_ids = readable_agencies(session, scope, survey)
    results = survey_results.results_of(
        session, survey=survey, questionnaire=questionnaire, k=k, agency_ids=agency_ids
    )
    for qr in results.questions:
        for dist in [qr.overall, *qr.by_sector, *qr.by_agency, *qr.by_role]:
            if dist.bars is None:
                hidden = f"fewer than {k} responses"
                by_question.add([qr.question.label, dist.group, "", hidden, "", ""])
                continue
            for bar in dist.bars:
                by_question.add(
                    [
                        qr.question.label,
                        dist.group,
                        dist.respondents,
                        bar.label,
                        bar.count,
                        bar.percent,
                    ]
                )
    for s in triangulation.triangulate(session, survey=survey, k=k, agency_ids=agency_ids):
        gaps.add(
            [
                s.agency.name,
                s.title,
                s.self_rating.label if s.self_rating else "",
                s.agreed.label if s.agreed else "",
                s.percent if s.shown else f"fewer than {k} responses",
                s.respondents if s.shown else "",
                "Yes" if s.flagged else "",
            ]
        )
    return WorkbookFacts(
        returns=0,
        versions=[],
        notes=[
            ("Responses", str(results.total)),
            ("Smallest group shown", f"{k} responses"),
            ("Free-text answers", "Not included: coordinators read them on the results page"),
        ],
    )


SURVEY = Kind(
    "survey",
    "The frontline practitioners' survey",
    frozenset({Reader.PARTNERSHIP, Reader.OPERATOR}),
    _write_survey,
)
