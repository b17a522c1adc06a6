"""The home page and /healthz."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.auth.deps import CurrentPartnership, SignedInPerson, require
from app.auth.policy import Permission
from app.db import DbSession, database_is_reachable
from app.home import service as home_service
from app.templating import render

router = APIRouter()


@router.get("/")
def home(
    request: Request, session: DbSession, person: SignedInPerson, partnership: CurrentPartnership
) -> Response:
    page = home_service.home_page_for(session, person=person, partnership=partnership)
    return render(request, "home/index.html", {"page": page})


@router.get("/healthz", dependencies=[require(Permission.PUBLIC)])
def healthz(session: DbSession) -> Response:
    if database_is_reachable(session):
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
