"""The editor's questions: add one of any type, change the fields its type has, move it, remove
it (asking what to do with the questions that depend on it), its show_if pickers, and scales."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app.auth.deps import CurrentPartnership
from app.db import DbSession
from app.directory.models import AgencySector
from app.library import drafts as drafts_service
from app.library import editing, form_fields, scales, show_if
from app.library.routes.common import (
    Coordinator,
    SlugPath,
    draft_of,
    edit_draft,
    editor_page,
    overview_page,
    question_of,
)
from app.params import Id
from app.questionnaires.checks import MAPPABLE_TYPES

router = APIRouter()


# Adding ----------------------------------------------------------------------------------


@router.get("/questionnaire-drafts/{draft_id}/sections/{section_id}/questions/new")
def new_question_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    section_id: SlugPath,
) -> Response:
    _found, draft = draft_of(session, person, partnership, draft_id)
    return _new_page(request, draft, section_id, {}, None, 200)


def _new_page(request, draft, section_id, errors, values, status_code):  # type: ignore[no-untyped-def]
    try:
        section = draft.content["sections"][form_fields.find_section(draft.content, section_id)]
    except KeyError:
        raise HTTPException(status_code=404) from None
    return editor_page(
        request,
        "library/editor/question_new.html",
        draft,
        {"section": section, "values": values or {}, "types": form_fields.TYPE_NAMES},
        errors=errors,
        status_code=status_code,
    )


@router.post("/questionnaire-drafts/{draft_id}/sections/{section_id}/questions/new")
async def add_question(
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
        change=lambda e, content: editing.add_question(
            content, section_id, e.form, published_ids=e.published_ids()
        ),
        done=lambda e, question_id: f"{e.base}/questions/{question_id}",
        page=lambda e, errors, values, status: _new_page(
            request, e.draft, section_id, errors, values, status
        ),
    )


# Changing --------------------------------------------------------------------------------


@router.get("/questionnaire-drafts/{draft_id}/questions/{question_id}")
def question_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    question_id: SlugPath,
) -> Response:
    found, draft = draft_of(session, person, partnership, draft_id)
    return _question_page(request, session, found, draft, question_id, {}, None, 200)


def _question_page(request, session, partnership, draft, question_id, errors, values, status_code):  # type: ignore[no-untyped-def]
    question = question_of(draft, question_id)
    seen = drafts_service.view(session, partnership=partnership, draft=draft)
    return editor_page(
        request,
        "library/editor/question.html",
        draft,
        {
            "question": question,
            "values": _question_values(question, values),
            "view": seen,
            "id_editable": question_id not in seen.published_ids,
            "type_name": form_fields.TYPE_NAMES.get(question["type"], question["type"]),
            "sectors": list(AgencySector),
            "column_types": form_fields.COLUMN_TYPES,
            "condition": show_if.describe(draft.content, question.get("show_if")),
            "standards": drafts_service.survey_standards(session, partnership=partnership)
            if draft.content.get("audience") == "frontline_survey"
            and question["type"] in MAPPABLE_TYPES
            else [],
        },
        errors=errors,
        status_code=status_code,
    )


def _question_values(question: dict[str, Any], typed: dict[str, Any] | None) -> dict[str, Any]:
    """The form's fields: as typed when the change was refused, else as saved."""
    if typed is not None:
        return typed
    values: dict[str, Any] = {
        "id": question["id"],
        "label": question.get("label", ""),
        "hint": question.get("hint", ""),
        "required": "yes" if question.get("required", question["type"] != "evidence") else "no",
        "not_applicable": "yes" if question.get("not_applicable") else "",
        "sectors": question.get("sectors", []),
        "equivalent_label": (question.get("equivalent_standards") or {}).get("label", ""),
        "equivalent_hint": (question.get("equivalent_standards") or {}).get("hint", ""),
        "scored_by_panel": "yes" if question.get("scored_by_panel") else "",
        "scale": question.get("scale", ""),
        "weight": question.get("weight", ""),
        "max_length": question.get("max_length", ""),
        "min": question.get("min", ""),
        "max": question.get("max", ""),
        "min_rows": question.get("min_rows", ""),
        "max_rows": question.get("max_rows", ""),
        "evidence_prompts": "\n".join(question.get("evidence_prompts", [])),
        "maps_to": question.get("maps_to", []),
    }
    for index, option in enumerate(question.get("options", [])):
        values[f"option_{index}_value"] = option["value"]
        values[f"option_{index}_label"] = option["label"]
        values[f"option_{index}_hint"] = option.get("hint", "")
    for index, column in enumerate(question.get("columns", [])):
        values[f"column_{index}_id"] = column["id"]
        values[f"column_{index}_label"] = column["label"]
        values[f"column_{index}_type"] = column.get("type", "text")
    for value, words in (question.get("descriptors") or {}).items():
        values[f"descriptor_{value}"] = words
    return values


@router.post("/questionnaire-drafts/{draft_id}/questions/{question_id}")
async def save_question(
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
        change=lambda e, content: editing.set_question(
            content,
            question_id,
            e.form,
            published_ids=e.published_ids(),
            standards={
                target
                for group in drafts_service.survey_standards(session, partnership=e.partnership)
                for target, _ in group.choices
            },
        ),
        done=lambda e, new_id: f"{e.base}#question-{new_id}",
        page=lambda e, errors, values, status: _question_page(
            request, session, e.partnership, e.draft, question_id, errors, values, status
        ),
    )


@router.post("/questionnaire-drafts/{draft_id}/questions/{question_id}/move")
async def move_question(
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
        change=lambda e, content: editing.move_question(
            content, question_id, -1 if e.form.get("direction") == "up" else 1
        ),
        done=lambda e, _: f"{e.base}#question-{question_id}",
        page=lambda e, errors, _values, status: overview_page(
            request, session, e.partnership, e.draft, errors, status
        ),
    )


@router.post("/questionnaire-drafts/{draft_id}/questions/{question_id}/options/move")
async def move_option(
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
        change=lambda e, content: editing.move_option(
            content,
            question_id,
            str(e.form.get("value", ""))[:60],
            -1 if e.form.get("direction") == "up" else 1,
        ),
        # The question's page stays open, to move more.
        done=lambda e, _: f"{e.base}/questions/{question_id}#option-order",
        page=lambda e, errors, _values, status: _question_page(
            request, session, e.partnership, e.draft, question_id, errors, None, status
        ),
    )


# Removing --------------------------------------------------------------------------------


@router.get("/questionnaire-drafts/{draft_id}/questions/{question_id}/remove")
def remove_question_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    question_id: SlugPath,
) -> Response:
    _found, draft = draft_of(session, person, partnership, draft_id)
    return _remove_page(request, draft, question_id, {}, 200)


def _remove_page(request, draft, question_id, errors, status_code):  # type: ignore[no-untyped-def]
    question = question_of(draft, question_id)
    return editor_page(
        request,
        "library/editor/remove.html",
        draft,
        {
            "thing": "question",
            "item": question,
            "dependents": form_fields.dependents(draft.content, {question_id}),
        },
        errors=errors,
        status_code=status_code,
    )


@router.post("/questionnaire-drafts/{draft_id}/questions/{question_id}/remove")
async def remove_question(
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
        change=lambda e, content: editing.remove_question(
            content, question_id, with_dependents=e.form.get("dependents") == "remove"
        ),
        done=lambda e, _: e.base,
        page=lambda e, errors, _values, status: _remove_page(
            request, e.draft, question_id, errors, status
        ),
    )


# show_if ---------------------------------------------------------------------------------


@router.get("/questionnaire-drafts/{draft_id}/questions/{question_id}/show-if")
def show_if_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    question_id: SlugPath,
) -> Response:
    _found, draft = draft_of(session, person, partnership, draft_id)
    return _show_if_page(request, draft, question_id, {}, None, 200)


def _show_if_page(request, draft, question_id, errors, values, status_code):  # type: ignore[no-untyped-def]
    question = question_of(draft, question_id)
    chosen, join, beyond = show_if.show_if_choices(question.get("show_if"))
    if values is not None:
        chosen = {
            key.removeprefix("answers_"): (v if isinstance(v, list) else [v])
            for key, v in values.items()
            if key.startswith(("answers_", "agency_"))
        }
        join = values.get("join", "all")
    return editor_page(
        request,
        "library/editor/show_if.html",
        draft,
        {
            "question": question,
            "earlier": [
                (q, show_if.answer_choices(q))
                for q in show_if.earlier_questions(draft.content, question_id)
            ],
            "agency_fields": show_if.AGENCY_FIELDS,
            "chosen": chosen,
            "join": join,
            "beyond": beyond,
            "condition": show_if.describe(draft.content, question.get("show_if")),
        },
        errors=errors,
        status_code=status_code,
    )


@router.post("/questionnaire-drafts/{draft_id}/questions/{question_id}/show-if")
async def save_show_if(
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
        change=lambda e, content: show_if.set_show_if(content, question_id, e.form),
        done=lambda e, _: f"{e.base}#question-{question_id}",
        page=lambda e, errors, values, status: _show_if_page(
            request, e.draft, question_id, errors, values, status
        ),
    )


# Scales ----------------------------------------------------------------------------------


@router.get("/questionnaire-drafts/{draft_id}/scales/{name}")
def scale_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    name: SlugPath,
) -> Response:
    _found, draft = draft_of(session, person, partnership, draft_id)
    return _scale_page(request, draft, name, {}, None, 200)


def _scale(draft, name):  # type: ignore[no-untyped-def]
    """The scale the page changes; "new" for one not made yet."""
    existing = draft.content.get("scales", {}).get(name)
    if name != "new" and existing is None:
        raise HTTPException(status_code=404)
    return existing


def _scale_page(request, draft, name, errors, values, status_code):  # type: ignore[no-untyped-def]
    existing = _scale(draft, name)
    return editor_page(
        request,
        "library/editor/scale.html",
        draft,
        {
            "name": name,
            "values": values if values is not None else scales.scale_values(existing),
            "colours": scales.COLOURS,
            "level_rows": scales.level_rows(values, existing),
        },
        errors=errors,
        status_code=status_code,
    )


@router.post("/questionnaire-drafts/{draft_id}/scales/{name}")
async def save_scale(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    name: SlugPath,
) -> Response:
    return await edit_draft(
        request,
        session,
        person,
        partnership,
        draft_id,
        exists=lambda draft: _scale(draft, name),
        change=lambda e, content: scales.set_scale(
            content, None if name == "new" else name, e.form
        ),
        done=lambda e, _: f"{e.base}#scales",
        page=lambda e, errors, values, status: _scale_page(
            request, e.draft, name, errors, values, status
        ),
    )


@router.get("/questionnaire-drafts/{draft_id}/scales/{name}/remove")
def remove_scale_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    name: SlugPath,
) -> Response:
    _found, draft = draft_of(session, person, partnership, draft_id)
    return _remove_scale_page(request, draft, name, {}, 200)


def _saved_scale(draft, name):  # type: ignore[no-untyped-def]
    """A scale the draft has ("new" is a page, not a scale: nothing to remove)."""
    scale = _scale(draft, name)
    if scale is None:
        raise HTTPException(status_code=404)
    return scale


def _remove_scale_page(request, draft, name, errors, status_code):  # type: ignore[no-untyped-def]
    scale = _saved_scale(draft, name)
    return editor_page(
        request,
        "library/editor/scale_remove.html",
        draft,
        {"name": name, "scale": scale, "users": scales.scale_users(draft.content, name)},
        errors=errors,
        status_code=status_code,
    )


@router.post("/questionnaire-drafts/{draft_id}/scales/{name}/remove")
async def remove_scale(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    draft_id: Id,
    name: SlugPath,
) -> Response:
    return await edit_draft(
        request,
        session,
        person,
        partnership,
        draft_id,
        exists=lambda draft: _saved_scale(draft, name),
        change=lambda e, content: scales.remove_scale(content, name),
        done=lambda e, _: f"{e.base}#scales",
        page=lambda e, errors, _values, status: _remove_scale_page(
            request, e.draft, name, errors, status
        ),
    )
