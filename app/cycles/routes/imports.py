"""Importing agencies from a spreadsheet: upload, every row checked in a preview, confirm; into
a cycle here, and into the directory from the partnership's set-up."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.auth.deps import CurrentPartnership
from app.cycle_models import Cycle
from app.cycles import importing
from app.cycles import invitations as round_invitations
from app.cycles import service as cycles_service
from app.cycles.routes.common import (
    Coordinator,
    cycle_or_404,
    dashboard_page,
    queue_invitations,
)
from app.db import DbSession
from app.directory.models import AgencySector, SchoolPhase, SchoolType
from app.templating import render

router = APIRouter()


# Importing agencies from a spreadsheet: into a cycle here, into the directory from set-up ----

SUMMARY_LIMIT = 20  # the table shows every problem; a summary of hundreds helps nobody


@dataclass(frozen=True)
class ImportTarget:
    """Where an import brings agencies: a cycle (and the directory), or the directory only."""

    name: str  # shown as the caption and the back link
    href: str  # the page to go back to
    action: str  # where the file is posted; confirmations go to {action}/{token}/confirm
    into: str  # "the cycle", "your agency directory"
    cycle: Cycle | None


def _cycle_target(cycle: Cycle) -> ImportTarget:
    home = f"/round/cycles/{cycle.slug}"
    return ImportTarget(cycle.name, home, f"{home}/import", "the cycle", cycle)


def import_page(request, target, problems=(), status_code=200):  # type: ignore[no-untyped-def]
    return render(
        request,
        "cycles/import.html",
        {
            "target": target,
            "sectors": list(AgencySector),
            "school_types": list(SchoolType),
            "school_phases": list(SchoolPhase),
            "errors": [{"text": problem, "href": "#file"} for problem in problems],
        },
        status_code=status_code,
    )


def _import_preview(request, session, target, result, token=None):  # type: ignore[no-untyped-def]
    """Every row checked, or the upload page again when the file itself cannot be read."""
    if result.problems:
        return import_page(request, target, result.problems, status_code=400)
    importing.mark_existing(session, rows=result.rows)
    errors = [
        {"text": f"Line {row.line}: {error}", "href": f"#line-{row.line}"}
        for row in result.rows
        for error in row.errors
    ]
    if len(errors) > SUMMARY_LIMIT:
        more = {
            "text": f"{len(errors) - SUMMARY_LIMIT} more problems are listed below",
            "href": errors[SUMMARY_LIMIT]["href"],
        }
        errors = [*errors[:SUMMARY_LIMIT], more]
    return render(
        request,
        "cycles/import_preview.html",
        {"target": target, "result": result, "token": token, "errors": errors},
        status_code=200 if result.ready else 400,
    )


async def read_import_upload(request: Request) -> bytes | None:
    upload = (await request.form()).get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        # One byte past the limit is enough to know the file is too large.
        return await upload.read(importing.MAX_FILE_BYTES + 1)
    return None


def check_import(request, session, target, data) -> Response:  # type: ignore[no-untyped-def]
    """The preview of an uploaded file, kept under a random name for its confirmation."""
    if data is None:
        return import_page(request, target, ["Select a CSV or Excel file"], 400)
    result = importing.read_agency_file(data)
    imports = request.app.state.settings.var_dir / "imports"
    token = importing.keep_upload(imports, data) if result.ready else None
    return _import_preview(request, session, target, result, token)


def confirm_import(request, session, person, partnership, target, token):  # type: ignore[no-untyped-def]
    """Apply a checked file: (agencies added, invitations the mail server refused), or the
    page to show instead when the file no longer passes."""
    settings = request.app.state.settings
    kept = importing.kept_upload(settings.var_dir / "imports", token)
    if kept is None:
        raise HTTPException(status_code=404)
    # Read again rather than trusted from the preview: the file decides, as checked now.
    result = importing.read_agency_file(kept.read_bytes())
    if not result.ready:
        return _import_preview(request, session, target, result)
    try:
        added = importing.apply_import(
            session,
            cycle=target.cycle,
            partnership=partnership,
            rows=result.rows,
            actor=person,
            base_url=settings.base_url,
        )
    except cycles_service.CycleError as error:
        return import_page(request, target, [str(error)], status_code=400)
    invitations = [
        round_invitations.LeadInvitation(item.agency, item.invitation)
        for item in added
        if item.invitation is not None
    ]
    queue_invitations(session, partnership, invitations, "invitation")
    kept.unlink(missing_ok=True)
    return added, invitations, []


@router.get("/round/cycles/{slug}/import")
def cycle_import_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    _partnership, cycle = cycle_or_404(session, person, partnership, slug)
    return import_page(request, _cycle_target(cycle))


@router.post("/round/cycles/{slug}/import")
async def cycle_import_file(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    data = await read_import_upload(request)

    def check() -> Response:
        _partnership, cycle = cycle_or_404(session, person, partnership, slug)
        return check_import(request, session, _cycle_target(cycle), data)

    return await run_in_threadpool(check)


@router.post("/round/cycles/{slug}/import/{token}/confirm")
def cycle_confirm_import(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
    token: str,
) -> Response:
    partnership, cycle = cycle_or_404(session, person, partnership, slug)
    outcome = confirm_import(request, session, person, partnership, _cycle_target(cycle), token)
    if isinstance(outcome, Response):
        return outcome
    added, invitations, refused = outcome
    if refused:
        return dashboard_page(
            request,
            session,
            partnership,
            cycle,
            imported=len(added),
            invited=len(invitations) - len(refused),
            refused=refused,
        )
    return RedirectResponse(f"/round/cycles/{cycle.slug}?imported={len(added)}", status_code=303)
