"""Feedback pages: the coordinator issuing it, the agency reading it. Never shows the agency
anything before the coordinator has issued it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.actions import recommendations
from app.auth.deps import CurrentPartnership
from app.cycles import service as cycles_service
from app.db import DbSession
from app.panels import feedback, moderation, sessions
from app.panels.routes.common import (
    AgencyPerson,
    Coordinator,
    base_url_of,
    send_emails,
    target_or_404,
)
from app.params import Id
from app.returns import service as returns_service
from app.templating import render

router = APIRouter()


def _feedback_page(request, session, person, target, error=None, strengths="", status_code=200):  # type: ignore[no-untyped-def]
    return render(
        request,
        "panels/issue_feedback.html",
        {
            "target": target,
            "rows": moderation.moderation(session, target, person),
            "recommendations": recommendations.recommendations_of(
                session, return_id=target.view.agency_return.id
            ),
            "problems": feedback.feedback_problems(session, target),
            "issued": feedback.feedback_of(session, view=target.view),
            "error": error,
            "strengths": strengths,
        },
        status_code=status_code,
    )


@router.get("/round/returns/{return_id}/feedback")
def issue_feedback_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: Id,
) -> Response:
    target = _coordinated_target(session, person, partnership, return_id)
    return _feedback_page(request, session, person, target)


def _coordinated_target(session, person, partnership, return_id):  # type: ignore[no-untyped-def]
    if not cycles_service.coordinates(person, partnership):
        raise HTTPException(status_code=404)
    target = target_or_404(session, person, return_id)
    if target.panel.partnership_id != partnership.id:
        raise HTTPException(status_code=404)
    return target


@router.post("/round/returns/{return_id}/feedback")
def issue_feedback(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: Id,
    strengths: Annotated[str, Form()] = "",
) -> Response:
    target = _coordinated_target(session, person, partnership, return_id)
    try:
        emails = feedback.issue_feedback(
            session, target=target, strengths=strengths, actor=person, base_url=base_url_of(request)
        )
    except sessions.PanelError as error:
        return _feedback_page(
            request, session, person, target, error=str(error), strengths=strengths,
            status_code=400,
        )  # fmt: skip
    send_emails(request, session, emails, target.panel.partnership_id)
    return RedirectResponse(f"/round/returns/{return_id}/feedback", status_code=303)


@router.get("/returns/{return_id}/feedback")
def feedback_page(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    view = returns_service.return_for(session, person=person, return_id=return_id)
    if view is None:
        raise HTTPException(status_code=404)
    shown = feedback.feedback_of(session, view=view)
    if shown is None:
        raise HTTPException(status_code=404)
    return render(request, "panels/feedback.html", {"view": view, "shown": shown})
