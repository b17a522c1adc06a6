"""Setting up cycles and following them: the cycle form, the dashboard, agencies added by hand
or taken from the directory, and the round's invitations."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.auth.deps import CurrentPartnership
from app.cycles import agencies as round_agencies
from app.cycles import invitations as round_invitations
from app.cycles import listing as round_listing
from app.cycles import service as cycles_service
from app.cycles.forms import read_cycle_form
from app.cycles.routes.common import (
    Coordinator,
    cycle_or_404,
    dashboard_page,
    partnership_or_404,
    queue_invitations,
)
from app.db import DbSession
from app.directory import service as directory_service
from app.directory.models import AgencySector
from app.notifications import service as notifications_service
from app.params import Count, id_from
from app.templating import render

router = APIRouter()


@router.get("/round/cycles")
def cycles(
    request: Request, session: DbSession, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    partnership = partnership_or_404(person, partnership)
    return render(
        request,
        "cycles/cycles.html",
        {
            "cycles": cycles_service.cycles_of(session, partnership=partnership),
            "partnership": partnership,
        },
    )


def _cycle_form(  # type: ignore[no-untyped-def]
    request, session, partnership, details, errors=None, cycle=None, status_code=200, typed=None
):
    versions, others = cycles_service.cycle_choices(session, partnership=partnership)
    return render(
        request,
        "cycles/cycle_form.html",
        {
            "details": details,
            "errors": errors or {},
            "cycle": cycle,
            "frozen": cycle is not None and cycles_service.is_open(cycle),
            "versions": versions,
            "others": others,
            "sectors": list(AgencySector),
            "typed": typed,
        },
        status_code=status_code,
    )


def _save_cycle_form(request, session, person, partnership, form, cycle):  # type: ignore[no-untyped-def]
    details, errors = read_cycle_form(form)
    errors = {
        **cycles_service.check_details(session, details, cycle=cycle, partnership=partnership),
        **errors,
    }
    if errors:
        return _cycle_form(request, session, partnership, details, errors, cycle, 400, form)
    cycle = cycles_service.save_cycle(
        session, partnership=partnership, details=details, actor=person, cycle=cycle
    )
    return RedirectResponse(f"/round/cycles/{cycle.slug}", status_code=303)


@router.get("/round/cycles/new")
def new_cycle_page(
    request: Request, session: DbSession, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    partnership = partnership_or_404(person, partnership)
    return _cycle_form(request, session, partnership, cycles_service.blank_details())


@router.post("/round/cycles/new")
async def new_cycle(
    request: Request, session: DbSession, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    partnership = partnership_or_404(person, partnership)
    form = await request.form()
    return await run_in_threadpool(
        _save_cycle_form, request, session, person, partnership, form, None
    )


@router.get("/round/cycles/{slug}/edit")
def edit_cycle_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    partnership, cycle = cycle_or_404(session, person, partnership, slug)
    details = cycles_service.details_of(session, cycle)
    return _cycle_form(request, session, partnership, details, cycle=cycle)


@router.post("/round/cycles/{slug}/edit")
async def edit_cycle(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    form = await request.form()

    def save() -> Response:
        found, cycle = cycle_or_404(session, person, partnership, slug)
        return _save_cycle_form(request, session, person, found, form, cycle)

    return await run_in_threadpool(save)


@router.get("/round/cycles/{slug}")
def dashboard(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
    added: str = "",
    imported: Count | None = None,
    invited: Count | None = None,
    opened: Count | None = None,
    reminded: Count | None = None,
    extended: Count | None = None,
) -> Response:
    partnership, cycle = cycle_or_404(session, person, partnership, slug)
    return dashboard_page(
        request,
        session,
        partnership,
        cycle,
        listing=round_listing.read(request.query_params),
        added=added,
        imported=imported,
        invited=invited,
        opened=opened,
        reminded=reminded,
        extended=extended,
    )


@router.get("/round/cycles/{slug}/agencies/new")
def add_agency_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    _partnership, cycle = cycle_or_404(session, person, partnership, slug)
    return render(
        request,
        "cycles/add_agency.html",
        {"cycle": cycle, "sectors": list(AgencySector), "typed": {}, "error": None},
    )


@router.post("/round/cycles/{slug}/agencies/new")
def add_agency(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
    name: Annotated[str, Form()] = "",
    sector: Annotated[str, Form()] = "",
    lead_name: Annotated[str, Form()] = "",
    lead_email: Annotated[str, Form()] = "",
) -> Response:
    partnership, cycle = cycle_or_404(session, person, partnership, slug)
    settings = request.app.state.settings
    typed = {"name": name, "sector": sector, "lead_name": lead_name, "lead_email": lead_email}
    try:
        if sector not in AgencySector._value2member_map_:
            raise cycles_service.CycleError("Select the agency's sector")
        added = round_agencies.add_agency(
            session,
            cycle=cycle,
            partnership=partnership,
            name=name,
            sector=AgencySector(sector),
            lead_name=lead_name,
            lead_email=lead_email,
            actor=person,
            base_url=settings.base_url,
        )
    except cycles_service.CycleError as error:
        return render(
            request,
            "cycles/add_agency.html",
            {"cycle": cycle, "sectors": list(AgencySector), "typed": typed, "error": str(error)},
            status_code=400,
        )
    if added.invitation is not None:
        invitation = round_invitations.LeadInvitation(added.agency, added.invitation)
        queue_invitations(session, partnership, [invitation], "invitation")
    return RedirectResponse(
        f"/round/cycles/{cycle.slug}?added={quote(added.agency.name)}", status_code=303
    )


@router.get("/round/cycles/{slug}/agencies/directory")
def directory_agencies_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    partnership, cycle = cycle_or_404(session, person, partnership, slug)
    return _directory_form(request, session, partnership, cycle)


def _directory_form(request, session, partnership, cycle, error=None, typed=None):  # type: ignore[no-untyped-def]
    in_cycle = cycles_service.agency_ids_in(session, cycle=cycle)
    return render(
        request,
        "cycles/from_directory.html",
        {
            "cycle": cycle,
            "agencies": directory_service.agencies_of(session, partnership=partnership),
            "in_cycle": in_cycle,
            "sectors": list(AgencySector),
            "error": error,
            "typed": typed or {"choice": "all", "sectors": [], "agencies": []},
        },
        status_code=400 if error else 200,
    )


@router.post("/round/cycles/{slug}/agencies/directory")
async def directory_agencies(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    form = await request.form()
    choice = str(form.get("choice") or "")
    sectors = [str(value) for value in form.getlist("sectors")]
    picked = {i for value in form.getlist("agencies") if (i := id_from(str(value)))}
    typed = {"choice": choice, "sectors": sectors, "agencies": [str(v) for v in picked]}

    def bring() -> Response:
        found, cycle = cycle_or_404(session, person, partnership, slug)
        agencies = directory_service.agencies_of(session, partnership=found)
        if choice == "all":
            chosen = {agency.id for agency in agencies}
        elif choice == "sector":
            chosen = {agency.id for agency in agencies if agency.sector.value in sectors}
        elif choice == "picked":
            chosen = picked
        else:
            return _directory_form(
                request, session, found, cycle, "Select which agencies take part", typed
            )
        try:
            opened = cycles_service.bring_from_directory(
                session, cycle=cycle, partnership=found, agency_ids=chosen, actor=person
            )
        except cycles_service.CycleError as error:
            return _directory_form(request, session, found, cycle, str(error), typed)
        return RedirectResponse(f"/round/cycles/{cycle.slug}?opened={opened}", status_code=303)

    return await run_in_threadpool(bring)


@router.post("/round/cycles/{slug}/invitations")
def send_invitations(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    partnership, cycle = cycle_or_404(session, person, partnership, slug)
    invitations = round_invitations.invite_leads(
        session,
        cycle=cycle,
        partnership=partnership,
        base_url=request.app.state.settings.base_url,
        actor=person,
    )
    if invitations:
        back = f"/round/cycles/{cycle.slug}"
        action = notifications_service.start_action(
            session,
            partnership_id=partnership.id,
            description=f"Invitations to the leads of {len(invitations)} agencies",
            back_to=back,
        )
        queue_invitations(
            session, partnership, invitations, "round_invitation", action_id=action.id
        )
        return RedirectResponse(f"/round/emails/sends/{action.id}", status_code=303)
    return RedirectResponse(
        f"/round/cycles/{cycle.slug}?invited={len(invitations)}", status_code=303
    )
