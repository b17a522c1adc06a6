"""A coordinator working on an agency's return offline from the round, for an agency that
will not sign in: the same workbook pages as the agency's own (app/returns/routes/offline.py),
found through the round, and the agency's lead is told by email."""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.auth.deps import CurrentPartnership
from app.cycles.routes.common import Coordinator, return_or_404
from app.db import DbSession
from app.directory.models import Person
from app.params import Id
from app.returns import service as returns_service
from app.returns.routes.offline import (
    Finder,
    Place,
    confirm_upload,
    confirming_form,
    preview_upload,
    upload_form,
    uploaded_bytes,
    workbook_response,
)
from app.returns.service import ReturnView

router = APIRouter()


def _round_view(session: DbSession, person: Person, partnership, return_id: int) -> Finder:  # type: ignore[no-untyped-def]
    def find() -> ReturnView:
        agency_return, _, _ = return_or_404(session, person, partnership, return_id)
        return returns_service.view_of(session, agency_return)

    return find


@router.get("/round/returns/{return_id}/workbook")
def download_workbook_for_agency(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: Id,
) -> Response:
    return workbook_response(
        request, session, _round_view(session, person, partnership, return_id)()
    )


@router.get("/round/returns/{return_id}/workbook/upload")
def upload_page_for_agency(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: Id,
) -> Response:
    view = _round_view(session, person, partnership, return_id)()
    return upload_form(request, view, Place.of(view, for_agency=True))


@router.post("/round/returns/{return_id}/workbook/upload")
async def upload_workbook_for_agency(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: Id,
) -> Response:
    data = await uploaded_bytes(request)
    find = _round_view(session, person, partnership, return_id)
    return await run_in_threadpool(preview_upload, request, find, data, for_agency=True)


@router.post("/round/returns/{return_id}/workbook/confirm")
async def confirm_workbook_for_agency(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: Id,
) -> Response:
    form = await confirming_form(request)
    find = _round_view(session, person, partnership, return_id)
    return await run_in_threadpool(confirm_upload, request, session, person, find, form, True)
