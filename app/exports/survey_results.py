"""The survey's results for the partnership's coordinators and chair (and for a panel member,
the agencies whose returns they read). Figures below k are hidden by app/surveys/results.py;
this file only chooses whose figures and who sees free text."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app.auth.deps import CurrentPartnership, require
from app.auth.policy import Permission
from app.cycles import service as cycles_service
from app.db import DbSession
from app.directory.models import Person
from app.exports import scope as scopes
from app.exports.workbooks import survey as survey_workbook
from app.panels import triangulation
from app.params import Id
from app.surveys import results as survey_results
from app.surveys import service as surveys_service
from app.templating import render

router = APIRouter()

# Coordinators, the chair and panel members: export_scope narrows a panel member's to the
# returns booked into the sessions they sit on.
ResultsReader = Annotated[Person, require(Permission.EXPORT_WORKBOOKS)]


@router.get("/round/cycles/{slug}/survey/results")
def results_page(
    request: Request,
    session: DbSession,
    person: ResultsReader,
    partnership: CurrentPartnership,
    slug: str,
    all: bool = False,
    agency: Id | None = None,
) -> Response:
    scope = scopes.export_scope(session, person=person, partnership=partnership, slug=slug)
    survey = surveys_service.survey_of(session, cycle=scope.cycle) if scope else None
    if scope is None or survey is None:
        raise HTTPException(status_code=404)
    assert partnership is not None
    cycle = scope.cycle
    questionnaire = surveys_service.questionnaire_of(session, survey)
    k = surveys_service.threshold_of(session, cycle=cycle)
    coordinator = cycles_service.coordinates(person, partnership)
    own = survey_workbook.readable_agencies(session, scope, survey)
    # Each agency's own charts and its figures by staff role, one agency at a time: with every
    # agency's on one page it ran past a megabyte once a few dozen agencies reached k.
    chosen = agency if agency in own else None
    results = survey_results.results_of(
        session,
        survey=survey,
        questionnaire=questionnaire,
        k=k,
        agency_ids=own,
        roles_of={chosen} if chosen else set(),
    )
    return render(
        request,
        "surveys/results.html",
        {
            "cycle": cycle,
            "survey": survey,
            "coordinator": coordinator,
            "panel_member": scope.reader is scopes.Reader.PANEL,
            "all_free_text": all,
            "results": results,
            "chosen": chosen,
            "chosen_name": next(
                (row.agency.name for row in results.agencies if row.agency.id == chosen), None
            ),
            "free_text": survey_results.free_text_of(
                session,
                survey=survey,
                questionnaire=questionnaire,
                k=k,
                agency_ids=own,
                limit=None if all else survey_results.FREE_TEXT_SHOWN,
            )
            if coordinator
            else [],
            "gaps": triangulation.round_triangulation(session, survey=survey, k=k, agency_ids=own),
        },
    )
