"""What the return pages share: the permission they ask for, finding a return the person may
see, serving an evidence file as a download. Never holds a route of its own."""

from typing import Annotated

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, Response

from app.auth.deps import require
from app.auth.policy import Permission
from app.db import DbSession
from app.directory.models import Person
from app.returns import evidence
from app.returns import service as returns_service

AgencyPerson = Annotated[Person, require(Permission.WORK_ON_RETURNS)]


def view_or_404(session: DbSession, person: Person, return_id: int) -> returns_service.ReturnView:
    view = returns_service.return_for(session, person=person, return_id=return_id)
    if view is None:
        raise HTTPException(status_code=404)
    return view


def evidence_download(request: Request, file: evidence.StoredFile) -> Response:
    """Always a download under a safe name and the type its content showed, never a page;
    for whoever the caller has let see the return (its agency, its panel)."""
    path = evidence.path_of(request.app.state.settings.uploads, file.stored_name)
    if not path.is_file():
        raise HTTPException(status_code=404)
    return FileResponse(
        path,
        media_type=evidence.KINDS[file.kind].media_type,
        filename=file.file_name,
        content_disposition_type="attachment",
        headers={"Cache-Control": "no-store"},
    )
