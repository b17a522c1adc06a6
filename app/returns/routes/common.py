"""What the return pages share: the permission they ask for, finding a return the person may
see, serving an evidence file as a download. Never holds a route of its own."""

from typing import Annotated
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from app.auth.deps import require
from app.auth.policy import Permission
from app.db import DbSession
from app.directory.models import Person
from app.returns import evidence
from app.returns import service as returns_service
from app.storage.backends import StorageUnavailable, chunks

AgencyPerson = Annotated[Person, require(Permission.WORK_ON_RETURNS)]


def view_or_404(session: DbSession, person: Person, return_id: int) -> returns_service.ReturnView:
    view = returns_service.return_for(session, person=person, return_id=return_id)
    if view is None:
        raise HTTPException(status_code=404)
    return view


def evidence_download(request: Request, file: evidence.StoredFile) -> Response:
    """Always a download under a safe name and the type its content showed, never a page;
    for whoever the caller has let see the return (its agency, its panel)."""
    storage = request.app.state.storage
    media_type = evidence.KINDS[file.kind].media_type
    path = storage.local_path(file.stored_name)
    if path is not None:
        if not path.is_file():
            raise HTTPException(status_code=404)
        return FileResponse(
            path,
            media_type=media_type,
            filename=file.file_name,
            content_disposition_type="attachment",
            headers={"Cache-Control": "no-store"},
        )
    try:
        # Opened before the response starts, so a missing file is a 404, not a broken download.
        stream = storage.open(file.stored_name)
    except FileNotFoundError:
        raise HTTPException(status_code=404) from None
    except StorageUnavailable:
        raise HTTPException(
            status_code=503,
            detail="The file store is not answering just now. Try again in a few minutes.",
        ) from None
    return StreamingResponse(
        chunks(stream),
        media_type=media_type,
        headers={
            "Content-Disposition": _attachment(file.file_name),
            "Content-Length": str(file.size),
            "Cache-Control": "no-store",
        },
    )


def _attachment(file_name: str) -> str:
    """As FileResponse writes it: plain when the name is ASCII-safe, RFC 5987 when not."""
    quoted = quote(file_name)
    if quoted != file_name:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{file_name}"'
