"""Questionnaire pages for coordinators: the published versions and a read-only preview."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from app.auth.deps import require
from app.auth.policy import Permission
from app.db import DbSession
from app.questionnaires import service as questionnaire_service
from app.templating import render

router = APIRouter()


@router.get("/questionnaires", dependencies=[require(Permission.PREVIEW_QUESTIONNAIRES)])
def questionnaire_list(request: Request, session: DbSession) -> Response:
    listings = questionnaire_service.list_questionnaires(session)
    return render(request, "questionnaires/index.html", {"listings": listings})


@router.get(
    "/questionnaires/{questionnaire_id}/{version}",
    dependencies=[require(Permission.PREVIEW_QUESTIONNAIRES)],
)
def questionnaire_preview(
    request: Request,
    session: DbSession,
    questionnaire_id: str,
    version: str,
    view: Annotated[str, Query()] = "form",
    wording: Annotated[str, Query()] = "section_11",
) -> Response:
    published = questionnaire_service.get_version(
        session, questionnaire_id=questionnaire_id, version=version
    )
    if published is None:
        raise HTTPException(status_code=404)
    return render(
        request,
        "questionnaires/preview.html",
        {
            "published": published,
            "questionnaire": questionnaire_service.snapshot(published),
            "readonly": view == "readonly",
            "equivalent": wording == "equivalent",
        },
    )
