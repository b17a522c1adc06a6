"""The meeting's pages: the agenda, moderation, agreed ratings and recommendations.
Never lets a page agree anything: moderation.py and actions/recommendations.py decide."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.actions import recommendations
from app.db import DbSession
from app.panels import booking, moderation, scoring, sessions, triangulation
from app.panels.forms import read_rating
from app.panels.routes.common import (
    Follower,
    PanelPerson,
    base_url_of,
    send_emails,
    target_or_404,
)
from app.params import Id
from app.templating import render

router = APIRouter()


def _moderation_page(request, session, person, target, errors=None, typed=None, status_code=200):  # type: ignore[no-untyped-def]
    return_id = target.view.agency_return.id
    return render(
        request,
        "panels/moderation.html",
        {
            "target": target,
            "rows": moderation.moderation(session, target, person),
            "sees_colleagues": scoring.sees_colleagues(session, target, person),
            "waiting": moderation.not_yet_submitted(session, target),
            "runs_meeting": moderation.runs_meeting(person, target.panel),
            "reminded": request.query_params.get("reminded"),
            "recommendations": recommendations.recommendations_of(session, return_id=return_id),
            "errors": errors or {},
            "typed": typed or {},
            "open": target.open,
            "current_person_id": person.id,
            "staff": triangulation.for_return(
                session, cycle=target.view.cycle, agency_id=target.view.agency.id
            ),
        },
        status_code=status_code,
    )


@router.get("/panels/returns/{return_id}/moderation")
def moderation_page(
    request: Request, session: DbSession, person: Follower, return_id: Id
) -> Response:
    target = target_or_404(session, person, return_id)
    return _moderation_page(request, session, person, target)


@router.post("/panels/returns/{return_id}/remind")
def remind_to_submit(
    request: Request, session: DbSession, person: Follower, return_id: Id
) -> Response:
    """The chair reminds the members who have not submitted their scores of this return."""
    target = target_or_404(session, person, return_id)
    try:
        emails = moderation.remind_to_submit(
            session, target=target, actor=person, base_url=base_url_of(request)
        )
    except sessions.PanelError:
        raise HTTPException(status_code=404) from None  # not the chair nor a coordinator
    send_emails(request, session, emails, target.panel.partnership_id)
    return RedirectResponse(
        f"/panels/returns/{return_id}/moderation?reminded={len(emails)}", status_code=303
    )


@router.post("/panels/returns/{return_id}/agreed")
async def agree_ratings(
    request: Request, session: DbSession, person: PanelPerson, return_id: Id
) -> Response:
    """The chair's agreed rating and notes for every item at once, as the meeting settles them."""
    form = await request.form()

    def save() -> Response:
        target = target_or_404(session, person, return_id)
        fields = {}
        for index, item in enumerate(target.items):
            chosen = str(form.get(f"agreed-{index}") or "")
            if chosen:
                rating = read_rating(chosen)
                fields[item.key] = (rating, str(form.get(f"agreed-{index}-notes") or ""))
        try:
            problems = moderation.agree_ratings(session, target=target, agreed=fields, actor=person)
        except sessions.PanelError:
            raise HTTPException(status_code=404) from None  # not the chair, or too late
        if problems:
            index_of = {item.key: index for index, item in enumerate(target.items)}
            errors = {f"agreed-{index_of[key]}": message for key, message in problems.items()}
            return _moderation_page(request, session, person, target, errors, dict(form), 400)
        return RedirectResponse(f"/panels/returns/{return_id}/moderation", status_code=303)

    return await run_in_threadpool(save)


@router.post("/panels/returns/{return_id}/recommendations")
async def add_recommendation(
    request: Request, session: DbSession, person: PanelPerson, return_id: Id
) -> Response:
    form = await request.form()

    def save() -> Response:
        target = target_or_404(session, person, return_id)
        if not target.is_chair or not target.open:
            raise HTTPException(status_code=404)
        draft = recommendations.RecommendationDraft(
            **{
                name: str(form.get(name) or "")
                for name in (
                    "worry_statement",
                    "safety_goal",
                    "next_steps",
                    "priority",
                    "theme",
                    "item",
                )
            }
        )
        cycle = target.view.cycle
        errors = recommendations.check_recommendation(
            draft,
            priorities=cycle.priorities,
            themes=cycle.themes,
            items={item.key for item in target.items},
        )
        if errors:
            return _moderation_page(
                request, session, person, target, errors, draft.__dict__, status_code=400
            )
        recommendations.add_recommendation(session, return_id=return_id, draft=draft, actor=person)
        return RedirectResponse(
            f"/panels/returns/{return_id}/moderation#recommendations", status_code=303
        )

    return await run_in_threadpool(save)


@router.post("/panels/returns/{return_id}/recommendations/{recommendation_id}/remove")
def remove_recommendation(
    request: Request,
    session: DbSession,
    person: PanelPerson,
    return_id: Id,
    recommendation_id: Id,
) -> Response:
    target = target_or_404(session, person, return_id)
    if not target.is_chair or not target.open:
        raise HTTPException(status_code=404)
    if not recommendations.remove_recommendation(
        session, return_id=return_id, recommendation_id=recommendation_id, actor=person
    ):
        raise HTTPException(status_code=404)
    return RedirectResponse(
        f"/panels/returns/{return_id}/moderation#recommendations", status_code=303
    )


@router.get("/panels/sessions/{session_id}/meeting")
def meeting_page(
    request: Request, session: DbSession, person: Follower, session_id: Id
) -> Response:
    panel = moderation.session_to_follow(session, person=person, session_id=session_id)
    if panel is None:
        raise HTTPException(status_code=404)
    slots = sessions.slots_of(session, panel)
    return render(
        request,
        "panels/meeting.html",
        {
            "panel": panel,
            "slots": slots,
            "booked": booking.booked_returns(session, slots),
            "agenda": moderation.agenda(slots),
            "members": sessions.members_of(session, panel),
            "london": sessions.london,
            "may_start": moderation.runs_meeting(person, panel),
        },
    )


@router.post("/panels/sessions/{session_id}/start")
def start_meeting(
    request: Request, session: DbSession, person: Follower, session_id: Id
) -> Response:
    panel = moderation.session_to_follow(session, person=person, session_id=session_id)
    if panel is None:
        raise HTTPException(status_code=404)
    if not moderation.runs_meeting(person, panel):
        raise HTTPException(status_code=404)
    moderation.start_meeting(session, panel=panel, actor=person)
    return RedirectResponse(f"/panels/sessions/{session_id}/meeting", status_code=303)
