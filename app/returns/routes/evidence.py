"""A return's evidence files: downloading and removing them. Never serves a file inline, nor
to anyone who may not see the return."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.db import DbSession
from app.directory.models import Person
from app.params import Id
from app.returns import attachments
from app.returns import service as returns_service
from app.returns.routes.common import AgencyPerson, evidence_download, view_or_404
from app.templating import render

router = APIRouter()


def _file_or_404(session: DbSession, person: Person, return_id: int, file_id: int):  # type: ignore[no-untyped-def]
    """One evidence file of a return the person may see; any other id is not found."""
    view = view_or_404(session, person, return_id)
    file = attachments.evidence_file(view, file_id=file_id)
    if file is None:
        raise HTTPException(status_code=404)
    return view, file


@router.get("/returns/{return_id}/evidence/{file_id}")
def download_evidence(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id, file_id: Id
) -> Response:
    _view, file = _file_or_404(session, person, return_id, file_id)
    return evidence_download(request, file)


@router.get("/returns/{return_id}/evidence/{file_id}/remove")
def remove_evidence_page(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id, file_id: Id
) -> Response:
    view, file = _file_or_404(session, person, return_id, file_id)
    return render(
        request,
        "returns/remove_evidence.html",
        {"view": view, "file": file, "section_id": view.section_of(file.question_id)},
    )


@router.post("/returns/{return_id}/evidence/{file_id}/remove")
def remove_evidence(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id, file_id: Id
) -> Response:
    view, file = _file_or_404(session, person, return_id, file_id)
    section_id = view.section_of(file.question_id)
    try:
        attachments.remove_evidence(
            session,
            view=view,
            file=file,
            actor=person,
            storage=request.app.state.storage,
        )
    except returns_service.ReturnError as error:
        return render(
            request,
            "returns/remove_evidence.html",
            {"view": view, "file": file, "section_id": section_id, "error": str(error)},
            status_code=409,
        )
    return RedirectResponse(
        f"/returns/{return_id}/sections/{section_id}#question-{file.question_id}", status_code=303
    )
