"""The coordinator's review of an agency's plan: agreeing it or returning it with comments.
Never decides whether a plan is agreed: actions/plans.py holds that rule."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.actions import plans
from app.actions import progress as action_progress
from app.actions.routes.common import Coordinator, action_or_404, evidence_or_404, show_action
from app.auth.deps import CurrentPartnership
from app.cycles import service as cycles_service
from app.db import DbSession
from app.notifications import service as notifications_service
from app.params import Id
from app.returns import service as returns_service
from app.templating import render

router = APIRouter()


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
    return_id: Id,
) -> Response:
    return _review_page(request, _coordinated_plan(session, person, partnership, return_id))


@router.post("/round/returns/{return_id}/action-plan/review")
def review_plan(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: Id,
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
    for email in emails:
        notifications_service.queue_email(
            session, email, kind="action_plan", partnership_id=partnership.id
        )
    return RedirectResponse(f"/round/returns/{return_id}/action-plan", status_code=303)


@router.get("/round/returns/{return_id}/action-plan/actions/{action_id}")
def coordinator_action_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: Id,
    action_id: Id,
) -> Response:
    plan = _coordinated_plan(session, person, partnership, return_id)
    return show_action(request, session, plan, action_or_404(plan, action_id), coordinating=True)


@router.get("/round/returns/{return_id}/action-plan/actions/{action_id}/evidence/{evidence_id}")
def coordinator_action_evidence(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: Id,
    action_id: Id,
    evidence_id: Id,
) -> Response:
    plan = _coordinated_plan(session, person, partnership, return_id)
    return evidence_or_404(request, session, action_or_404(plan, action_id), evidence_id)
