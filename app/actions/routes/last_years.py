"""Last year's actions in this year's return: the section that carries them forward shows
them, and the agency gives each its final update there (closing the loop). Added to the
return's pages through app/returns/additions.py, as returns never names actions."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.actions import progress as action_progress
from app.actions.forms import read_progress, read_upload
from app.db import DbSession
from app.params import Id
from app.returns import additions, evidence
from app.returns.routes import answering
from app.returns.routes.common import AgencyPerson, view_or_404

router = APIRouter()
additions.SECTIONS["action_plan"] = action_progress.carried_forward


@router.post("/returns/{return_id}/sections/{section_id}/last-years-actions/{action_id}")
async def give_final_update(
    request: Request,
    session: DbSession,
    person: AgencyPerson,
    return_id: Id,
    section_id: str,
    action_id: Id,
) -> Response:
    form = await request.form()
    return await run_in_threadpool(
        _give_final_update, request, session, person, return_id, section_id, action_id, form
    )


def _give_final_update(
    request, session, person, return_id, section_id, action_id, form
) -> Response:  # type: ignore[no-untyped-def]
    """Progress on one of last year's actions, given in this year's return (closing the loop)."""
    view = view_or_404(session, person, return_id)
    if view.section(section_id) is None:
        raise HTTPException(status_code=404)
    progress = read_progress(form)
    upload = read_upload(form)
    settings = request.app.state.settings
    try:
        action_progress.give_final_update(
            session,
            view=view,
            action_id=action_id,
            progress=progress,
            actor=person,
            upload=upload,
            storage=request.app.state.storage,
            max_bytes=settings.evidence_file_mb * evidence.MB,
        )
    except action_progress.ActionError as error:
        return answering.section_response(
            request,
            session,
            view,
            section_id,
            action_errors={action_id: {error.field: str(error)}},
            action_typed={action_id: progress},
            status_code=400,
        )
    return RedirectResponse(
        f"/returns/{return_id}/sections/{section_id}#last-years-action-{action_id}",
        status_code=303,
    )
