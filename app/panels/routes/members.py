"""A panel member's pages: their sessions, declared conflicts, the returns to read and their
own scores. Never shows a member a return or a score the panel rules keep from them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.db import DbSession
from app.panels import conflicts, reading, scoring, sessions, triangulation
from app.panels.forms import read_scores
from app.panels.routes.common import Follower, PanelPerson, target_or_404
from app.params import Id, id_from
from app.returns import attachments
from app.returns.routes.common import evidence_download
from app.templating import render

router = APIRouter()


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
        session, person=person, agency_id=id_from(agency), reason=reason
    )
    if errors:
        typed = {"agency": agency, "reason": reason}
        return _conflicts_page(request, session, person, errors, typed, status_code=400)
    return RedirectResponse("/panels/conflicts", status_code=303)


@router.get("/panels/returns/{return_id}")
def pre_reading(request: Request, session: DbSession, person: Follower, return_id: Id) -> Response:
    target = target_or_404(session, person, return_id)
    return render(
        request,
        "panels/pre_reading.html",
        {
            "target": target,
            "last_year": reading.last_years_agreed(session, target),
            "staff": triangulation.for_return(
                session, cycle=target.view.cycle, agency_id=target.view.agency.id
            ),
        },
    )


@router.get("/panels/returns/{return_id}/evidence/{file_id}")
def panel_evidence(
    request: Request, session: DbSession, person: Follower, return_id: Id, file_id: Id
) -> Response:
    """Evidence for the panel reading the return: a download, as for the agency."""
    target = target_or_404(session, person, return_id)
    file = attachments.evidence_file(target.view, file_id=file_id)
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
    request: Request, session: DbSession, person: PanelPerson, return_id: Id
) -> Response:
    target = target_or_404(session, person, return_id)
    if not target.is_member:
        raise HTTPException(status_code=404)
    return _scores_page(request, session, person, target)


@router.post("/panels/returns/{return_id}/scores")
async def save_scores(
    request: Request, session: DbSession, person: PanelPerson, return_id: Id
) -> Response:
    form = await request.form()

    def save() -> Response:
        target = target_or_404(session, person, return_id)
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
