"""Pages for the partnership's business unit running a round: the returns in it, and
reopening a submitted return for the agency to change, with a reason the agency reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.auth.deps import CurrentPartnership, require
from app.auth.policy import Permission
from app.cycles import importing
from app.cycles import service as cycles_service
from app.cycles.forms import read_cycle_form, read_date
from app.cycles.models import Cycle
from app.db import DbSession
from app.directory import service as directory_service
from app.directory.models import AgencySector, Person
from app.notifications import service as notifications_service
from app.notifications.models import SendStatus
from app.returns import service as returns_service
from app.returns.models import ReturnStatus
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
        notifications_service.deliver(
            session,
            settings,
            returns_service.reopened_email(
                returns_service.view_of(session, agency_return),
                to=lead,
                reason=reason.strip(),
                base_url=settings.base_url,
            ),
            kind="reopened",
            partnership_id=partnership.id,
        )
    return RedirectResponse("/round/returns", status_code=303)


# Setting up cycles and following them --------------------------------------------------------


@router.get("/round/cycles")
def cycles(
    request: Request, session: DbSession, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    partnership = _partnership_or_404(person, partnership)
    return render(
        request,
        "cycles/cycles.html",
        {
            "cycles": cycles_service.cycles_of(session, partnership=partnership),
            "partnership": partnership,
        },
    )


def _cycle_or_404(session, person, partnership, slug):  # type: ignore[no-untyped-def]
    partnership = _partnership_or_404(person, partnership)
    cycle = cycles_service.cycle_for(session, partnership=partnership, slug=slug)
    if cycle is None:
        raise HTTPException(status_code=404)
    return partnership, cycle


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
    partnership = _partnership_or_404(person, partnership)
    return _cycle_form(request, session, partnership, cycles_service.blank_details())


@router.post("/round/cycles/new")
async def new_cycle(
    request: Request, session: DbSession, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    partnership = _partnership_or_404(person, partnership)
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
    partnership, cycle = _cycle_or_404(session, person, partnership, slug)
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
        found, cycle = _cycle_or_404(session, person, partnership, slug)
        return _save_cycle_form(request, session, person, found, form, cycle)

    return await run_in_threadpool(save)


@router.get("/round/cycles/{slug}")
def dashboard(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
    sector: str = "",
    status: str = "",
    added: str = "",
    imported: int | None = None,
    invited: int | None = None,
    opened: int | None = None,
) -> Response:
    partnership, cycle = _cycle_or_404(session, person, partnership, slug)
    return _dashboard(
        request,
        session,
        partnership,
        cycle,
        sector=sector,
        status=status,
        added=added,
        imported=imported,
        invited=invited,
        opened=opened,
    )


def _dashboard(  # type: ignore[no-untyped-def]
    request,
    session,
    partnership,
    cycle,
    *,
    sector: str = "",
    status: str = "",
    added: str = "",
    imported: int | None = None,
    invited: int | None = None,
    refused: list[cycles_service.LeadInvitation] | None = None,
    opened: int | None = None,
) -> Response:
    """The dashboard, with what was just done in a banner: `invited` counts the invitations
    the mail server took, `refused` names those it did not."""
    chosen_sector = AgencySector(sector) if sector in AgencySector._value2member_map_ else None
    chosen_status = ReturnStatus(status) if status in ReturnStatus._value2member_map_ else None
    progress = cycles_service.progress(
        session, cycle=cycle, partnership=partnership, sector=chosen_sector, status=chosen_status
    )
    return render(
        request,
        "cycles/dashboard.html",
        {
            "partnership": partnership,
            "cycle": cycle,
            "progress": progress,
            "sector": chosen_sector,
            "status": chosen_status,
            "sectors": list(AgencySector),
            "statuses": list(ReturnStatus),
            "added": added,
            "imported": imported,
            "invited": invited,
            "refused": refused or [],
            "opened": opened,
            "today": date.today(),
        },
    )


def _send_invitations(  # type: ignore[no-untyped-def]
    request, session, partnership, invitations: list[cycles_service.LeadInvitation], kind: str
) -> list[cycles_service.LeadInvitation]:
    """Hand each invitation to the mail server; those it refused, which wait for a retry."""
    refused = []
    for invitation in invitations:
        sent = notifications_service.deliver(
            session,
            request.app.state.settings,
            invitation.email,
            kind=kind,
            partnership_id=partnership.id,
        )
        if sent.status is SendStatus.FAILED:
            refused.append(invitation)
    return refused


@router.get("/round/cycles/{slug}/agencies/new")
def add_agency_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    _partnership, cycle = _cycle_or_404(session, person, partnership, slug)
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
    partnership, cycle = _cycle_or_404(session, person, partnership, slug)
    settings = request.app.state.settings
    typed = {"name": name, "sector": sector, "lead_name": lead_name, "lead_email": lead_email}
    try:
        if sector not in AgencySector._value2member_map_:
            raise cycles_service.CycleError("Select the agency's sector")
        added = cycles_service.add_agency(
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
        invitation = cycles_service.LeadInvitation(added.agency, added.invitation)
        if _send_invitations(request, session, partnership, [invitation], "invitation"):
            # Said on the page now, not in a redirect's banner that would call it sent.
            return _dashboard(
                request, session, partnership, cycle, added=added.agency.name, refused=[invitation]
            )
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
    partnership, cycle = _cycle_or_404(session, person, partnership, slug)
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
    picked = {int(value) for value in form.getlist("agencies") if str(value).isdigit()}
    typed = {"choice": choice, "sectors": sectors, "agencies": [str(v) for v in picked]}

    def bring() -> Response:
        found, cycle = _cycle_or_404(session, person, partnership, slug)
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
    partnership, cycle = _cycle_or_404(session, person, partnership, slug)
    invitations = cycles_service.invite_leads(
        session,
        cycle=cycle,
        partnership=partnership,
        base_url=request.app.state.settings.base_url,
        actor=person,
    )
    refused = _send_invitations(request, session, partnership, invitations, "round_invitation")
    if refused:
        # Said on the page now, not in a redirect's banner that would call them all sent.
        return _dashboard(
            request,
            session,
            partnership,
            cycle,
            invited=len(invitations) - len(refused),
            refused=refused,
        )
    return RedirectResponse(
        f"/round/cycles/{cycle.slug}?invited={len(invitations)}", status_code=303
    )


@router.get("/round/returns/{return_id}/extend")
def extend_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    return_id: int,
) -> Response:
    agency_return, cycle, agency = _return_or_404(session, person, partnership, return_id)
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
    return_id: int,
) -> Response:
    form = await request.form()

    def save() -> Response:
        agency_return, cycle, agency = _return_or_404(session, person, partnership, return_id)
        try:
            to = read_date(form, "extend-to")
            cycles_service.extend_deadline(
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


# Importing agencies from a spreadsheet: into a cycle here, into the directory from set-up ----

SUMMARY_LIMIT = 20  # the table shows every problem; a summary of hundreds helps nobody


@dataclass(frozen=True)
class ImportTarget:
    """Where an import brings agencies: a cycle (and the directory), or the directory only."""

    name: str  # shown as the caption and the back link
    href: str  # the page to go back to
    action: str  # where the file is posted; confirmations go to {action}/{token}/confirm
    into: str  # "the cycle", "your agency directory"
    cycle: Cycle | None


def _cycle_target(cycle: Cycle) -> ImportTarget:
    home = f"/round/cycles/{cycle.slug}"
    return ImportTarget(cycle.name, home, f"{home}/import", "the cycle", cycle)


def import_page(request, target, problems=(), status_code=200):  # type: ignore[no-untyped-def]
    return render(
        request,
        "cycles/import.html",
        {
            "target": target,
            "sectors": list(AgencySector),
            "errors": [{"text": problem, "href": "#file"} for problem in problems],
        },
        status_code=status_code,
    )


def _import_preview(request, session, target, result, token=None):  # type: ignore[no-untyped-def]
    """Every row checked, or the upload page again when the file itself cannot be read."""
    if result.problems:
        return import_page(request, target, result.problems, status_code=400)
    importing.mark_existing(session, rows=result.rows)
    errors = [
        {"text": f"Line {row.line}: {error}", "href": f"#line-{row.line}"}
        for row in result.rows
        for error in row.errors
    ]
    if len(errors) > SUMMARY_LIMIT:
        more = {
            "text": f"{len(errors) - SUMMARY_LIMIT} more problems are listed below",
            "href": errors[SUMMARY_LIMIT]["href"],
        }
        errors = [*errors[:SUMMARY_LIMIT], more]
    return render(
        request,
        "cycles/import_preview.html",
        {"target": target, "result": result, "token": token, "errors": errors},
        status_code=200 if result.ready else 400,
    )


async def read_import_upload(request: Request) -> bytes | None:
    upload = (await request.form()).get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        # One byte past the limit is enough to know the file is too large.
        return await upload.read(importing.MAX_FILE_BYTES + 1)
    return None


def check_import(request, session, target, data) -> Response:  # type: ignore[no-untyped-def]
    """The preview of an uploaded file, kept under a random name for its confirmation."""
    if data is None:
        return import_page(request, target, ["Select a CSV or Excel file"], 400)
    result = importing.read_agency_file(data)
    imports = request.app.state.settings.var_dir / "imports"
    token = importing.keep_upload(imports, data) if result.ready else None
    return _import_preview(request, session, target, result, token)


def confirm_import(request, session, person, partnership, target, token):  # type: ignore[no-untyped-def]
    """Apply a checked file: (agencies added, invitations the mail server refused), or the
    page to show instead when the file no longer passes."""
    settings = request.app.state.settings
    kept = importing.kept_upload(settings.var_dir / "imports", token)
    if kept is None:
        raise HTTPException(status_code=404)
    # Read again rather than trusted from the preview: the file decides, as checked now.
    result = importing.read_agency_file(kept.read_bytes())
    if not result.ready:
        return _import_preview(request, session, target, result)
    try:
        added = importing.apply_import(
            session,
            cycle=target.cycle,
            partnership=partnership,
            rows=result.rows,
            actor=person,
            base_url=settings.base_url,
        )
    except cycles_service.CycleError as error:
        return import_page(request, target, [str(error)], status_code=400)
    invitations = [
        cycles_service.LeadInvitation(item.agency, item.invitation)
        for item in added
        if item.invitation is not None
    ]
    refused = _send_invitations(request, session, partnership, invitations, "invitation")
    kept.unlink(missing_ok=True)
    return added, invitations, refused


@router.get("/round/cycles/{slug}/import")
def cycle_import_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    _partnership, cycle = _cycle_or_404(session, person, partnership, slug)
    return import_page(request, _cycle_target(cycle))


@router.post("/round/cycles/{slug}/import")
async def cycle_import_file(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    data = await read_import_upload(request)

    def check() -> Response:
        _partnership, cycle = _cycle_or_404(session, person, partnership, slug)
        return check_import(request, session, _cycle_target(cycle), data)

    return await run_in_threadpool(check)


@router.post("/round/cycles/{slug}/import/{token}/confirm")
def cycle_confirm_import(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
    token: str,
) -> Response:
    partnership, cycle = _cycle_or_404(session, person, partnership, slug)
    outcome = confirm_import(request, session, person, partnership, _cycle_target(cycle), token)
    if isinstance(outcome, Response):
        return outcome
    added, invitations, refused = outcome
    if refused:
        return _dashboard(
            request,
            session,
            partnership,
            cycle,
            imported=len(added),
            invited=len(invitations) - len(refused),
            refused=refused,
        )
    return RedirectResponse(f"/round/cycles/{cycle.slug}?imported={len(added)}", status_code=303)
