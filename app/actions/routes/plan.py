"""The agency's action plan pages: writing actions against recommendations, submitting the
plan, recording progress. Never decides a rule: actions/plans.py and progress.py do."""

from __future__ import annotations

from datetime import date
from functools import partial

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.actions import plans
from app.actions import progress as action_progress
from app.actions.forms import read_action_form
from app.actions.models import Action
from app.actions.routes.common import (
    AgencyPerson,
    action_or_404,
    evidence_or_404,
    record_progress_from,
    show_action,
)
from app.db import DbSession
from app.directory.models import Person
from app.params import Id, id_from
from app.returns import service as returns_service
from app.templating import render

router = APIRouter()


_NOT_EDITABLE = (
    "This action plan cannot change now: it opens when the panel's feedback is issued, and "
    "changes again only if the partnership returns it with comments"
)


def _plan_or_404(session: DbSession, person: Person, return_id: int) -> plans.PlanView:
    view = returns_service.return_for(session, person=person, return_id=return_id)
    if view is None:
        raise HTTPException(status_code=404)
    return plans.plan_view(session, view=view)


def _plan_page(
    request: Request,
    plan: plans.PlanView,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "actions/plan.html",
        {
            "plan": plan,
            "today": date.today(),
            "shown": action_progress.shown_status,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/returns/{return_id}/action-plan")
def plan_page(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    return _plan_page(request, _plan_or_404(session, person, return_id))


def _action_form(
    request: Request,
    plan: plans.PlanView,
    recommendation_id: int,
    *,
    action: Action | None = None,
    draft: action_progress.ActionDraft | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    recommendation = plan.recommendation(recommendation_id)
    if recommendation is None:
        raise HTTPException(status_code=404)
    if draft is None:
        draft = (
            action_progress.ActionDraft(
                action.description, action.owner, action.due_on, action.success_measure
            )
            if action
            else action_progress.ActionDraft()
        )
    return render(
        request,
        "actions/action_form.html",
        {
            "plan": plan,
            "recommendation": recommendation,
            "action": action,
            "draft": draft,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/returns/{return_id}/action-plan/actions/new")
def new_action_page(
    request: Request,
    session: DbSession,
    person: AgencyPerson,
    return_id: Id,
    recommendation: Id | None = None,
) -> Response:
    plan = _plan_or_404(session, person, return_id)
    if not plan.editable:
        return RedirectResponse(f"/returns/{return_id}/action-plan", status_code=303)
    return _action_form(request, plan, recommendation or 0)


@router.post("/returns/{return_id}/action-plan/actions")
async def add_action(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    form = await request.form()
    return await run_in_threadpool(_add_action, request, session, person, return_id, form)


def _add_action(request, session, person, return_id, form) -> Response:  # type: ignore[no-untyped-def]
    plan = _plan_or_404(session, person, return_id)
    if not plan.editable:
        return _plan_page(request, plan, error=_NOT_EDITABLE, status_code=409)
    chosen = str(form.get("recommendation") or "")
    recommendation_id = id_from(chosen) or 0
    draft, due_error = read_action_form(form)
    errors = action_progress.check_action(draft, today=date.today(), due_error=due_error)
    if errors:
        return _action_form(
            request, plan, recommendation_id, draft=draft, errors=errors, status_code=400
        )
    try:
        plans.add_action(
            session, plan=plan, recommendation_id=recommendation_id, draft=draft, actor=person
        )
    except action_progress.ActionError as error:
        return _plan_page(request, plan, error=str(error), status_code=409)
    return RedirectResponse(
        f"/returns/{return_id}/action-plan#recommendation-{recommendation_id}", status_code=303
    )


@router.get("/returns/{return_id}/action-plan/actions/{action_id}")
def action_page(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id, action_id: Id
) -> Response:
    plan = _plan_or_404(session, person, return_id)
    return show_action(request, session, plan, action_or_404(plan, action_id))


@router.get("/returns/{return_id}/action-plan/actions/{action_id}/edit")
def edit_action_page(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id, action_id: Id
) -> Response:
    plan = _plan_or_404(session, person, return_id)
    action = action_or_404(plan, action_id)
    if not plan.editable:
        return RedirectResponse(
            f"/returns/{return_id}/action-plan/actions/{action_id}", status_code=303
        )
    return _action_form(request, plan, action.recommendation_id or 0, action=action)


@router.post("/returns/{return_id}/action-plan/actions/{action_id}/edit")
async def edit_action(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id, action_id: Id
) -> Response:
    form = await request.form()
    return await run_in_threadpool(
        _edit_action, request, session, person, return_id, action_id, form
    )


def _edit_action(request, session, person, return_id, action_id, form) -> Response:  # type: ignore[no-untyped-def]
    plan = _plan_or_404(session, person, return_id)
    action = action_or_404(plan, action_id)
    if not plan.editable:
        return _plan_page(request, plan, error=_NOT_EDITABLE, status_code=409)
    draft, due_error = read_action_form(form)
    errors = action_progress.check_action(draft, today=date.today(), due_error=due_error)
    if errors:
        return _action_form(
            request,
            plan,
            action.recommendation_id or 0,
            action=action,
            draft=draft,
            errors=errors,
            status_code=400,
        )
    try:
        plans.change_action(session, plan=plan, action=action, draft=draft, actor=person)
    except action_progress.ActionError as error:
        return _plan_page(request, plan, error=str(error), status_code=409)
    return RedirectResponse(f"/returns/{return_id}/action-plan", status_code=303)


@router.post("/returns/{return_id}/action-plan/actions/{action_id}/remove")
def remove_action(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id, action_id: Id
) -> Response:
    plan = _plan_or_404(session, person, return_id)
    action = action_or_404(plan, action_id)
    try:
        plans.remove_action(session, plan=plan, action=action, actor=person)
    except action_progress.ActionError as error:
        return _plan_page(request, plan, error=str(error), status_code=409)
    return RedirectResponse(f"/returns/{return_id}/action-plan", status_code=303)


@router.post("/returns/{return_id}/action-plan/submit")
def submit_plan(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    plan = _plan_or_404(session, person, return_id)
    try:
        plans.submit_plan(session, plan=plan, actor=person)
    except action_progress.ActionError as error:
        return _plan_page(request, plan, error=str(error), status_code=409)
    return RedirectResponse(f"/returns/{return_id}/action-plan", status_code=303)


@router.post("/returns/{return_id}/action-plan/actions/{action_id}/progress")
async def record_progress(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id, action_id: Id
) -> Response:
    form = await request.form()
    return await run_in_threadpool(
        _record_progress, request, session, person, return_id, action_id, form
    )


def _record_progress(request, session, person, return_id, action_id, form) -> Response:  # type: ignore[no-untyped-def]
    plan = _plan_or_404(session, person, return_id)
    action = action_or_404(plan, action_id)
    return record_progress_from(
        request,
        form,
        record=partial(plans.record_plan_progress, session, plan=plan, action=action, actor=person),
        page=partial(show_action, request, session, plan, action),
        done=f"/returns/{return_id}/action-plan/actions/{action_id}#history",
    )


@router.get("/returns/{return_id}/action-plan/actions/{action_id}/evidence/{evidence_id}")
def action_evidence(
    request: Request,
    session: DbSession,
    person: AgencyPerson,
    return_id: Id,
    action_id: Id,
    evidence_id: Id,
) -> Response:
    plan = _plan_or_404(session, person, return_id)
    return evidence_or_404(request, session, action_or_404(plan, action_id), evidence_id)
