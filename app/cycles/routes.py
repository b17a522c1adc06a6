"""Pages for the partnership's business unit running a round: the returns in it, and
reopening a submitted return for the agency to change, with a reason the agency reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.deps import CurrentPartnership, require
from app.auth.policy import Permission
from app.cycles import service as cycles_service
from app.db import DbSession
from app.directory.models import Person
from app.notifications.mail import send_email
from app.returns import service as returns_service
from app.templating import render

router = APIRouter()

Coordinator = Annotated[Person, require(Permission.MANAGE_ROUND)]


def _partnership_or_404(person: Person, partnership: CurrentPartnership):  # type: ignore[no-untyped-def]
    if not cycles_service.coordinates(person, partnership):
        raise HTTPException(status_code=404)  # coordinating elsewhere, working here
    return partnership


@router.get("/round/returns")
def round_returns(
    request: Request, session: DbSession, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    partnership = _partnership_or_404(person, partnership)
    rows = cycles_service.returns_in_round(session, partnership=partnership)
    return render(request, "cycles/returns.html", {"rows": rows, "partnership": partnership})


def _return_or_404(session, person, partnership, return_id):  # type: ignore[no-untyped-def]
    partnership = _partnership_or_404(person, partnership)
    row = cycles_service.return_in_round(session, partnership=partnership, return_id=return_id)
    if row is None:
        raise HTTPException(status_code=404)
    return row


@router.get("/round/returns/{return_id}/reopen")
def reopen_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: int,
) -> Response:
    agency_return, cycle, agency = _return_or_404(session, person, partnership, return_id)
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
    return_id: int,
    reason: Annotated[str, Form()] = "",
) -> Response:
    agency_return, cycle, agency = _return_or_404(session, person, partnership, return_id)
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
        send_email(
            settings,
            returns_service.reopened_email(
                returns_service.view_of(session, agency_return),
                to=lead,
                reason=reason.strip(),
                base_url=settings.base_url,
            ),
        )
    return RedirectResponse("/round/returns", status_code=303)
