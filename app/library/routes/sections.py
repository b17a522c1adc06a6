"""The editor's sections: add one, change its title, guidance and scoring, move it up or down,
and remove it (saying which questions elsewhere depend on its questions)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app.auth.deps import CurrentPartnership
from app.db import DbSession
from app.library import editing, form_fields
from app.library.routes.common import (
    Coordinator,
    SlugPath,
    draft_of,
    edit_draft,
    editor_page,
    overview_page,
)
from app.params import Id

router = APIRouter()
SECTION = "/questionnaire-drafts/{draft_id}/sections/{section_id}"


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
    return await edit_draft(
        request,
        session,
        person,
        partnership,
        draft_id,
        change=lambda e, content: editing.add_section(content, e.form),
        done=lambda e, section_id: f"{e.base}/sections/{section_id}",
        page=lambda e, errors, values, status: editor_page(
            request,
            "library/editor/section_new.html",
            e.draft,
            {"values": values or {}},
            errors=errors,
            status_code=status,
        ),
    )


@router.get(SECTION)
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


@router.post(SECTION)
async def save_section(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    section_id: SlugPath,
) -> Response:
    return await edit_draft(
        request,
        session,
        person,
        partnership,
        draft_id,
        exists=lambda draft: _section(draft, section_id),
        change=lambda e, content: editing.set_section(content, section_id, e.form),
        done=lambda e, _: f"{e.base}#section-{section_id}",
        page=lambda e, errors, values, status: _section_page(
            request, e.draft, section_id, errors, values, status
        ),
    )


@router.post(f"{SECTION}/move")
async def move_section(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    section_id: SlugPath,
) -> Response:
    return await edit_draft(
        request,
        session,
        person,
        partnership,
        draft_id,
        exists=lambda draft: _section(draft, section_id),
        change=lambda e, content: editing.move_section(
            content, section_id, -1 if e.form.get("direction") == "up" else 1
        ),
        done=lambda e, _: f"{e.base}#section-{section_id}",
        page=lambda e, errors, _values, status: overview_page(
            request, session, e.partnership, e.draft, errors, status
        ),
    )


@router.get(f"{SECTION}/remove")
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


@router.post(f"{SECTION}/remove")
async def remove_section(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    section_id: SlugPath,
) -> Response:
    return await edit_draft(
        request,
        session,
        person,
        partnership,
        draft_id,
        exists=lambda draft: _section(draft, section_id),
        change=lambda e, content: editing.remove_section(
            content, section_id, with_dependents=e.form.get("dependents") == "remove"
        ),
        done=lambda e, _: e.base,
        page=lambda e, errors, _values, status: _remove_page(
            request, e.draft, section_id, errors, status
        ),
    )
