"""The partnership's view: what needs attention, the Composite Action Plan at any date and
its own items. Never shows another partnership's actions."""

from __future__ import annotations

from datetime import date
from functools import partial

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.actions import composite, plan_page
from app.actions import listing as plan_listing
from app.actions import progress as action_progress
from app.actions.forms import MOST_DATES, read_dates, read_item_form
from app.actions.routes.common import (
    STATUSES,
    Coordinator,
    Follower,
    evidence_or_404,
    record_progress_from,
)
from app.auth.deps import CurrentPartnership
from app.cycles import service as cycles_service
from app.db import DbSession
from app.directory.models import Partnership, Person
from app.params import Id
from app.templating import render, swapping

router = APIRouter()


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
    cycles = cycles_service.cycles_of(session, partnership=partnership)
    choices = plan_listing.attention_choices(cycles)
    rows = composite.needing_attention(session, partnership=partnership, today=today)
    return render(
        request,
        "actions/attention.html",
        {
            "page": plan_listing.attention_page(
                rows, plan_listing.read_attention(request.query_params, choices)
            ),
            "choices": choices,
            "sorts": plan_listing.ATTENTION_SORTS,
            "cycles": cycles,
            "coordinates": cycles_service.coordinates(person, partnership),
            "today": today,
        },
        block="results" if swapping(request, "results") else None,
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
    plan = plan_page.plan_page(session, cycle=cycle, partnership=partnership)
    counts, totals = plan_page.theme_counts(
        session, cycle=cycle, partnership=partnership, dates=dates
    )
    choices = plan_listing.choices_for_themes(
        plan_page.themes_of(session, cycle=cycle, partnership=partnership)
    )
    page = plan_page.recommendations_page(
        session,
        cycle=cycle,
        partnership=partnership,
        listing=plan_listing.read_recommendations(request.query_params, choices),
        today=today,
    )
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
            "page": page,
            "choices": choices,
            "sorts": plan_listing.RECOMMENDATION_SORTS,
        },
        status_code=400 if date_errors else 200,
        block="results" if swapping(request, "results") else None,
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
    action_id: Id,
) -> Response:
    partnership, item = _item_or_404(session, person, partnership, action_id)
    return _item_page(request, session, person, partnership, item)


@router.post("/action-plans/items/{action_id}/progress")
async def item_progress(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    action_id: Id,
) -> Response:
    form = await request.form()
    return await run_in_threadpool(
        _item_progress, request, session, person, partnership, action_id, form
    )


def _item_progress(request, session, person, partnership, action_id, form) -> Response:  # type: ignore[no-untyped-def]
    if not cycles_service.coordinates(person, partnership):
        raise HTTPException(status_code=404)
    partnership, item = _item_or_404(session, person, partnership, action_id)
    return record_progress_from(
        request,
        form,
        record=partial(action_progress.record_progress, session, action=item, actor=person),
        page=partial(_item_page, request, session, person, partnership, item),
        done=f"/action-plans/items/{action_id}#history",
    )


@router.get("/action-plans/items/{action_id}/evidence/{evidence_id}")
def item_evidence(
    request: Request,
    session: DbSession,
    person: Follower,
    partnership: CurrentPartnership,
    action_id: Id,
    evidence_id: Id,
) -> Response:
    _partnership, item = _item_or_404(session, person, partnership, action_id)
    return evidence_or_404(request, session, item, evidence_id)
