"""Acting on the filtered set of the round's returns: a page that says how many each action
would touch, then the action (reminders, or a later deadline) on a confirmed POST."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.auth.deps import CurrentPartnership
from app.cycles import bulk
from app.cycles import listing as round_listing
from app.cycles.forms import read_date
from app.cycles.routes.common import Coordinator, cycle_or_404
from app.cycles.service import CycleError
from app.db import DbSession
from app.notifications import service as notifications_service
from app.templating import render

router = APIRouter()
ACTIONS = {"remind": "Remind their leads", "extend": "Extend their deadline"}


def _confirm_page(request, session, partnership, cycle, action, listing, **extra):  # type: ignore[no-untyped-def]
    chosen = bulk.selection(session, cycle=cycle, partnership=partnership, listing=listing)
    return render(
        request,
        "cycles/bulk.html",
        {
            "cycle": cycle,
            "action": action,
            "title": ACTIONS[action],
            "listing": listing,
            "selection": chosen,
            "typed": extra.pop("typed", {}),
            **extra,
        },
        status_code=400 if extra.get("error") else 200,
    )


@router.get("/round/cycles/{slug}/bulk/{action}")
def confirm_bulk(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
    action: str,
) -> Response:
    found, cycle = cycle_or_404(session, person, partnership, slug)
    if action not in ACTIONS:
        return RedirectResponse(f"/round/cycles/{cycle.slug}", status_code=303)
    listing = round_listing.read(request.query_params)
    return _confirm_page(request, session, found, cycle, action, listing)


@router.post("/round/cycles/{slug}/bulk/{action}")
async def run_bulk(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
    action: str,
) -> Response:
    form = await request.form()
    # The filters travel in the form as they were on the page confirmed.
    listing = round_listing.read({k: str(v) for k, v in form.items() if isinstance(v, str)})

    def act() -> Response:
        found, cycle = cycle_or_404(session, person, partnership, slug)
        back = f"/round/cycles/{cycle.slug}?{listing.query(page='')}"
        if action == "remind":
            settings = request.app.state.settings
            emails = bulk.reminders_for(
                session,
                cycle=cycle,
                partnership=found,
                listing=listing,
                base_url=settings.base_url,
            )
            if not emails:
                return RedirectResponse(f"{back}&reminded=0", status_code=303)
            sending = notifications_service.start_action(
                session,
                partnership_id=found.id,
                description=f"Reminders to {len(emails)} leads",
                back_to=back,
            )
            # Recorded in this request's transaction, sent by the workers once it commits.
            notifications_service.record_many(
                session, emails, kind="reminder", action_id=sending.id
            )
            return RedirectResponse(f"/round/emails/sends/{sending.id}", status_code=303)
        if action != "extend":
            return RedirectResponse(back, status_code=303)
        try:
            extended = bulk.extend_selection(
                session,
                cycle=cycle,
                partnership=found,
                listing=listing,
                to=read_date(form, "extend-to"),
                reason=str(form.get("reason") or ""),
                actor=person,
            )
        except (ValueError, CycleError) as error:
            return _confirm_page(
                request, session, found, cycle, action, listing, error=str(error), typed=form
            )
        return RedirectResponse(f"{back}&extended={extended}", status_code=303)

    return await run_in_threadpool(act)
