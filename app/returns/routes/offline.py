"""Working on a return offline: downloading it as a workbook to fill in, uploading it back,
checking each change (conflicts side by side) and applying the chosen ones."""

import io

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.db import DbSession
from app.params import Id
from app.returns import fillable_workbook, last_year, workbook_upload
from app.returns.answers import SaveConflict
from app.returns.routes.common import AgencyPerson, view_or_404
from app.returns.service import ReturnView
from app.templating import render

# The largest workbook taken: a return's answers fit in far less (bench/return_workbooks.py).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/returns/{return_id}/workbook")
def download_workbook(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    view = view_or_404(session, person, return_id)
    last = last_year.previous_return(session, view=view)
    target = io.BytesIO()
    fillable_workbook.write_fillable(
        view,
        secret=request.app.state.settings.secret,
        last_year=last_year.last_years_answers(view, last),
        target=target,
    )
    name = fillable_workbook.downloaded_name(view)
    return Response(
        target.getvalue(),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/returns/{return_id}/workbook/upload")
def upload_page(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    return _upload_page(request, view_or_404(session, person, return_id))


def _upload_page(
    request: Request, view: ReturnView, error: str = "", status_code: int = 200
) -> Response:
    return render(
        request,
        "returns/workbook_upload.html",
        {"view": view, "error": error},
        status_code=status_code,
    )


@router.post("/returns/{return_id}/workbook/upload")
async def upload_workbook(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    form = await request.form()
    file = form.get("workbook")
    data = await file.read(MAX_UPLOAD_BYTES + 1) if isinstance(file, UploadFile) else b""
    return await run_in_threadpool(_preview, request, session, person, return_id, data)


def _preview(request, session, person, return_id, data: bytes) -> Response:  # type: ignore[no-untyped-def]
    view = view_or_404(session, person, return_id)
    if not data:
        return _upload_page(request, view, "Choose the workbook to upload", 400)
    if len(data) > MAX_UPLOAD_BYTES:
        return _upload_page(request, view, "The workbook must be smaller than 10 MB", 400)
    secret = request.app.state.settings.secret
    try:
        preview = workbook_upload.read_workbook(data, view=view, secret=secret)
    except workbook_upload.WorkbookRefused as error:
        return _upload_page(request, view, str(error), 400)
    token = workbook_upload.preview_token(preview, return_id=view.agency_return.id, secret=secret)
    return render(
        request, "returns/workbook_preview.html", {"view": view, "preview": preview, "token": token}
    )


@router.post("/returns/{return_id}/workbook/confirm")
async def confirm_workbook(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    # The preview's signed changes can hold long answers: more than a text field's usual 1 MB.
    form = await request.form(max_part_size=2 * MAX_UPLOAD_BYTES)
    return await run_in_threadpool(_confirm, request, session, person, return_id, form)


def _confirm(request, session, person, return_id, form) -> Response:  # type: ignore[no-untyped-def]
    view = view_or_404(session, person, return_id)
    secret = request.app.state.settings.secret
    try:
        preview = workbook_upload.preview_from_token(
            str(form.get("preview") or ""), view=view, secret=secret
        )
        keep_mine = {
            c.question_id
            for c in preview.conflicts
            if form.get(f"choice-{c.question_id}") == "mine"
        }
        applied = workbook_upload.apply_changes(
            session, view=view, preview=preview, keep_mine=keep_mine, actor=person
        )
    except workbook_upload.WorkbookRefused as error:
        return _upload_page(request, view, str(error), 400)
    except SaveConflict:
        return _upload_page(
            request,
            view,
            "Someone changed an answer while you were checking: nothing was saved. "
            "Upload the workbook again to see their change",
            409,
        )
    return render(
        request,
        "returns/workbook_applied.html",
        {
            "view": view,
            "applied": applied,
            "labels": {c.question_id: c.label for c in preview.changes},
        },
    )
