"""Panel pages: coordinators schedule sessions and book returns into slots; members read,
score and moderate; the chair agrees ratings and recommendations; the agency reads feedback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.actions import recommendations
from app.auth.deps import CurrentPartnership, require
from app.auth.policy import Permission
from app.cycles import service as cycles_service
from app.db import DbSession
from app.directory.models import Person
from app.notifications import service as notifications_service
from app.notifications.mail import Email
from app.panels import (
    booking,
    conflicts,
    feedback,
    moderation,
    reading,
    scheduling,
    scoring,
    sessions,
)
from app.panels.forms import read_scores, read_session_form
from app.panels.models import MeetingMode, PanelSession
from app.returns import service as returns_service
from app.returns.routes import evidence_download
from app.templating import render

router = APIRouter()

Coordinator = Annotated[Person, require(Permission.MANAGE_ROUND)]
PanelPerson = Annotated[Person, require(Permission.SIT_ON_PANELS)]
Follower = Annotated[Person, require(Permission.FOLLOW_PANELS)]
AgencyPerson = Annotated[Person, require(Permission.WORK_ON_RETURNS)]


def _send(request: Request, session: DbSession, emails: list[Email], partnership_id: int) -> None:
    settings = request.app.state.settings
    for email in emails:
        notifications_service.deliver(
            session, settings, email, kind="panel", partnership_id=partnership_id
        )


def _base_url(request: Request) -> str:
    return request.app.state.settings.base_url


# Scheduling, for coordinators ------------------------------------------------------------------


def _cycle_or_404(session, person, partnership, slug):  # type: ignore[no-untyped-def]
    if not cycles_service.coordinates(person, partnership):
        raise HTTPException(status_code=404)
    cycle = cycles_service.cycle_for(session, partnership=partnership, slug=slug)
    if cycle is None:
        raise HTTPException(status_code=404)
    return partnership, cycle


def _session_or_404(session, person, partnership, session_id):  # type: ignore[no-untyped-def]
    if not cycles_service.coordinates(person, partnership):
        raise HTTPException(status_code=404)
    panel = sessions.session_for(session, partnership=partnership, session_id=session_id)
    if panel is None:
        raise HTTPException(status_code=404)
    return partnership, panel


@router.get("/round/cycles/{slug}/panels")
def panels_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    partnership, cycle = _cycle_or_404(session, person, partnership, slug)
    panels = sessions.sessions_of(session, cycle=cycle, partnership=partnership)
    rows = []
    for panel in panels:
        slots = sessions.slots_of(session, panel)
        rows.append(
            {
                "panel": panel,
                "booked": sum(1 for s in slots if s.return_id),
                "slots": len(slots),
                "members": sessions.members_of(session, panel),
                "conflicts": []
                if panel.cancelled_at
                else conflicts.session_conflicts(session, panel),
            }
        )
    return render(
        request,
        "panels/sessions.html",
        {
            "london": sessions.london,
            "cycle": cycle,
            "declared": conflicts.declarations_in(session, partnership=partnership),
            "rows": rows,
            "waiting": booking.waiting_returns(session, cycle=cycle, partnership=partnership),
        },
    )


def _session_form(request, cycle, details, errors=None, panel=None, status_code=200):  # type: ignore[no-untyped-def]
    return render(
        request,
        "panels/session_form.html",
        {
            "cycle": cycle,
            "details": details,
            "errors": errors or {},
            "panel": panel,
            "modes": list(MeetingMode),
        },
        status_code=status_code,
    )


@router.get("/round/cycles/{slug}/panels/new")
def new_session_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    _partnership, cycle = _cycle_or_404(session, person, partnership, slug)
    return _session_form(request, cycle, scheduling.SessionDetails())


@router.post("/round/cycles/{slug}/panels/new")
async def new_session(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    form = await request.form()

    def save() -> Response:
        found, cycle = _cycle_or_404(session, person, partnership, slug)
        details, errors = read_session_form(form)
        errors = {**scheduling.check_details(details, cycle=cycle), **errors}
        if errors:
            return _session_form(request, cycle, details, errors, status_code=400)
        panel = scheduling.create_session(
            session, cycle=cycle, partnership=found, details=details, actor=person
        )
        return RedirectResponse(f"/round/panels/{panel.id}", status_code=303)

    return await run_in_threadpool(save)


@router.get("/round/panels/{session_id}/edit")
def edit_session_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: int,
) -> Response:
    _partnership, panel = _session_or_404(session, person, partnership, session_id)
    cycle = _cycle_of(session, panel)
    return _session_form(request, cycle, scheduling.details_of(panel), panel=panel)


def _cycle_of(session, panel: PanelSession):  # type: ignore[no-untyped-def]
    return sessions.cycle_of(session, panel)


@router.post("/round/panels/{session_id}/edit")
async def edit_session(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: int,
) -> Response:
    form = await request.form()

    def save() -> Response:
        found, panel = _session_or_404(session, person, partnership, session_id)
        cycle = _cycle_of(session, panel)
        details, errors = read_session_form(form)
        errors = {**scheduling.check_details(details, cycle=cycle), **errors}
        if errors:
            return _session_form(request, cycle, details, errors, panel, status_code=400)
        try:
            emails = scheduling.change_session(
                session, panel=panel, details=details, actor=person, base_url=_base_url(request)
            )
        except sessions.PanelError as error:
            return _session_form(
                request, cycle, details, {"ends": str(error)}, panel, status_code=400
            )
        _send(request, session, emails, found.id)
        return RedirectResponse(f"/round/panels/{panel.id}?changed=1", status_code=303)

    return await run_in_threadpool(save)


def _session_page(request, session, partnership, panel, error=None, notice=None, status_code=200):  # type: ignore[no-untyped-def]
    slots = sessions.slots_of(session, panel)
    members = sessions.members_of(session, panel)
    taken = {m.person_id for m in members}
    return render(
        request,
        "panels/session.html",
        {
            "panel": panel,
            "cycle": _cycle_of(session, panel),
            "slots": slots,
            "booked": booking.booked_returns(session, slots),
            "members": members,
            "candidates": [
                p
                for p in scheduling.candidates(session, partnership=partnership)
                if p.id not in taken
            ],
            "agencies": scheduling.agencies_here(session, partnership=partnership),
            "waiting": booking.waiting_returns(
                session, cycle=_cycle_of(session, panel), partnership=partnership
            ),
            "conflicts": [] if panel.cancelled_at else conflicts.session_conflicts(session, panel),
            "error": error,
            "notice": notice,
            "london": sessions.london,
        },
        status_code=status_code,
    )


@router.get("/round/panels/{session_id}")
def session_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: int,
    changed: int = 0,
    filled: int | None = None,
) -> Response:
    found, panel = _session_or_404(session, person, partnership, session_id)
    notice = None
    if changed:
        notice = "The session is changed; members and agency leads have been sent updates."
    elif filled is not None:
        notice = f"{filled} agenc{'y' if filled == 1 else 'ies'} booked into empty slots."
    return _session_page(request, session, found, panel, notice=notice)


def _session_action(request, session, person, partnership, session_id, act):  # type: ignore[no-untyped-def]
    """Run one change to a session: emails go out on success; a refusal is shown on the page
    with nothing changed.

    Services check before they change anything, so a refusal needs no rollback: a rollback
    would expire the signed-in person too, whose memberships (lazy="raise") the page reads."""
    found, panel = _session_or_404(session, person, partnership, session_id)
    try:
        emails = act(found, panel) or []
    except sessions.PanelError as error:  # refused before anything changed
        return _session_page(request, session, found, panel, error=str(error), status_code=400)
    _send(request, session, emails, found.id)
    return RedirectResponse(f"/round/panels/{panel.id}", status_code=303)


@router.post("/round/panels/{session_id}/members")
def add_member(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: int,
    member: Annotated[str, Form()] = "",
    agency: Annotated[str, Form()] = "",
) -> Response:
    return _session_action(
        request,
        session,
        person,
        partnership,
        session_id,
        lambda found, panel: scheduling.add_member(
            session,
            panel=panel,
            partnership=found,
            person_id=int(member) if member.isdigit() else 0,
            agency_id=int(agency) if agency.isdigit() else None,
            actor=person,
            base_url=_base_url(request),
        ),
    )


@router.post("/round/panels/{session_id}/members/{person_id}/remove")
def remove_member(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: int,
    person_id: int,
) -> Response:
    return _session_action(
        request,
        session,
        person,
        partnership,
        session_id,
        lambda _found, panel: scheduling.remove_member(
            session, panel=panel, person_id=person_id, actor=person, base_url=_base_url(request)
        ),
    )


@router.post("/round/panels/{session_id}/members/{person_id}/chair")
def make_chair(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: int,
    person_id: int,
) -> Response:
    return _session_action(
        request,
        session,
        person,
        partnership,
        session_id,
        lambda _found, panel: scheduling.make_chair(
            session, panel=panel, person_id=person_id, actor=person
        ),
    )


@router.post("/round/panels/{session_id}/slots/{slot_id}/book")
def book_slot(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: int,
    slot_id: int,
    return_id: Annotated[str, Form()] = "",
) -> Response:
    return _session_action(
        request,
        session,
        person,
        partnership,
        session_id,
        lambda found, panel: booking.assign(
            session,
            panel=panel,
            partnership=found,
            slot_id=slot_id,
            return_id=int(return_id) if return_id.isdigit() else 0,
            actor=person,
            base_url=_base_url(request),
        ),
    )


@router.post("/round/panels/{session_id}/slots/{slot_id}/free")
def free_slot(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: int,
    slot_id: int,
) -> Response:
    return _session_action(
        request,
        session,
        person,
        partnership,
        session_id,
        lambda _found, panel: booking.unassign(
            session, panel=panel, slot_id=slot_id, actor=person, base_url=_base_url(request)
        ),
    )


@router.post("/round/panels/{session_id}/auto-fill")
def auto_fill(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: int,
) -> Response:
    found, panel = _session_or_404(session, person, partnership, session_id)
    try:
        filled = booking.auto_fill(
            session, panel=panel, partnership=found, actor=person, base_url=_base_url(request)
        )
    except sessions.PanelError as error:
        return _session_page(request, session, found, panel, error=str(error), status_code=400)
    _send(request, session, filled.emails, found.id)
    if filled.left:
        notice = f"{filled.booked} booked. Not booked: " + "; ".join(filled.left) + "."
        return _session_page(request, session, found, panel, notice=notice)
    return RedirectResponse(f"/round/panels/{panel.id}?filled={filled.booked}", status_code=303)


@router.get("/round/panels/{session_id}/cancel")
def cancel_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: int,
) -> Response:
    _found, panel = _session_or_404(session, person, partnership, session_id)
    return render(request, "panels/cancel.html", {"panel": panel, "london": sessions.london})


@router.post("/round/panels/{session_id}/cancel")
def cancel_session(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: int,
) -> Response:
    found, panel = _session_or_404(session, person, partnership, session_id)
    cycle = _cycle_of(session, panel)
    response = _session_action(
        request,
        session,
        person,
        partnership,
        session_id,
        lambda _found, panel: scheduling.cancel_session(
            session, panel=panel, actor=person, base_url=_base_url(request)
        ),
    )
    if response.status_code == 303:
        return RedirectResponse(f"/round/cycles/{cycle.slug}/panels", status_code=303)
    return response


# Issuing feedback, for coordinators --------------------------------------------------------------


def _target_or_404(session, person, return_id):  # type: ignore[no-untyped-def]
    target = reading.panel_return_for(session, person=person, return_id=return_id)
    if target is None:
        raise HTTPException(status_code=404)
    return target


def _feedback_page(request, session, target, error=None, strengths="", status_code=200):  # type: ignore[no-untyped-def]
    return render(
        request,
        "panels/issue_feedback.html",
        {
            "target": target,
            "rows": moderation.moderation(session, target),
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
    return_id: int,
) -> Response:
    target = _coordinated_target(session, person, partnership, return_id)
    return _feedback_page(request, session, target)


def _coordinated_target(session, person, partnership, return_id):  # type: ignore[no-untyped-def]
    if not cycles_service.coordinates(person, partnership):
        raise HTTPException(status_code=404)
    target = _target_or_404(session, person, return_id)
    if target.panel.partnership_id != partnership.id:
        raise HTTPException(status_code=404)
    return target


@router.post("/round/returns/{return_id}/feedback")
def issue_feedback(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: int,
    strengths: Annotated[str, Form()] = "",
) -> Response:
    target = _coordinated_target(session, person, partnership, return_id)
    try:
        emails = feedback.issue_feedback(
            session, target=target, strengths=strengths, actor=person, base_url=_base_url(request)
        )
    except sessions.PanelError as error:
        return _feedback_page(
            request, session, target, error=str(error), strengths=strengths, status_code=400
        )
    _send(request, session, emails, target.panel.partnership_id)
    return RedirectResponse(f"/round/returns/{return_id}/feedback", status_code=303)


# For panel members ------------------------------------------------------------------------------


@router.get("/panels")
def my_panels(request: Request, session: DbSession, person: PanelPerson) -> Response:
    mine = reading.my_sessions(session, person=person)
    upcoming, past = reading.upcoming_and_past(mine)
    return render(
        request,
        "panels/mine.html",
        {
            "sessions": upcoming,
            "past": past,
            # Each cycle's scored returns download holds the returns the person reads in it.
            "cycles": {panel.cycle_id: sessions.cycle_of(session, panel) for panel, _ in mine},
            "london": sessions.london,
        },
    )


@router.get("/panels/conflicts")
def conflicts_page(request: Request, session: DbSession, person: PanelPerson) -> Response:
    return _conflicts_page(request, session, person)


def _conflicts_page(request, session, person, errors=None, typed=None, status_code=200):  # type: ignore[no-untyped-def]
    return render(
        request,
        "panels/conflicts.html",
        {
            "declared": conflicts.declared_conflicts(session, person=person),
            "agencies": conflicts.declarable_agencies(session, person=person),
            "errors": errors or {},
            "typed": typed or {},
        },
        status_code=status_code,
    )


@router.post("/panels/conflicts")
def declare_conflict(
    request: Request,
    session: DbSession,
    person: PanelPerson,
    agency: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    errors = conflicts.declare_conflict(
        session, person=person, agency_id=int(agency) if agency.isdigit() else None, reason=reason
    )
    if errors:
        typed = {"agency": agency, "reason": reason}
        return _conflicts_page(request, session, person, errors, typed, status_code=400)
    return RedirectResponse("/panels/conflicts", status_code=303)


@router.get("/panels/returns/{return_id}")
def pre_reading(request: Request, session: DbSession, person: Follower, return_id: int) -> Response:
    target = _target_or_404(session, person, return_id)
    return render(
        request,
        "panels/pre_reading.html",
        {
            "target": target,
            "last_year": reading.last_years_agreed(session, target),
        },
    )


@router.get("/panels/returns/{return_id}/evidence/{file_id}")
def panel_evidence(
    request: Request, session: DbSession, person: Follower, return_id: int, file_id: int
) -> Response:
    """Evidence for the panel reading the return: a download, as for the agency."""
    target = _target_or_404(session, person, return_id)
    file = returns_service.evidence_file(target.view, file_id=file_id)
    if file is None:
        raise HTTPException(status_code=404)
    return evidence_download(request, file)


def _scores_page(request, session, person, target, errors=None, typed=None, status_code=200):  # type: ignore[no-untyped-def]
    return_id = target.view.agency_return.id
    mine = scoring.scores_of(session, return_id=return_id).get(person.id, {})
    sheets = scoring.sheets_of(session, return_id=return_id)
    return render(
        request,
        "panels/scores.html",
        {
            "target": target,
            "mine": mine,
            "typed": typed,
            "submitted": person.id in sheets,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/panels/returns/{return_id}/scores")
def scores_page(
    request: Request, session: DbSession, person: PanelPerson, return_id: int
) -> Response:
    target = _target_or_404(session, person, return_id)
    if not target.is_member:
        raise HTTPException(status_code=404)
    return _scores_page(request, session, person, target)


@router.post("/panels/returns/{return_id}/scores")
async def save_scores(
    request: Request, session: DbSession, person: PanelPerson, return_id: int
) -> Response:
    form = await request.form()

    def save() -> Response:
        target = _target_or_404(session, person, return_id)
        if not target.is_member:
            raise HTTPException(status_code=404)
        entries, errors = read_scores(form, target.items)
        typed = dict(entries)
        if errors:
            return _scores_page(request, session, person, target, errors, typed, 400)
        try:
            scoring.save_scores(session, target=target, person=person, entries=entries)
            if form.get("action") == "submit":
                scoring.submit_scores(session, target=target, person=person)
        except sessions.PanelError as error:  # drafts saved stay saved
            return _scores_page(
                request, session, person, target, {"scores": str(error)}, typed, 400
            )
        if form.get("action") == "submit":
            return RedirectResponse(f"/panels/returns/{return_id}/moderation", status_code=303)
        return RedirectResponse(f"/panels/returns/{return_id}/scores?saved=1", status_code=303)

    return await run_in_threadpool(save)


def _moderation_page(request, session, person, target, errors=None, typed=None, status_code=200):  # type: ignore[no-untyped-def]
    return_id = target.view.agency_return.id
    return render(
        request,
        "panels/moderation.html",
        {
            "target": target,
            "rows": moderation.moderation(session, target),
            "sees_colleagues": scoring.sees_colleagues(session, target, person),
            "recommendations": recommendations.recommendations_of(session, return_id=return_id),
            "errors": errors or {},
            "typed": typed or {},
            "open": target.open,
            "current_person_id": person.id,
        },
        status_code=status_code,
    )


@router.get("/panels/returns/{return_id}/moderation")
def moderation_page(
    request: Request, session: DbSession, person: Follower, return_id: int
) -> Response:
    target = _target_or_404(session, person, return_id)
    return _moderation_page(request, session, person, target)


@router.post("/panels/returns/{return_id}/agreed")
async def agree_ratings(
    request: Request, session: DbSession, person: PanelPerson, return_id: int
) -> Response:
    """The chair's agreed rating and notes for every item at once, as the meeting settles them."""
    form = await request.form()

    def save() -> Response:
        target = _target_or_404(session, person, return_id)
        fields = {}
        for index, item in enumerate(target.items):
            chosen = str(form.get(f"agreed-{index}") or "")
            if chosen:
                rating = int(chosen) if chosen.lstrip("-").isdigit() else None
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
    request: Request, session: DbSession, person: PanelPerson, return_id: int
) -> Response:
    form = await request.form()

    def save() -> Response:
        target = _target_or_404(session, person, return_id)
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
    return_id: int,
    recommendation_id: int,
) -> Response:
    target = _target_or_404(session, person, return_id)
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
    request: Request, session: DbSession, person: Follower, session_id: int
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
    request: Request, session: DbSession, person: Follower, session_id: int
) -> Response:
    panel = moderation.session_to_follow(session, person=person, session_id=session_id)
    if panel is None:
        raise HTTPException(status_code=404)
    if not moderation.runs_meeting(person, panel):
        raise HTTPException(status_code=404)
    moderation.start_meeting(session, panel=panel, actor=person)
    return RedirectResponse(f"/panels/sessions/{session_id}/meeting", status_code=303)


# For the agency ---------------------------------------------------------------------------------


@router.get("/returns/{return_id}/feedback")
def feedback_page(
    request: Request, session: DbSession, person: AgencyPerson, return_id: int
) -> Response:
    view = returns_service.return_for(session, person=person, return_id=return_id)
    if view is None:
        raise HTTPException(status_code=404)
    shown = feedback.feedback_of(session, view=view)
    if shown is None:
        raise HTTPException(status_code=404)
    return render(request, "panels/feedback.html", {"view": view, "shown": shown})
