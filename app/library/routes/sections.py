"""The editor's sections: add one, change its title, guidance and scoring, move it up or down,
and remove it (saying which questions elsewhere depend on its questions)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.auth.deps import CurrentPartnership
from app.db import DbSession
from app.library import editing, form_fields
from app.library.routes.common import (
    Coordinator,
    SlugPath,
    base_url,
    draft_of,
    editor_page,
    form_of,
    overview_page,
    save_from_form,
)
from app.params import Id

router = APIRouter()


def _section(draft, section_id):  # type: ignore[no-untyped-def]
    try:
        return draft.content["sections"][form_fields.find_section(draft.content, section_id)]
    except KeyError:
        raise HTTPException(status_code=404) from None


@router.post("/questionnaire-drafts/{draft_id}/sections")
async def add_section(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
) -> Response:
    form = await form_of(request)

    def save() -> Response:
        _found, draft = draft_of(session, person, partnership, draft_id)
        return save_from_form(
            request,
            session,
            person=person,
            draft=draft,
            form=form,
            change=lambda content: editing.add_section(content, form),
            done=lambda section_id: f"{base_url(draft)}/sections/{section_id}",
            page=lambda errors, values, status: editor_page(
                request,
                "library/editor/section_new.html",
                draft,
                {"values": values or {}},
                errors=errors,
                status_code=status,
            ),
        )

    return await run_in_threadpool(save)


@router.get("/questionnaire-drafts/{draft_id}/sections/{section_id}")
def section_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    section_id: SlugPath,
) -> Response:
    _found, draft = draft_of(session, person, partnership, draft_id)
    return _section_page(request, draft, section_id, {}, None, 200)


def _section_page(request, draft, section_id, errors, values, status_code):  # type: ignore[no-untyped-def]
    section = _section(draft, section_id)
    return editor_page(
        request,
        "library/editor/section.html",
        draft,
        {"section": section, "values": values or section},
        errors=errors,
        status_code=status_code,
    )


@router.post("/questionnaire-drafts/{draft_id}/sections/{section_id}")
async def save_section(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    section_id: SlugPath,
) -> Response:
    form = await form_of(request)

    def save() -> Response:
        _found, draft = draft_of(session, person, partnership, draft_id)
        _section(draft, section_id)
        return save_from_form(
            request,
            session,
            person=person,
            draft=draft,
            form=form,
            change=lambda content: editing.set_section(content, section_id, form),
            done=lambda _: f"{base_url(draft)}#section-{section_id}",
            page=lambda errors, values, status: _section_page(
                request, draft, section_id, errors, values, status
            ),
        )

    return await run_in_threadpool(save)


@router.post("/questionnaire-drafts/{draft_id}/sections/{section_id}/move")
async def move_section(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    section_id: SlugPath,
) -> Response:
    form = await form_of(request)
    step = -1 if form.get("direction") == "up" else 1

    def save() -> Response:
        found, draft = draft_of(session, person, partnership, draft_id)
        _section(draft, section_id)
        return save_from_form(
            request,
            session,
            person=person,
            draft=draft,
            form=form,
            change=lambda content: editing.move_section(content, section_id, step),
            done=lambda _: f"{base_url(draft)}#section-{section_id}",
            page=lambda errors, values, status: overview_page(
                request, session, found, draft, errors, status
            ),
        )

    return await run_in_threadpool(save)


@router.get("/questionnaire-drafts/{draft_id}/sections/{section_id}/remove")
def remove_section_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    section_id: SlugPath,
) -> Response:
    _found, draft = draft_of(session, person, partnership, draft_id)
    return _remove_page(request, draft, section_id, {}, 200)


def _remove_page(request, draft, section_id, errors, status_code):  # type: ignore[no-untyped-def]
    section = _section(draft, section_id)
    inside = {q["id"] for q in section.get("questions", [])}
    outside = [q for q in form_fields.dependents(draft.content, inside) if q["id"] not in inside]
    return editor_page(
        request,
        "library/editor/remove.html",
        draft,
        {"thing": "section", "item": section, "dependents": outside},
        errors=errors,
        status_code=status_code,
    )


@router.post("/questionnaire-drafts/{draft_id}/sections/{section_id}/remove")
async def remove_section(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    section_id: SlugPath,
) -> Response:
    form = await form_of(request)
    with_dependents = form.get("dependents") == "remove"

    def save() -> Response:
        _found, draft = draft_of(session, person, partnership, draft_id)
        _section(draft, section_id)
        return save_from_form(
            request,
            session,
            person=person,
            draft=draft,
            form=form,
            change=lambda content: editing.remove_section(
                content, section_id, with_dependents=with_dependents
            ),
            done=lambda _: base_url(draft),
            page=lambda errors, values, status: _remove_page(
                request, draft, section_id, errors, status
            ),
        )

    return await run_in_threadpool(save)
