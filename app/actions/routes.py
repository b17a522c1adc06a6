"""Action plan pages: the agency writes its plan and records progress; the coordinator agrees
or returns it and keeps the Composite Action Plan; the chair sees what needs attention."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.actions import composite, plans
from app.actions import progress as action_progress
from app.actions.forms import (
    MOST_DATES,
    read_action_form,
    read_dates,
    read_item_form,
    read_progress,
    read_upload,
)
from app.actions.models import Action, ActionStatus
from app.auth.deps import CurrentPartnership, require
from app.auth.policy import Permission
from app.cycles import service as cycles_service
from app.db import DbSession
from app.directory.models import Partnership, Person
from app.notifications import service as notifications_service
from app.returns import evidence
from app.returns import service as returns_service
from app.returns.routes import evidence_download
from app.templating import render

router = APIRouter()

AgencyPerson = Annotated[Person, require(Permission.WORK_ON_RETURNS)]
Coordinator = Annotated[Person, require(Permission.MANAGE_ROUND)]
Follower = Annotated[Person, require(Permission.FOLLOW_ACTION_PLANS)]

STATUSES = list(ActionStatus)
_NOT_EDITABLE = (
    "This action plan cannot change now: it opens when the panel's feedback is issued, and "
    "changes again only if the partnership returns it with comments"
)


def _progress_limits(request: Request) -> dict:  # type: ignore[type-arg]
    settings = request.app.state.settings
    return {"directory": settings.uploads, "max_bytes": settings.evidence_file_mb * evidence.MB}


# The agency's plan ------------------------------------------------------------------------------


def _plan_or_404(session: DbSession, person: Person, return_id: int) -> plans.PlanView:
    view = returns_service.return_for(session, person=person, return_id=return_id)
    if view is None:
        raise HTTPException(status_code=404)
    return plans.plan_view(session, view=view)


def _action_or_404(plan: plans.PlanView, action_id: int) -> Action:
    action = plan.action(action_id)
    if action is None:
        raise HTTPException(status_code=404)
    return action


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
    request: Request, session: DbSession, person: AgencyPerson, return_id: int
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
    return_id: int,
    recommendation: int = 0,
) -> Response:
    plan = _plan_or_404(session, person, return_id)
    if not plan.editable:
        return RedirectResponse(f"/returns/{return_id}/action-plan", status_code=303)
    return _action_form(request, plan, recommendation)


@router.post("/returns/{return_id}/action-plan/actions")
async def add_action(
    request: Request, session: DbSession, person: AgencyPerson, return_id: int
) -> Response:
    form = await request.form()
    return await run_in_threadpool(_add_action, request, session, person, return_id, form)


def _add_action(request, session, person, return_id, form) -> Response:  # type: ignore[no-untyped-def]
    plan = _plan_or_404(session, person, return_id)
    if not plan.editable:
        return _plan_page(request, plan, error=_NOT_EDITABLE, status_code=409)
    chosen = str(form.get("recommendation") or "")
    recommendation_id = int(chosen) if chosen.isdigit() else 0
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


def _action_page(
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


@router.get("/returns/{return_id}/action-plan/actions/{action_id}")
def action_page(
    request: Request, session: DbSession, person: AgencyPerson, return_id: int, action_id: int
) -> Response:
    plan = _plan_or_404(session, person, return_id)
    return _action_page(request, session, plan, _action_or_404(plan, action_id))


@router.get("/returns/{return_id}/action-plan/actions/{action_id}/edit")
def edit_action_page(
    request: Request, session: DbSession, person: AgencyPerson, return_id: int, action_id: int
) -> Response:
    plan = _plan_or_404(session, person, return_id)
    action = _action_or_404(plan, action_id)
    if not plan.editable:
        return RedirectResponse(
            f"/returns/{return_id}/action-plan/actions/{action_id}", status_code=303
        )
    return _action_form(request, plan, action.recommendation_id or 0, action=action)


@router.post("/returns/{return_id}/action-plan/actions/{action_id}/edit")
async def edit_action(
    request: Request, session: DbSession, person: AgencyPerson, return_id: int, action_id: int
) -> Response:
    form = await request.form()
    return await run_in_threadpool(
        _edit_action, request, session, person, return_id, action_id, form
    )


def _edit_action(request, session, person, return_id, action_id, form) -> Response:  # type: ignore[no-untyped-def]
    plan = _plan_or_404(session, person, return_id)
    action = _action_or_404(plan, action_id)
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
    request: Request, session: DbSession, person: AgencyPerson, return_id: int, action_id: int
) -> Response:
    plan = _plan_or_404(session, person, return_id)
    action = _action_or_404(plan, action_id)
    try:
        plans.remove_action(session, plan=plan, action=action, actor=person)
    except action_progress.ActionError as error:
        return _plan_page(request, plan, error=str(error), status_code=409)
    return RedirectResponse(f"/returns/{return_id}/action-plan", status_code=303)


@router.post("/returns/{return_id}/action-plan/submit")
def submit_plan(
    request: Request, session: DbSession, person: AgencyPerson, return_id: int
) -> Response:
    plan = _plan_or_404(session, person, return_id)
    try:
        plans.submit_plan(session, plan=plan, actor=person)
    except action_progress.ActionError as error:
        return _plan_page(request, plan, error=str(error), status_code=409)
    return RedirectResponse(f"/returns/{return_id}/action-plan", status_code=303)


@router.post("/returns/{return_id}/action-plan/actions/{action_id}/progress")
async def record_progress(
    request: Request, session: DbSession, person: AgencyPerson, return_id: int, action_id: int
) -> Response:
    form = await request.form()
    return await run_in_threadpool(
        _record_progress, request, session, person, return_id, action_id, form
    )


def _record_progress(request, session, person, return_id, action_id, form) -> Response:  # type: ignore[no-untyped-def]
    plan = _plan_or_404(session, person, return_id)
    action = _action_or_404(plan, action_id)
    progress = read_progress(form)
    try:
        plans.record_plan_progress(
            session,
            plan=plan,
            action=action,
            progress=progress,
            actor=person,
            upload=read_upload(form),
            **_progress_limits(request),
        )
    except action_progress.ActionError as error:
        return _action_page(
            request,
            session,
            plan,
            action,
            progress=progress,
            errors={error.field: str(error)},
            status_code=400,
        )
    return RedirectResponse(
        f"/returns/{return_id}/action-plan/actions/{action_id}#history", status_code=303
    )


@router.get("/returns/{return_id}/action-plan/actions/{action_id}/evidence/{evidence_id}")
def action_evidence(
    request: Request,
    session: DbSession,
    person: AgencyPerson,
    return_id: int,
    action_id: int,
    evidence_id: int,
) -> Response:
    plan = _plan_or_404(session, person, return_id)
    return _evidence_or_404(request, session, _action_or_404(plan, action_id), evidence_id)


def _evidence_or_404(
    request: Request, session: DbSession, action: Action, evidence_id: int
) -> Response:
    file = action_progress.evidence_of_action(session, action=action, evidence_id=evidence_id)
    if file is None:
        raise HTTPException(status_code=404)
    return evidence_download(request, file)


# The coordinator's review -----------------------------------------------------------------------


def _coordinated_plan(session, person, partnership, return_id):  # type: ignore[no-untyped-def]
    if not cycles_service.coordinates(person, partnership):
        raise HTTPException(status_code=404)
    row = cycles_service.return_in_round(session, partnership=partnership, return_id=return_id)
    if row is None:
        raise HTTPException(status_code=404)
    view = returns_service.view_of(session, row[0])
    return plans.plan_view(session, view=view)


def _review_page(
    request: Request,
    plan: plans.PlanView,
    *,
    error: str | None = None,
    error_field: str = "decision",
    comments: str = "",
    decision: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "actions/review.html",
        {
            "plan": plan,
            "error_field": error_field,
            "today": date.today(),
            "shown": action_progress.shown_status,
            "error": error,
            "comments": comments,
            "decision": decision,
        },
        status_code=status_code,
    )


@router.get("/round/returns/{return_id}/action-plan")
def review_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: int,
) -> Response:
    return _review_page(request, _coordinated_plan(session, person, partnership, return_id))


@router.post("/round/returns/{return_id}/action-plan/review")
def review_plan(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: int,
    decision: Annotated[str, Form()] = "",
    comments: Annotated[str, Form()] = "",
) -> Response:
    plan = _coordinated_plan(session, person, partnership, return_id)
    if decision not in ("agree", "return"):
        return _review_page(
            request,
            plan,
            error="Select whether to agree the plan or return it",
            error_field="decision",
            comments=comments,
            status_code=400,
        )
    try:
        emails = plans.review_plan(
            session,
            plan=plan,
            agree=decision == "agree",
            comments=comments,
            actor=person,
            partnership=partnership,
            base_url=request.app.state.settings.base_url,
        )
    except action_progress.ActionError as error:
        return _review_page(
            request,
            plan,
            error=str(error),
            error_field=error.field,
            comments=comments,
            decision=decision,
            status_code=400,
        )
    settings = request.app.state.settings
    for email in emails:
        notifications_service.deliver(
            session, settings, email, kind="action_plan", partnership_id=partnership.id
        )
    return RedirectResponse(f"/round/returns/{return_id}/action-plan", status_code=303)


@router.get("/round/returns/{return_id}/action-plan/actions/{action_id}")
def coordinator_action_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: int,
    action_id: int,
) -> Response:
    plan = _coordinated_plan(session, person, partnership, return_id)
    return _action_page(request, session, plan, _action_or_404(plan, action_id), coordinating=True)


@router.get("/round/returns/{return_id}/action-plan/actions/{action_id}/evidence/{evidence_id}")
def coordinator_action_evidence(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: int,
    action_id: int,
    evidence_id: int,
) -> Response:
    plan = _coordinated_plan(session, person, partnership, return_id)
    return _evidence_or_404(request, session, _action_or_404(plan, action_id), evidence_id)


# The partnership's view -------------------------------------------------------------------------


def _following(person: Person, partnership: Partnership | None) -> Partnership:
    if partnership is None or not composite.follows_action_plans(person, partnership):
        raise HTTPException(status_code=404)
    return partnership


@router.get("/action-plans")
def attention_page(
    request: Request, session: DbSession, person: Follower, partnership: CurrentPartnership
) -> Response:
    partnership = _following(person, partnership)
    today = date.today()
    return render(
        request,
        "actions/attention.html",
        {
            "rows": composite.needing_attention(session, partnership=partnership, today=today),
            "cycles": cycles_service.cycles_of(session, partnership=partnership),
            "coordinates": cycles_service.coordinates(person, partnership),
            "today": today,
        },
    )


def _cycle_or_404(session: DbSession, partnership: Partnership, slug: str):  # type: ignore[no-untyped-def]
    cycle = cycles_service.cycle_for(session, partnership=partnership, slug=slug)
    if cycle is None:
        raise HTTPException(status_code=404)
    return cycle


@router.get("/action-plans/cycles/{slug}")
def composite_page(
    request: Request,
    session: DbSession,
    person: Follower,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    partnership = _following(person, partnership)
    cycle = _cycle_or_404(session, partnership, slug)
    today = date.today()
    typed = request.query_params.getlist("at")
    dates, date_errors = read_dates(typed, today)
    if not dates:
        dates = composite.default_dates(cycle, today)
    if not typed or not date_errors:
        typed = [day.isoformat() for day in dates]
    plan = composite.composite_plan(session, cycle=cycle, partnership=partnership)
    counts, totals = composite.open_by_theme(session, plan=plan, dates=dates)
    return render(
        request,
        "actions/composite.html",
        {
            "plan": plan,
            "cycle": cycle,
            "dates": dates,
            "typed": typed + [""] * (MOST_DATES - len(typed)),
            "date_errors": date_errors,
            "counts": counts,
            "totals": totals,
            "today": today,
            "shown": action_progress.shown_status,
            "coordinates": cycles_service.coordinates(person, partnership),
        },
        status_code=400 if date_errors else 200,
    )


def _item_form(request, cycle, *, draft=None, errors=None, status_code=200):  # type: ignore[no-untyped-def]
    return render(
        request,
        "actions/item_form.html",
        {
            "cycle": cycle,
            "draft": draft or composite.ItemDraft(),
            "errors": errors or {},
            "sources": composite.OTHER_SOURCES,
        },
        status_code=status_code,
    )


@router.get("/action-plans/cycles/{slug}/items/new")
def new_item_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    if not cycles_service.coordinates(person, partnership):
        raise HTTPException(status_code=404)
    assert partnership is not None
    return _item_form(request, _cycle_or_404(session, partnership, slug))


@router.post("/action-plans/cycles/{slug}/items")
async def add_item(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    form = await request.form()
    return await run_in_threadpool(_add_item, request, session, person, partnership, slug, form)


def _add_item(request, session, person, partnership, slug, form) -> Response:  # type: ignore[no-untyped-def]
    if not cycles_service.coordinates(person, partnership):
        raise HTTPException(status_code=404)
    cycle = _cycle_or_404(session, partnership, slug)
    draft, due_error = read_item_form(form)
    errors = composite.check_item(draft, cycle=cycle, today=date.today(), due_error=due_error)
    if errors:
        return _item_form(request, cycle, draft=draft, errors=errors, status_code=400)
    composite.add_item(session, cycle=cycle, partnership=partnership, draft=draft, actor=person)
    return RedirectResponse(f"/action-plans/cycles/{slug}#other-sources", status_code=303)


def _item_page(
    request, session, person, partnership, item, *, progress=None, errors=None, status_code=200
):  # type: ignore[no-untyped-def]
    return render(
        request,
        "actions/item.html",
        {
            "action": item,
            "cycle": composite.cycle_of(session, item),
            "history": action_progress.history_of(session, action=item),
            "shown": action_progress.shown_status(item, date.today()),
            "statuses": STATUSES,
            "progress": progress or action_progress.Progress(status=item.status.value),
            "errors": errors or {},
            "may_update": cycles_service.coordinates(person, partnership),
        },
        status_code=status_code,
    )


def _item_or_404(session, person, partnership, action_id):  # type: ignore[no-untyped-def]
    partnership = _following(person, partnership)
    item = composite.item_for(session, partnership=partnership, action_id=action_id)
    if item is None:
        raise HTTPException(status_code=404)
    return partnership, item


@router.get("/action-plans/items/{action_id}")
def item_page(
    request: Request,
    session: DbSession,
    person: Follower,
    partnership: CurrentPartnership,
    action_id: int,
) -> Response:
    partnership, item = _item_or_404(session, person, partnership, action_id)
    return _item_page(request, session, person, partnership, item)


@router.post("/action-plans/items/{action_id}/progress")
async def item_progress(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    action_id: int,
) -> Response:
    form = await request.form()
    return await run_in_threadpool(
        _item_progress, request, session, person, partnership, action_id, form
    )


def _item_progress(request, session, person, partnership, action_id, form) -> Response:  # type: ignore[no-untyped-def]
    if not cycles_service.coordinates(person, partnership):
        raise HTTPException(status_code=404)
    partnership, item = _item_or_404(session, person, partnership, action_id)
    progress = read_progress(form)
    try:
        action_progress.record_progress(
            session,
            action=item,
            progress=progress,
            actor=person,
            upload=read_upload(form),
            **_progress_limits(request),
        )
    except action_progress.ActionError as error:
        return _item_page(
            request,
            session,
            person,
            partnership,
            item,
            progress=progress,
            errors={error.field: str(error)},
            status_code=400,
        )
    return RedirectResponse(f"/action-plans/items/{action_id}#history", status_code=303)


@router.get("/action-plans/items/{action_id}/evidence/{evidence_id}")
def item_evidence(
    request: Request,
    session: DbSession,
    person: Follower,
    partnership: CurrentPartnership,
    action_id: int,
    evidence_id: int,
) -> Response:
    _partnership, item = _item_or_404(session, person, partnership, action_id)
    return _evidence_or_404(request, session, item, evidence_id)
