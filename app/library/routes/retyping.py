"""The editor's "Change the type" page: the question as another type, warned before and after
when last year's answers stop carrying over, refused when questions shown on its answers would
be stranded."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.auth.deps import CurrentPartnership
from app.db import DbSession
from app.library import drafts as drafts_service
from app.library import form_fields, question_types
from app.library.routes.common import (
    Coordinator,
    SlugPath,
    draft_of,
    edit_draft,
    editor_page,
    question_of,
)
from app.params import Id

router = APIRouter()
TYPE = "/questionnaire-drafts/{draft_id}/questions/{question_id}/type"


@router.get(TYPE)
def type_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    question_id: SlugPath,
) -> Response:
    found, draft = draft_of(session, person, partnership, draft_id)
    return _type_page(request, session, found, draft, question_id, {}, None, 200)


def _type_page(request, session, partnership, draft, question_id, errors, values, status_code):  # type: ignore[no-untyped-def]
    question = question_of(draft, question_id)
    return editor_page(
        request,
        "library/editor/question_type.html",
        draft,
        {
            "question": question,
            "values": values or {"type": question["type"], "scale": question.get("scale", "")},
            "last_year": drafts_service.last_published_question(
                session,
                partnership=partnership,
                questionnaire_id=draft.content.get("id", ""),
                question_id=question_id,
            ),
            "readers": [
                other
                for _, _, other in form_fields.all_questions(draft.content)
                if question_id in form_fields.condition_reads(other.get("show_if"))
            ],
            "scales": draft.content.get("scales", {}),
        },
        errors=errors,
        status_code=status_code,
    )


@router.post(TYPE)
async def change_type(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    question_id: SlugPath,
) -> Response:
    return await edit_draft(
        request,
        session,
        person,
        partnership,
        draft_id,
        exists=lambda draft: question_of(draft, question_id),
        change=lambda e, content: question_types.change_type(content, question_id, e.form),
        done=lambda e, _: f"{e.base}/questions/{question_id}",
        page=lambda e, errors, values, status: _type_page(
            request, session, e.partnership, e.draft, question_id, errors, values, status
        ),
    )
