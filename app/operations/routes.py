"""Pages for retention and erasure: coordinators set how long closed rounds are kept and see
what the next run deletes; coordinators and site administrators erase a person after a
confirmation page showing what will change."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app import metrics
from app.auth.deps import CurrentPartnership, require
from app.auth.policy import Permission
from app.db import DbSession
from app.directory import service as directory_service
from app.directory.models import Person
from app.operations import erasure, retention
from app.params import Id
from app.setup.routes import coordinating
from app.templating import render

router = APIRouter()

Coordinator = Annotated[Person, require(Permission.SET_UP_PARTNERSHIP)]
SiteAdministrator = Annotated[Person, require(Permission.ADMINISTER_SITE)]


def _retention_page(request, session, partnership, error=None, typed=None, status_code=200):  # type: ignore[no-untyped-def]
    return render(
        request,
        "operations/retention.html",
        {
            "partnership": partnership,
            "due": retention.what_retention_deletes(
                session, today=date.today(), partnership=partnership
            ),
            "years": typed if typed is not None else partnership.retention_years,
            "error": error,
            "saved": request.query_params.get("saved"),
        },
        status_code=status_code,
    )


@router.get("/retention")
def retention_page(
    request: Request, session: DbSession, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    return _retention_page(request, session, coordinating(person, partnership))


@router.post("/retention")
def change_retention(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    years: Annotated[str, Form()] = "",
) -> Response:
    partnership = coordinating(person, partnership)
    # Only ASCII digits: str.isdigit() also takes "²", which int() refuses.
    typed = years.strip()
    number = int(typed) if re.fullmatch(r"[0-9]{1,3}", typed) else None
    try:
        retention.set_retention_years(session, partnership=partnership, years=number, actor=person)
    except retention.RetentionError as error:
        return _retention_page(request, session, partnership, str(error), years, 400)
    return RedirectResponse("/retention?saved=1", status_code=303)


def _erasable(session, actor, person_id, partnership):  # type: ignore[no-untyped-def]
    person = directory_service.get_person(session, person_id=person_id)
    if person is None or not erasure.may_erase(actor, person, partnership=partnership):
        raise HTTPException(status_code=404)
    return person


def _confirm_page(request, session, person, action, back):  # type: ignore[no-untyped-def]
    return render(
        request,
        "operations/erase.html",
        {
            "plan": erasure.erasure_plan(session, person=person),
            "action": action,
            "back": back,
            "former": erasure.FORMER_MEMBER,
        },
    )


@router.get("/people/{person_id}/erase")
def erase_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    person_id: Id,
) -> Response:
    partnership = coordinating(person, partnership)
    who = _erasable(session, person, person_id, partnership)
    return _confirm_page(request, session, who, f"/people/{who.id}/erase", "/people")


@router.post("/people/{person_id}/erase")
def erase(
    session: DbSession, person: Coordinator, partnership: CurrentPartnership, person_id: Id
) -> Response:
    partnership = coordinating(person, partnership)
    who = _erasable(session, person, person_id, partnership)
    erasure.erase_person(session, person=who, actor=person)
    return RedirectResponse("/people?erased=1", status_code=303)


@router.get("/admin/people/{person_id}/erase")
def admin_erase_page(
    request: Request, session: DbSession, person: SiteAdministrator, person_id: Id
) -> Response:
    who = _erasable(session, person, person_id, None)
    return _confirm_page(request, session, who, f"/admin/people/{who.id}/erase", "/admin")


@router.post("/admin/people/{person_id}/erase")
def admin_erase(session: DbSession, person: SiteAdministrator, person_id: Id) -> Response:
    who = _erasable(session, person, person_id, None)
    erasure.erase_person(session, person=who, actor=person)
    return RedirectResponse("/admin?erased=1", status_code=303)


def scraper(request: Request) -> None:
    """Off unless S11_METRICS_TOKEN or S11_METRICS_ALLOW is set; anyone else finds no page."""
    settings = request.app.state.settings
    if not metrics.may_scrape(
        token=settings.metrics_token.get_secret_value() if settings.metrics_token else None,
        allowed=settings.metrics_allow,
        authorization=request.headers.get("authorization"),
        client=request.client.host if request.client else None,
    ):
        raise HTTPException(status_code=404)


scraper.permission = Permission.READ_METRICS  # type: ignore[attr-defined]


@router.get("/metrics", dependencies=[Depends(scraper)])
def metrics_page() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
