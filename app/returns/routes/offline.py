"""Working on a return offline: downloading it as a workbook to fill in, uploading it back,
checking each change (conflicts side by side) and applying the chosen ones. The agency's people
do it from their return; a coordinator does the same from the round for an agency that will not
sign in (app/cycles/routes/offline.py), and the agency's lead is told by email."""

import io
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from app.db import DbSession
from app.directory.models import Person
from app.notifications import service as notifications_service
from app.params import Id
from app.returns import fillable_workbook, last_year, workbook_upload
from app.returns import service as returns_service
from app.returns.answers import SaveConflict
from app.returns.routes.common import AgencyPerson, view_or_404
from app.returns.service import ReturnView
from app.templating import render

# The largest workbook taken: a return's answers fit in far less (bench/return_workbooks.py).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Place:
    """Where the offline pages sit: the agency's own return, or the round's pages a coordinator
    uses on the agency's behalf."""

    base: str  # the workbook pages' prefix
    back: str  # the page to go back to
    back_text: str
    for_agency: bool  # a coordinator acting for the agency: its lead is told

    @classmethod
    def of(cls, view: ReturnView, *, for_agency: bool) -> "Place":
        return_id = view.agency_return.id
        if for_agency:
            base = f"/round/returns/{return_id}"
            return cls(base, "/round/returns", "Returns in this round", True)
        return cls(f"/returns/{return_id}", f"/returns/{return_id}", "Your return", False)


Finder = Callable[[], ReturnView]


def _agency_view(session: DbSession, person: Person, return_id: int) -> Finder:
    return lambda: view_or_404(session, person, return_id)


@router.get("/returns/{return_id}/workbook")
def download_workbook(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    return workbook_response(request, session, view_or_404(session, person, return_id))


def workbook_response(request: Request, session: DbSession, view: ReturnView) -> Response:
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
    view = view_or_404(session, person, return_id)
    return upload_form(request, view, Place.of(view, for_agency=False))


def upload_form(
    request: Request, view: ReturnView, place: Place, error: str = "", status_code: int = 200
) -> Response:
    return render(
        request,
        "returns/workbook_upload.html",
        {"view": view, "place": place, "error": error},
        status_code=status_code,
    )


@router.post("/returns/{return_id}/workbook/upload")
async def upload_workbook(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    data = await uploaded_bytes(request)
    find = _agency_view(session, person, return_id)
    return await run_in_threadpool(preview_upload, request, find, data, for_agency=False)


async def uploaded_bytes(request: Request) -> bytes:
    form = await request.form()
    file = form.get("workbook")
    return await file.read(MAX_UPLOAD_BYTES + 1) if isinstance(file, UploadFile) else b""


def preview_upload(request: Request, find: Finder, data: bytes, *, for_agency: bool) -> Response:
    view = find()
    place = Place.of(view, for_agency=for_agency)
    if not data:
        return upload_form(request, view, place, "Choose the workbook to upload", 400)
    if len(data) > MAX_UPLOAD_BYTES:
        return upload_form(request, view, place, "The workbook must be smaller than 10 MB", 400)
    secret = request.app.state.settings.secret
    try:
        preview = workbook_upload.read_workbook(data, view=view, secret=secret)
    except workbook_upload.WorkbookRefused as error:
        return upload_form(request, view, place, str(error), 400)
    token = workbook_upload.preview_token(preview, return_id=view.agency_return.id, secret=secret)
    return render(
        request,
        "returns/workbook_preview.html",
        {"view": view, "place": place, "preview": preview, "token": token},
    )


@router.post("/returns/{return_id}/workbook/confirm")
async def confirm_workbook(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    form = await confirming_form(request)
    find = _agency_view(session, person, return_id)
    return await run_in_threadpool(confirm_upload, request, session, person, find, form, False)


async def confirming_form(request: Request) -> FormData:
    # The preview's signed changes can hold long answers: more than a text field's usual 1 MB.
    return await request.form(max_part_size=2 * MAX_UPLOAD_BYTES)


def confirm_upload(  # noqa: PLR0913
    request: Request,
    session: DbSession,
    person: Person,
    find: Finder,
    form: FormData,
    for_agency: bool,
) -> Response:
    view = find()
    place = Place.of(view, for_agency=for_agency)
    settings = request.app.state.settings
    try:
        preview = workbook_upload.preview_from_token(
            str(form.get("preview") or ""), view=view, secret=settings.secret
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
        return upload_form(request, view, place, str(error), 400)
    except SaveConflict:
        return upload_form(
            request,
            view,
            place,
            "Someone changed an answer while you were checking: nothing was saved. "
            "Upload the workbook again to see their change",
            409,
        )
    labels = {c.question_id: c.label for c in preview.changes}
    told = []
    if for_agency and applied.saved:
        for email in workbook_upload.uploaded_for_agency_emails(
            session,
            view=view,
            coordinator=person,
            applied=[labels[q] for q in applied.saved],
            base_url=settings.base_url,
        ):
            notifications_service.queue_email(
                session,
                email,
                kind="workbook_uploaded",
                partnership_id=returns_service.partnership_id_of(
                    session, agency_return=view.agency_return
                ),
            )
            told.append(email.to)
    return render(
        request,
        "returns/workbook_applied.html",
        {"view": view, "place": place, "applied": applied, "labels": labels, "told": told},
    )
