"""Coordinators' panel pages: sessions set, changed and cancelled, their members and chair,
returns booked into slots. Never decides a rule: scheduling.py and booking.py do."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.auth.deps import CurrentPartnership
from app.cycles import listing as round_listing
from app.cycles import service as cycles_service
from app.db import DbSession
from app.directory import service as directory_service
from app.panels import booking, conflicts, scheduling, sessions
from app.panels.forms import read_session_form
from app.panels.models import MeetingMode, PanelSession
from app.panels.routes.common import Coordinator, base_url_of, send_emails
from app.params import Count, Id, id_from
from app.templating import render, swapping

router = APIRouter()


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
            "waiting": booking.waiting_page(
                session,
                cycle=cycle,
                partnership=partnership,
                listing=round_listing.read(request.query_params, default_sort="changed"),
            ),
            "choices": round_listing.choices({"sector"}),
            "sorts": {k: v for k, v in round_listing.SORT_LABELS.items() if k != "status"},
        },
        block="results" if swapping(request, "results") else None,
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
    session_id: Id,
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
    session_id: Id,
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
                session, panel=panel, details=details, actor=person, base_url=base_url_of(request)
            )
        except sessions.PanelError as error:
            return _session_form(
                request, cycle, details, {"ends": str(error)}, panel, status_code=400
            )
        send_emails(request, session, emails, found.id)
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
            "agencies": directory_service.agencies_to_choose(session, partnership=partnership),
            "waiting": booking.waiting_page(
                session,
                cycle=_cycle_of(session, panel),
                partnership=partnership,
                listing=round_listing.read(request.query_params, default_sort="changed"),
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
    session_id: Id,
    changed: Count = 0,
    filled: Count | None = None,
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
    send_emails(request, session, emails, found.id)
    return RedirectResponse(f"/round/panels/{panel.id}", status_code=303)


@router.post("/round/panels/{session_id}/members")
def add_member(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: Id,
    member: Annotated[str, Form()] = "",
    agency: Annotated[str, Form()] = "",
    agency_name: Annotated[str, Form()] = "",
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
            person_id=id_from(member) or 0,
            agency_id=id_from(agency),
            agency_name=agency_name,
            actor=person,
            base_url=base_url_of(request),
        ),
    )


@router.post("/round/panels/{session_id}/members/{person_id}/remove")
def remove_member(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: Id,
    person_id: Id,
) -> Response:
    return _session_action(
        request,
        session,
        person,
        partnership,
        session_id,
        lambda _found, panel: scheduling.remove_member(
            session, panel=panel, person_id=person_id, actor=person, base_url=base_url_of(request)
        ),
    )


@router.post("/round/panels/{session_id}/members/{person_id}/chair")
def make_chair(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: Id,
    person_id: Id,
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
    session_id: Id,
    slot_id: Id,
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
            return_id=id_from(return_id) or 0,
            actor=person,
            base_url=base_url_of(request),
        ),
    )


@router.post("/round/panels/{session_id}/slots/{slot_id}/free")
def free_slot(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: Id,
    slot_id: Id,
) -> Response:
    return _session_action(
        request,
        session,
        person,
        partnership,
        session_id,
        lambda _found, panel: booking.unassign(
            session, panel=panel, slot_id=slot_id, actor=person, base_url=base_url_of(request)
        ),
    )


@router.post("/round/panels/{session_id}/auto-fill")
def auto_fill(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: Id,
) -> Response:
    found, panel = _session_or_404(session, person, partnership, session_id)
    try:
        filled = booking.auto_fill(
            session, panel=panel, partnership=found, actor=person, base_url=base_url_of(request)
        )
    except sessions.PanelError as error:
        return _session_page(request, session, found, panel, error=str(error), status_code=400)
    send_emails(request, session, filled.emails, found.id)
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
    session_id: Id,
) -> Response:
    _found, panel = _session_or_404(session, person, partnership, session_id)
    return render(request, "panels/cancel.html", {"panel": panel, "london": sessions.london})


@router.post("/round/panels/{session_id}/cancel")
def cancel_session(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    session_id: Id,
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
            session, panel=panel, actor=person, base_url=base_url_of(request)
        ),
    )
    if response.status_code == 303:
        return RedirectResponse(f"/round/cycles/{cycle.slug}/panels", status_code=303)
    return response
