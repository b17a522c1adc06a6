"""Pages and downloads of the exports: the chair's summary on screen, and each workbook as an
attachment, for whoever exports/scope.py lets have it (anyone else finds nothing)."""

from __future__ import annotations

import os
import tempfile
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from app.auth.deps import CurrentPartnership, require
from app.auth.policy import Permission
from app.cycles import listing as round_listing
from app.db import DbSession
from app.directory.models import Person
from app.exports import exporting, survey_results
from app.exports import scope as scopes
from app.exports import summary as export_summary
from app.exports.workbooks import survey as survey_workbook
from app.exports.workbooks.one_return import ONE_RETURN
from app.params import Id
from app.templating import render, swapping

router = APIRouter()

RoundReader = Annotated[Person, require(Permission.READ_ROUND_SUMMARY)]
Exporter = Annotated[Person, require(Permission.EXPORT_WORKBOOKS)]
AgencyPerson = Annotated[Person, require(Permission.WORK_ON_RETURNS)]

SURVEY_GAPS_SHOWN = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/summary")
def summaries(
    request: Request, session: DbSession, person: RoundReader, partnership: CurrentPartnership
) -> Response:
    if not scopes.reads_round(person, partnership):
        raise HTTPException(status_code=404)
    cycles = scopes.summaries_of(session, person=person, partnership=partnership)
    return render(request, "exports/summaries.html", {"cycles": cycles, "partnership": partnership})


@router.get("/summary/{slug}")
def summary(
    request: Request,
    session: DbSession,
    person: RoundReader,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    scope = scopes.round_scope(session, person=person, partnership=partnership, slug=slug)
    if scope is None:
        raise HTTPException(status_code=404)
    summary = export_summary.round_summary(session, scope=scope)
    change = summary.year_on_year
    gaps = survey_workbook.survey_gaps(session, scope)
    return render(
        request,
        "exports/summary.html",
        {
            "summary": summary,
            "kinds": exporting.kinds_for(scope),
            "change_page": export_summary.change_by_agency(
                change, export_summary.read_change_listing(request.query_params)
            )
            if change is not None
            else None,
            "change_choices": round_listing.choices({"sector"}),
            "change_sorts": export_summary.CHANGE_SORTS,
            # A summary: the widest gaps; every agency's are in the survey workbook.
            "survey_gaps": gaps[:SURVEY_GAPS_SHOWN],
            "survey_gaps_total": len(gaps),
        },
        block="results" if swapping(request, "results") else None,
    )


@router.get("/exports/{slug}/{kind}")
def download(
    request: Request,
    session: DbSession,
    person: Exporter,
    partnership: CurrentPartnership,
    slug: str,
    kind: str,
    agency: Id | None = None,
) -> Response:
    scope = scopes.export_scope(session, person=person, partnership=partnership, slug=slug)
    if scope is None:
        raise HTTPException(status_code=404)
    scope = scopes.narrowed_to_listing(session, scope, request.query_params)
    return _workbook(request, session, scope, kind, agency)


@router.get("/returns/{return_id}/export")
def download_own_return(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    scope = scopes.agency_scope(session, person=person, return_id=return_id)
    if scope is None:
        raise HTTPException(status_code=404)
    return _workbook(request, session, scope, ONE_RETURN.name, None)


def _workbook(
    request: Request,
    session: DbSession,
    scope: scopes.Scope,
    kind: str,
    agency: int | None,
) -> Response:
    """The workbook, always as a download under a safe name; written to a temporary file
    first, as a large one is too big to hold in memory, and removed once sent."""
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="s11-export-")
    os.close(handle)
    try:
        made = exporting.export(
            session,
            scope=scope,
            kind_name=kind,
            target=path,
            agency_id=agency,
            client_address=request.client.host if request.client else None,
            request_id=getattr(request.state, "request_id", None),
        )
    except scopes.ExportError as error:
        os.unlink(path)
        raise HTTPException(status_code=400, detail=str(error)) from None
    except BaseException:
        os.unlink(path)
        raise
    if made is None:
        os.unlink(path)
        raise HTTPException(status_code=404)
    return FileResponse(
        path,
        media_type=XLSX,
        filename=made.file_name,
        content_disposition_type="attachment",
        headers={"Cache-Control": "no-store"},
        background=BackgroundTask(os.unlink, path),
    )


# The survey's results page reads the export scope (a panel member's returns), so it lives here.
router.include_router(survey_results.router)
