"""The library's pages: the versions a partnership may use, their preview, and publishing one
from an uploaded file or the shipped library after its check, preview and comparison."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.auth.deps import CurrentPartnership, require
from app.auth.policy import Permission
from app.db import DbSession
from app.directory.models import Person
from app.library import service as publishing
from app.library.routes.common import Coordinator, coordinates, coordinating, read_upload
from app.questionnaires import service as questionnaire_service
from app.templating import render

router = APIRouter()

Reader = Annotated[Person, require(Permission.PREVIEW_QUESTIONNAIRES)]


@router.get("/questionnaires")
def questionnaire_list(
    request: Request,
    session: DbSession,
    partnership: CurrentPartnership,
    person: Reader,
) -> Response:
    listings = questionnaire_service.list_questionnaires(
        session, partnership_id=partnership.id if partnership else None
    )
    may_publish = partnership is not None and coordinates(person, partnership)
    return render(
        request,
        "library/index.html",
        {
            "listings": listings,
            "may_publish": may_publish,
            "library": publishing.shipped_files() if may_publish else [],
            "published": request.query_params.get("published"),
        },
    )


@router.get(
    "/questionnaires/{questionnaire_id}/{version}",
    dependencies=[require(Permission.PREVIEW_QUESTIONNAIRES)],
)
def questionnaire_preview(
    request: Request,
    session: DbSession,
    partnership: CurrentPartnership,
    questionnaire_id: str,
    version: str,
    view: Annotated[str, Query()] = "form",
    wording: Annotated[str, Query()] = "section_11",
) -> Response:
    published = publishing.visible_version(
        session, partnership=partnership, questionnaire_id=questionnaire_id, version=version
    )
    if published is None:
        raise HTTPException(status_code=404)
    return render(
        request,
        "library/preview.html",
        {
            "published": published,
            "questionnaire": questionnaire_service.snapshot(published),
            "readonly": view == "readonly",
            "equivalent": wording == "equivalent",
        },
    )


@router.get(
    "/questionnaires/{questionnaire_id}/{version}/yaml",
    dependencies=[require(Permission.PREVIEW_QUESTIONNAIRES)],
)
def questionnaire_yaml_download(
    session: DbSession, partnership: CurrentPartnership, questionnaire_id: str, version: str
) -> Response:
    published = publishing.visible_version(
        session, partnership=partnership, questionnaire_id=questionnaire_id, version=version
    )
    if published is None:
        raise HTTPException(status_code=404)
    download = publishing.version_yaml(published)
    return Response(
        download.text,
        media_type="application/yaml; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{download.file_name}"',
            "Cache-Control": "no-store",
        },
    )


def _candidate_page(request, candidate, text, *, library=None, status_code=200):  # type: ignore[no-untyped-def]
    errors = [{"text": str(problem), "href": "#file"} for problem in candidate.problems] + [
        {"text": refusal, "href": "#file"} for refusal in candidate.refusals
    ]
    return render(
        request,
        "library/check.html",
        {
            "candidate": candidate,
            "questionnaire": candidate.questionnaire,
            "text": text,
            "errors": errors,
            "library": library,
            "readonly": True,
            "equivalent": False,
        },
        status_code=status_code if not errors else 400,
    )


@router.get("/questionnaires/new")
def upload_questionnaire_page(
    request: Request, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    coordinating(person, partnership)
    return render(request, "library/upload.html", {"errors": []})


@router.post("/questionnaires/new")
async def upload_questionnaire(
    request: Request, session: DbSession, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    text, name, problem = await read_upload(request)

    def check() -> Response:
        found = coordinating(person, partnership)
        if text is None:
            return render(
                request,
                "library/upload.html",
                {"errors": [{"text": problem, "href": "#file"}]},
                status_code=400,
            )
        candidate = publishing.check_candidate(
            session, partnership=found, text=text, source_name=name
        )
        return _candidate_page(request, candidate, text)

    return await run_in_threadpool(check)


@router.post("/questionnaires/publish")
def publish_questionnaire(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    text: Annotated[str, Form(max_length=publishing.MAX_UPLOAD_BYTES)] = "",
    source_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    partnership = coordinating(person, partnership)
    try:
        version = publishing.publish_candidate(
            session, partnership=partnership, actor=person, text=text, source_name=source_name
        )
    except publishing.PublishRefused:
        candidate = publishing.check_candidate(
            session, partnership=partnership, text=text, source_name=source_name
        )
        return _candidate_page(request, candidate, text, status_code=409)
    return RedirectResponse(
        f"/questionnaires?published={version.questionnaire_id} version {version.version}",
        status_code=303,
    )


def _library_file(name: str):  # type: ignore[no-untyped-def]
    path = publishing.shipped_file(name)
    if path is None:
        raise HTTPException(status_code=404)
    return path


@router.get("/questionnaire-library/{name}")
def library_questionnaire(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    name: str,
) -> Response:
    coordinating(person, partnership)
    path = _library_file(name)
    text = path.read_text(encoding="utf-8")
    candidate = publishing.check_candidate(
        session, partnership=None, text=text, source_name=path.name
    )
    return _candidate_page(request, candidate, text, library=path.name)


@router.post("/questionnaire-library/{name}")
def publish_library_questionnaire(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    name: str,
) -> Response:
    coordinating(person, partnership)
    path = _library_file(name)
    text = path.read_text(encoding="utf-8")
    try:
        # The library is shared: its versions belong to no one partnership.
        version = publishing.publish_candidate(
            session, partnership=None, actor=person, text=text, source_name=path.name
        )
    except publishing.PublishRefused:
        candidate = publishing.check_candidate(
            session, partnership=None, text=text, source_name=path.name
        )
        return _candidate_page(request, candidate, text, library=path.name, status_code=409)
    return RedirectResponse(
        f"/questionnaires?published={version.questionnaire_id} version {version.version}",
        status_code=303,
    )
