"""What the action plan pages share: the permission each kind of page asks for, an action's
page with its progress, the evidence and its limits. Never holds a route of its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from app.actions import plans
from app.actions import progress as action_progress
from app.actions.forms import read_progress, read_upload
from app.actions.models import Action, ActionStatus
from app.auth.deps import require
from app.auth.policy import Permission
from app.db import DbSession
from app.directory.models import Person
from app.returns import evidence
from app.returns.routes.common import evidence_download
from app.templating import render

AgencyPerson = Annotated[Person, require(Permission.WORK_ON_RETURNS)]
Coordinator = Annotated[Person, require(Permission.MANAGE_ROUND)]
Follower = Annotated[Person, require(Permission.FOLLOW_ACTION_PLANS)]

STATUSES = list(ActionStatus)


def record_progress_from(
    request: Request,
    form: FormData,
    *,
    record: Callable[..., object],
    page: Callable[..., Response],
    done: str,
) -> Response:
    """Record the progress a form gives (status, note, evidence file) through `record`, then go
    to `done`; a refusal shows `page` again with what was typed and the message by its field.
    An agency's action and a partnership's own item record progress the same way."""
    progress = read_progress(form)
    try:
        record(progress=progress, upload=read_upload(form), **progress_limits(request))
    except action_progress.ActionError as error:
        return page(progress=progress, errors={error.field: str(error)}, status_code=400)
    return RedirectResponse(done, status_code=303)


def progress_limits(request: Request) -> dict:  # type: ignore[type-arg]
    settings = request.app.state.settings
    return {
        "storage": request.app.state.storage,
        "max_bytes": settings.evidence_file_mb * evidence.MB,
    }


def action_or_404(plan: plans.PlanView, action_id: int) -> Action:
    action = plan.action(action_id)
    if action is None:
        raise HTTPException(status_code=404)
    return action


def show_action(
    request: Request,
    session: DbSession,
    plan: plans.PlanView,
    action: Action,
    *,
    progress: action_progress.Progress | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    coordinating: bool = False,
) -> Response:
    base = "/round/returns/" if coordinating else "/returns/"
    return render(
        request,
        "actions/action.html",
        {
            "plan": plan,
            "coordinating": coordinating,
            "base": f"{base}{plan.view.agency_return.id}/action-plan",
            "action": action,
            "recommendation": plan.recommendation(action.recommendation_id or 0),
            "history": action_progress.history_of(session, action=action),
            "shown": action_progress.shown_status(action, date.today()),
            "statuses": STATUSES,
            "progress": progress or action_progress.Progress(status=action.status.value),
            "errors": errors or {},
            "may_update": plan.takes_progress,
        },
        status_code=status_code,
    )


def evidence_or_404(
    request: Request, session: DbSession, action: Action, evidence_id: int
) -> Response:
    file = action_progress.evidence_of_action(session, action=action, evidence_id=evidence_id)
    if file is None:
        raise HTTPException(status_code=404)
    return evidence_download(request, file)
