"""What every editor page shares: the coordinator's permission, the draft by id (404 for
another partnership's), a form read as lists, and saving a change with its refusals shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.auth.deps import require
from app.auth.policy import Permission
from app.directory.models import Partnership, Person, Role
from app.library import drafts as drafts_service
from app.library import service as publishing
from app.library.form_fields import TYPE_NAMES, question_at
from app.library.models import QuestionnaireDraft
from app.params import whole_number_from
from app.templating import render

Coordinator = Annotated[Person, require(Permission.SET_UP_PARTNERSHIP)]
# Section and question ids in a path: the format's slugs are at most 60 characters.
SlugPath = Annotated[str, Path(max_length=60)]


def coordinates(person: Person, partnership: Partnership) -> bool:
    return any(
        m.role is Role.COORDINATOR and m.partnership_id == partnership.id
        for m in person.memberships
    )


def coordinating(person: Person, partnership: Partnership | None) -> Partnership:
    """The partnership the coordinator is working in; coordinating elsewhere is not enough."""
    if partnership is None or not coordinates(person, partnership):
        raise HTTPException(status_code=404)
    return partnership


def draft_of(
    session: Any, person: Person, partnership: Partnership | None, draft_id: int
) -> tuple[Partnership, QuestionnaireDraft]:
    found = coordinating(person, partnership)
    draft = drafts_service.get_draft(session, partnership=found, draft_id=draft_id)
    if draft is None:
        raise HTTPException(status_code=404)
    return found, draft


def question_of(draft: QuestionnaireDraft, question_id: str) -> dict[str, Any]:
    """The draft's question an editor page changes; 404 when it has none by that id."""
    try:
        return question_at(draft.content, question_id)
    except KeyError:
        raise HTTPException(status_code=404) from None


def base_url(draft: QuestionnaireDraft) -> str:
    return f"/questionnaire-drafts/{draft.id}"


async def form_of(request: Request) -> dict[str, Any]:
    """The posted form, a field sent more than once (checkboxes) as a list."""
    form = await request.form()
    read: dict[str, Any] = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        read[key] = values if len(values) > 1 else (values[0] if values else "")
    return read


def revision_read(form: dict[str, Any]) -> int:
    """The draft's revision the form was read at (-1, matching none, when it is missing)."""
    revision = whole_number_from(str(form.get("revision", "")))
    return revision if revision is not None else -1


def error_list(errors: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"text": message, "href": f"#{field}" if field != "_" else "#main-content"}
        for field, message in errors.items()
    ]


def save_from_form(
    request: Request,
    session: Any,
    *,
    person: Person,
    draft: QuestionnaireDraft,
    form: dict[str, Any],
    change: Callable[[dict[str, Any]], Any],
    done: Callable[[Any], str],
    page: Callable[[dict[str, str], dict[str, Any] | None, int], Response],
) -> Response:
    """Save the change over the revision the form was read at, then go to `done(result)`;
    a refusal shows the page again with each message beside its field and nothing stored."""
    result: dict[str, Any] = {}

    def apply(content: dict[str, Any]) -> None:
        result["value"] = change(content)

    try:
        drafts_service.save(
            session,
            draft=draft,
            actor=person,
            read_revision=revision_read(form),
            change=apply,
        )
    except drafts_service.EditRefused as refused:
        return page(refused.errors, form, 400)
    except drafts_service.DraftConflict as conflict:
        # The page shows what is saved now; what this person typed is shown beside it.
        request.state.typed = {
            k: v for k, v in form.items() if k not in ("csrf_token", "revision") and v
        }
        return page({"_": str(conflict)}, None, 409)
    except drafts_service.DraftError as error:
        return page({"_": str(error)}, None, 409)
    except KeyError:
        raise HTTPException(status_code=404) from None
    return RedirectResponse(done(result.get("value")), status_code=303)


def editor_page(
    request: Request,
    template: str,
    draft: QuestionnaireDraft,
    context: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    errors = errors or {}
    return render(
        request,
        template,
        {
            "draft": draft,
            "content": draft.content,
            "base": base_url(draft),
            "errors": error_list(errors),
            "field_errors": errors,
            "typed": getattr(request.state, "typed", None),
            "types": TYPE_NAMES,
            **context,
        },
        status_code=status_code,
    )


def overview_page(
    request: Request,
    session: Any,
    partnership: Partnership,
    draft: QuestionnaireDraft,
    errors: dict[str, str],
    status_code: int,
) -> Response:
    return editor_page(
        request,
        "library/editor/overview.html",
        draft,
        {"view": drafts_service.view(session, partnership=partnership, draft=draft)},
        errors=errors,
        status_code=status_code,
    )


async def read_upload(request: Request) -> tuple[str | None, str, str]:
    """The uploaded questionnaire file: its text, its name, or why it cannot be read."""
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, "", "Select a questionnaire file (.yaml)"
    # One byte past the limit is enough to know the file is too large.
    data = await upload.read(publishing.MAX_UPLOAD_BYTES + 1)
    name = upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    if len(data) > publishing.MAX_UPLOAD_BYTES:
        return None, name, f"The file must be smaller than {publishing.MAX_UPLOAD_BYTES // 1000} kB"
    try:
        return data.decode("utf-8"), name, ""
    except UnicodeDecodeError:
        return None, name, "The file must be YAML text in UTF-8"


@dataclass
class Editing:
    """One change being made on an editor page: the posted form and the draft it changes."""

    request: Request
    session: Any
    partnership: Partnership
    draft: QuestionnaireDraft
    form: dict[str, Any]

    @property
    def base(self) -> str:
        return base_url(self.draft)

    def published_ids(self) -> dict[str, str]:
        return drafts_service.published_question_ids(
            self.session, questionnaire_id=self.draft.content.get("id", "")
        )


async def edit_draft(
    request: Request,
    session: Any,
    person: Person,
    partnership: Partnership | None,
    draft_id: int,
    *,
    change: Callable[[Editing, dict[str, Any]], Any],
    done: Callable[[Editing, Any], str],
    page: Callable[[Editing, dict[str, str], dict[str, Any] | None, int], Response],
    exists: Callable[[QuestionnaireDraft], Any] = lambda draft: None,
) -> Response:
    """An editor POST: the draft (404 when not the partnership's, or when `exists` says what
    the page changes is gone), the change saved, then `done`; or the page again with why not."""
    form = await form_of(request)

    def run() -> Response:
        found, draft = draft_of(session, person, partnership, draft_id)
        exists(draft)
        editing = Editing(request, session, found, draft, form)
        return save_from_form(
            request,
            session,
            person=person,
            draft=draft,
            form=form,
            change=lambda content: change(editing, content),
            done=lambda result: done(editing, result),
            page=lambda errors, values, status: page(editing, errors, values, status),
        )

    return await run_in_threadpool(run)
