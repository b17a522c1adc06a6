"""Returns in the round: every return of the partnership's agencies, reopening a submitted one
with a reason the agency reads, and extending one agency's deadline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.auth.deps import CurrentPartnership
from app.cycles import deadlines
from app.cycles import listing as round_listing
from app.cycles import service as cycles_service
from app.cycles.forms import read_date
from app.cycles.routes.common import (
    Coordinator,
    partnership_or_404,
    return_or_404,
)
from app.db import DbSession
from app.directory.terms import terms_for
from app.notifications import service as notifications_service
from app.params import Id
from app.returns import service as returns_service
from app.templating import render, swapping

router = APIRouter()


@router.get("/round/returns")
def round_returns(
    request: Request, session: DbSession, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    partnership = partnership_or_404(person, partnership)
    page = round_listing.returns_page(
        session, partnership=partnership, listing=round_listing.read(request.query_params)
    )
    return render(
        request,
        "cycles/returns.html",
        {
            "page": page,
            "partnership": partnership,
            "choices": round_listing.choices(),
            "sorts": round_listing.SORT_LABELS,
        },
        block="results" if swapping(request, "results") else None,
    )


@router.get("/round/returns/{return_id}/reopen")
def reopen_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: Id,
) -> Response:
    agency_return, cycle, agency = return_or_404(session, person, partnership, return_id)
    return render(
        request,
        "cycles/reopen.html",
        {"agency_return": agency_return, "cycle": cycle, "agency": agency},
    )


@router.post("/round/returns/{return_id}/reopen")
def reopen(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: Id,
    reason: Annotated[str, Form()] = "",
) -> Response:
    agency_return, cycle, agency = return_or_404(session, person, partnership, return_id)
    try:
        returns_service.reopen_return(
            session, agency_return=agency_return, reason=reason, actor=person
        )
    except returns_service.ReturnError as error:
        return render(
            request,
            "cycles/reopen.html",
            {
                "agency_return": agency_return,
                "cycle": cycle,
                "agency": agency,
                "error": str(error),
                "reason": reason,
            },
            status_code=400,
        )
    lead = returns_service.submitter_of(session, agency_return=agency_return)
    if lead is not None:
        settings = request.app.state.settings
        notifications_service.queue_email(
            session,
            returns_service.reopened_email(
                returns_service.view_of(session, agency_return),
                to=lead,
                reason=reason.strip(),
                base_url=settings.base_url,
                terms=terms_for(partnership),
            ),
            kind="reopened",
            partnership_id=partnership.id,
        )
    return RedirectResponse("/round/returns", status_code=303)


@router.get("/round/returns/{return_id}/extend")
def extend_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: Id,
) -> Response:
    agency_return, cycle, agency = return_or_404(session, person, partnership, return_id)
    return render(
        request,
        "cycles/extend.html",
        {"agency_return": agency_return, "cycle": cycle, "agency": agency, "typed": {}},
    )


@router.post("/round/returns/{return_id}/extend")
async def extend(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: Id,
) -> Response:
    form = await request.form()

    def save() -> Response:
        agency_return, cycle, agency = return_or_404(session, person, partnership, return_id)
        try:
            to = read_date(form, "extend-to")
            deadlines.extend_deadline(
                session,
                agency_return=agency_return,
                cycle=cycle,
                to=to,
                reason=str(form.get("reason") or ""),
                actor=person,
            )
        except (ValueError, cycles_service.CycleError) as error:
            return render(
                request,
                "cycles/extend.html",
                {
                    "agency_return": agency_return,
                    "cycle": cycle,
                    "agency": agency,
                    "typed": form,
                    "error": str(error),
                },
                status_code=400,
            )
        return RedirectResponse(f"/round/cycles/{cycle.slug}", status_code=303)

    return await run_in_threadpool(save)
