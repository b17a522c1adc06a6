"""The editor's own pages: drafts listed and started (from a version, the shipped library, an
upload or blank), the overview, the questionnaire's details, preview, publishing, download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.auth.deps import CurrentPartnership
from app.db import DbSession
from app.directory.models import AgencySector, SchoolPhase, SchoolType
from app.library import draft_publishing, editing
from app.library import drafts as drafts_service
from app.library import service as publishing
from app.library.routes.common import (
    Coordinator,
    base_url,
    coordinating,
    draft_of,
    edit_draft,
    editor_page,
    form_of,
    read_upload,
    revision_read,
)
from app.params import Id
from app.questionnaires import service as questionnaire_service
from app.templating import render

router = APIRouter()


@router.get("/questionnaire-drafts")
def draft_list(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
) -> Response:
    found = coordinating(person, partnership)
    return _start_page(request, session, found, {})


def _start_page(request, session, partnership, errors, status_code=200):  # type: ignore[no-untyped-def]
    return render(
        request,
        "library/editor/drafts.html",
        {
            "drafts": drafts_service.list_drafts(session, partnership=partnership),
            "listings": questionnaire_service.list_questionnaires(
                session, partnership_id=partnership.id
            ),
            "library": publishing.shipped_files(),
            "errors": [{"text": m, "href": f"#{k}"} for k, m in errors.items()],
            "field_errors": errors,
        },
        status_code=status_code,
    )


@router.post("/questionnaire-drafts")
async def start_draft(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
) -> Response:
    form = await form_of(request)
    start = str(form.get("start", ""))

    def begin() -> Response:
        found = coordinating(person, partnership)
        try:
            if start == "blank":
                draft = drafts_service.start_blank(session, partnership=found, actor=person)
            elif start.startswith("version:") and "/" in start:
                questionnaire_id, _, version = start.removeprefix("version:").partition("/")
                draft = drafts_service.start_from_version(
                    session,
                    partnership=found,
                    actor=person,
                    questionnaire_id=questionnaire_id[:60],
                    version=version[:40],
                )
            elif start.startswith("library:"):
                path = publishing.shipped_file(start.removeprefix("library:"))
                if path is None:
                    raise drafts_service.DraftError("Choose a questionnaire from the library")
                draft = drafts_service.start_from_text(
                    session,
                    partnership=found,
                    actor=person,
                    text=path.read_text(encoding="utf-8"),
                    source_name=path.name,
                )
            else:
                raise drafts_service.DraftError("Choose what to start from")
        except drafts_service.DraftError as error:
            return _start_page(request, session, found, {"start": str(error)}, 400)
        return RedirectResponse(base_url(draft), status_code=303)

    return await run_in_threadpool(begin)


@router.post("/questionnaire-drafts/upload")
async def start_draft_from_upload(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
) -> Response:
    text, name, problem = await read_upload(request)

    def begin() -> Response:
        found = coordinating(person, partnership)
        if text is not None:
            try:
                draft = drafts_service.start_from_text(
                    session, partnership=found, actor=person, text=text, source_name=name
                )
            except drafts_service.DraftError as error:
                return _start_page(
                    request,
                    session,
                    found,
                    {"file": f"The file cannot be opened in the editor: {error}"},
                    400,
                )
            return RedirectResponse(base_url(draft), status_code=303)
        return _start_page(request, session, found, {"file": problem}, 400)

    return await run_in_threadpool(begin)


@router.get("/questionnaire-drafts/{draft_id}")
def draft_overview(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
) -> Response:
    found, draft = draft_of(session, person, partnership, draft_id)
    return editor_page(
        request,
        "library/editor/overview.html",
        draft,
        {"view": drafts_service.view(session, partnership=found, draft=draft)},
    )


@router.get("/questionnaire-drafts/{draft_id}/delete")
def delete_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
) -> Response:
    _found, draft = draft_of(session, person, partnership, draft_id)
    return editor_page(request, "library/editor/delete.html", draft, {})


@router.post("/questionnaire-drafts/{draft_id}/delete")
async def delete_draft(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
) -> Response:
    form = await form_of(request)

    def delete() -> Response:
        _found, draft = draft_of(session, person, partnership, draft_id)
        try:
            drafts_service.delete_draft(
                session,
                draft=draft,
                actor=person,
                read_revision=revision_read(form),
            )
        except (drafts_service.DraftConflict, drafts_service.DraftError) as error:
            return editor_page(
                request,
                "library/editor/delete.html",
                draft,
                {},
                errors={"_": str(error)},
                status_code=409,
            )
        return RedirectResponse("/questionnaire-drafts", status_code=303)

    return await run_in_threadpool(delete)


@router.get("/questionnaire-drafts/{draft_id}/details")
def details_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
) -> Response:
    found, draft = draft_of(session, person, partnership, draft_id)
    return _details(request, session, found, draft, {}, None, 200)


def _details(request, session, partnership, draft, errors, values, status_code):  # type: ignore[no-untyped-def]
    published = drafts_service.published_question_ids(
        session, questionnaire_id=draft.content.get("id", "")
    )
    return editor_page(
        request,
        "library/editor/details.html",
        draft,
        {
            "values": values or draft.content,
            "id_editable": not published,
            "sectors": list(AgencySector),
            "preview_introduction": (values or {}).get("introduction")
            if "preview" in (values or {})
            else None,
        },
        errors=errors,
        status_code=status_code,
    )


@router.post("/questionnaire-drafts/{draft_id}/details")
async def save_details(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
) -> Response:
    form = await form_of(request)
    if "preview" in form:  # "Preview the introduction": shown, not saved

        def show() -> Response:
            found, draft = draft_of(session, person, partnership, draft_id)
            return _details(request, session, found, draft, {}, form, 200)

        return await run_in_threadpool(show)
    return await edit_draft(
        request,
        session,
        person,
        partnership,
        draft_id,
        change=lambda e, content: editing.set_details(
            content, e.form, id_editable=not e.published_ids()
        ),
        done=lambda e, _: e.base,
        page=lambda e, errors, values, status: _details(
            request, session, e.partnership, e.draft, errors, values, status
        ),
    )


@router.get("/questionnaire-drafts/{draft_id}/preview")
def preview_draft(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    sector: Annotated[str, Query(max_length=40)] = "",
    school_type: Annotated[str, Query(max_length=40)] = "",
    school_phase: Annotated[str, Query(max_length=40)] = "",
    view: Annotated[str, Query(max_length=20)] = "form",
) -> Response:
    found, draft = draft_of(session, person, partnership, draft_id)
    seen = drafts_service.view(session, partnership=found, draft=draft)
    if seen.questionnaire is None:
        raise HTTPException(status_code=404)
    questionnaire = seen.questionnaire
    agency = None
    if sector in {s.value for s in AgencySector}:
        agency = draft_publishing.PreviewAgency(
            sector=AgencySector(sector),
            school_type=SchoolType(school_type)
            if school_type in {t.value for t in SchoolType}
            else None,
            school_phase=SchoolPhase(school_phase)
            if school_phase in {p.value for p in SchoolPhase}
            else None,
        )
        questionnaire = draft_publishing.as_seen_by(questionnaire, agency)
    return editor_page(
        request,
        "library/editor/preview.html",
        draft,
        {
            "view": seen,
            "questionnaire": questionnaire,
            "agency": agency,
            "sectors": list(AgencySector),
            "school_types": list(SchoolType),
            "school_phases": list(SchoolPhase),
            "readonly": view == "readonly",
            "equivalent": False,
        },
    )


@router.get("/questionnaire-drafts/{draft_id}/publish")
def publish_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
) -> Response:
    found, draft = draft_of(session, person, partnership, draft_id)
    return _publish(request, session, found, draft, [], 200)


def _publish(request, session, partnership, draft, refusals, status_code):  # type: ignore[no-untyped-def]
    seen = drafts_service.view(session, partnership=partnership, draft=draft)
    candidate = None
    if seen.publishable and draft.published_version_id is None:
        candidate = draft_publishing.check_for_publishing(
            session, partnership=partnership, draft=draft
        )
        refusals = refusals + candidate.refusals + [str(p) for p in candidate.problems]
        if candidate.already_published:
            refusals.append(
                f"Version {draft.content.get('version')} is already published: "
                "give this draft a new version on its details page"
            )
    errors = [{"text": str(p), "href": p.href} for p in seen.problems] + [
        {"text": text, "href": f"{base_url(draft)}/details"} for text in refusals
    ]
    return editor_page(
        request,
        "library/editor/publish.html",
        draft,
        {
            "view": seen,
            "candidate": candidate,
            "questionnaire": seen.questionnaire,
            "problem_list": errors,
        },
        status_code=status_code if not errors else max(status_code, 400),
    )


@router.post("/questionnaire-drafts/{draft_id}/publish")
async def publish_draft(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
) -> Response:
    form = await form_of(request)

    def publish() -> Response:
        found, draft = draft_of(session, person, partnership, draft_id)
        try:
            version = draft_publishing.publish_draft(
                session,
                partnership=found,
                actor=person,
                draft=draft,
                read_revision=revision_read(form),
            )
        except publishing.PublishRefused as refused:
            return _publish(request, session, found, draft, refused.problems, 409)
        except (drafts_service.DraftConflict, drafts_service.DraftError) as error:
            return _publish(request, session, found, draft, [str(error)], 409)
        return RedirectResponse(
            f"/questionnaires?published={version.questionnaire_id} version {version.version}",
            status_code=303,
        )

    return await run_in_threadpool(publish)


@router.get("/questionnaire-drafts/{draft_id}/download")
def download_draft(
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
) -> Response:
    _found, draft = draft_of(session, person, partnership, draft_id)
    try:
        text = draft_publishing.yaml_of(draft)
    except drafts_service.DraftError:
        raise HTTPException(status_code=404) from None
    return Response(
        text,
        media_type="application/yaml; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{draft_publishing.file_name(draft.content)}"'
            )
        },
    )
