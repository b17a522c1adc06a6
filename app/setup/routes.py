"""Set-up pages for a partnership's coordinators: the agency directory kept from year to year,
and everyone with a role in the partnership."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.auth import invitations as auth_invitations
from app.auth.deps import CurrentPartnership, require
from app.auth.policy import Permission
from app.cycles import listing as round_listing
from app.cycles.routes import imports as import_pages
from app.db import DbSession
from app.directory import service as directory_service
from app.directory.models import (
    AgencyDuty,
    AgencySector,
    Partnership,
    Person,
    Role,
    SchoolPhase,
    SchoolType,
)
from app.notifications import service as notifications_service
from app.params import Id, id_from
from app.setup import agencies, people
from app.templating import render

router = APIRouter()

Coordinator = Annotated[Person, require(Permission.SET_UP_PARTNERSHIP)]


def coordinating(person: Person, partnership: Partnership | None) -> Partnership:
    """The partnership the coordinator is working in; coordinating elsewhere is not enough.
    The retention and erasure pages (app.operations.routes) ask the same."""
    if partnership is None or not any(
        m.role is Role.COORDINATOR and m.partnership_id == partnership.id
        for m in person.memberships
    ):
        raise HTTPException(status_code=404)
    return partnership


def _sector(value: str) -> AgencySector | None:
    return AgencySector(value) if value in AgencySector._value2member_map_ else None


def _duty(value: str) -> AgencyDuty | None:
    return AgencyDuty(value) if value in AgencyDuty._value2member_map_ else None


SCHOOL_FIELDS = ("school_type", "school_phase", "school_body", "urn")
SCHOOL_CHOICES = {"school_types": list(SchoolType), "school_phases": list(SchoolPhase)}


# The agency directory -------------------------------------------------------------------------


@router.get("/agencies")
def directory(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    show: str = "",
) -> Response:
    partnership = coordinating(person, partnership)
    archived = show == "archived"
    return render(
        request,
        "setup/agencies.html",
        {
            "partnership": partnership,
            "entries": agencies.directory_of(
                session,
                partnership=partnership,
                archived=archived,
                listing=agencies.read_directory_listing(request.query_params),
            ),
            "archived": archived,
            "choices": round_listing.choices({"sector"}),
            "notice": request.query_params,
        },
    )


def _agency_form(request, typed, error=None, field="name"):  # type: ignore[no-untyped-def]
    return render(
        request,
        "setup/agency_new.html",
        {
            "typed": typed,
            "error": error,
            "field": field,
            "sectors": list(AgencySector),
            "duties": list(AgencyDuty),
            **SCHOOL_CHOICES,
        },
        status_code=400 if error else 200,
    )


@router.get("/agencies/new")
def new_agency_page(
    request: Request, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    coordinating(person, partnership)
    return _agency_form(request, {})


@router.post("/agencies/new")
def new_agency(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    name: Annotated[str, Form()] = "",
    sector: Annotated[str, Form()] = "",
    duty: Annotated[str, Form()] = "",
    lead_name: Annotated[str, Form()] = "",
    lead_email: Annotated[str, Form()] = "",
    school_type: Annotated[str, Form()] = "",
    school_phase: Annotated[str, Form()] = "",
    school_body: Annotated[str, Form()] = "",
    urn: Annotated[str, Form()] = "",
) -> Response:
    partnership = coordinating(person, partnership)
    school = dict(zip(SCHOOL_FIELDS, (school_type, school_phase, school_body, urn), strict=True))
    typed = {
        "name": name,
        "sector": sector,
        "duty": duty,
        "lead_name": lead_name,
        "lead_email": lead_email,
        **school,
    }
    try:
        added = agencies.add_agency(
            session,
            partnership=partnership,
            actor=person,
            name=name,
            sector=_sector(sector),
            duty=_duty(duty),
            lead_name=lead_name,
            lead_email=lead_email,
            base_url=request.app.state.settings.base_url,
            school=school,
        )
    except agencies.AgencyError as error:
        return _agency_form(request, typed, str(error), error.field)
    if added.invitation is not None:
        _queue_invitation(session, partnership, added.invitation)
    return RedirectResponse(f"/agencies/{added.agency.id}?added=1", status_code=303)


def _queue_invitation(session, partnership, email) -> None:  # type: ignore[no-untyped-def]
    notifications_service.queue_email(
        session, email, kind="invitation", partnership_id=partnership.id
    )


def _directory_target() -> import_pages.ImportTarget:
    return import_pages.ImportTarget(
        "Agency directory", "/agencies", "/agencies/import", "your agency directory", None
    )


@router.get("/agencies/import")
def import_page(request: Request, person: Coordinator, partnership: CurrentPartnership) -> Response:
    coordinating(person, partnership)
    return import_pages.import_page(request, _directory_target())


@router.post("/agencies/import")
async def import_file(
    request: Request, session: DbSession, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    data = await import_pages.read_import_upload(request)

    def check() -> Response:
        coordinating(person, partnership)
        return import_pages.check_import(request, session, _directory_target(), data)

    return await run_in_threadpool(check)


@router.post("/agencies/import/{token}/confirm")
def confirm_import(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    token: str,
) -> Response:
    partnership = coordinating(person, partnership)
    outcome = import_pages.confirm_import(
        request, session, person, partnership, _directory_target(), token
    )
    if isinstance(outcome, Response):
        return outcome
    added, _invitations, refused = outcome
    return RedirectResponse(
        f"/agencies?imported={len(added)}&refused={len(refused)}", status_code=303
    )


def _shown(value: object) -> str:
    return "" if value is None else str(value)


def _entry_or_404(session, person, partnership, agency_id):  # type: ignore[no-untyped-def]
    partnership = coordinating(person, partnership)
    entry = agencies.entry_in(session, partnership=partnership, agency_id=agency_id)
    if entry is None:
        raise HTTPException(status_code=404)
    return partnership, entry


def _agency_page(  # type: ignore[no-untyped-def]
    request, session, partnership, entry, *, errors=None, typed=None, status_code=200
) -> Response:
    leads = people.people_of(
        session, partnership=partnership, role=Role.AGENCY_LEAD, agency_id=entry.agency.id
    )
    errors = errors or {}
    return render(
        request,
        "setup/agency.html",
        {
            "entry": entry,
            "agency": entry.agency,
            "leads": leads,
            "sectors": list(AgencySector),
            "duties": list(AgencyDuty),
            **SCHOOL_CHOICES,
            "errors": errors,
            "error_list": [{"text": text, "href": f"#{key}"} for key, text in errors.items()],
            "typed": typed
            or {
                "name": entry.agency.name,
                "sector": entry.agency.sector.value,
                "duty": entry.agency.duty.value,
                **{key: _shown(getattr(entry.agency, key)) for key in SCHOOL_FIELDS},
            },
            "notice": request.query_params,
        },
        status_code=status_code,
    )


@router.get("/agencies/{agency_id}")
def agency_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    agency_id: Id,
) -> Response:
    partnership, entry = _entry_or_404(session, person, partnership, agency_id)
    return _agency_page(request, session, partnership, entry)


@router.post("/agencies/{agency_id}")
def change_agency(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    agency_id: Id,
    name: Annotated[str, Form()] = "",
    sector: Annotated[str, Form()] = "",
    duty: Annotated[str, Form()] = "",
    school_type: Annotated[str, Form()] = "",
    school_phase: Annotated[str, Form()] = "",
    school_body: Annotated[str, Form()] = "",
    urn: Annotated[str, Form()] = "",
) -> Response:
    partnership, entry = _entry_or_404(session, person, partnership, agency_id)
    school = dict(zip(SCHOOL_FIELDS, (school_type, school_phase, school_body, urn), strict=True))
    typed = {"name": name, "sector": sector, "duty": duty, **school}
    try:
        agencies.change_agency(
            session,
            partnership=partnership,
            actor=person,
            agency=entry.agency,
            name=name,
            sector=_sector(sector),
            duty=_duty(duty),
            school=school,
        )
    except agencies.AgencyError as error:
        return _agency_page(
            request, session, partnership, entry, errors={error.field: str(error)}, typed=typed,
            status_code=400,
        )  # fmt: skip
    return RedirectResponse(f"/agencies/{agency_id}?saved=1", status_code=303)


@router.post("/agencies/{agency_id}/archive")
def archive_agency(
    session: DbSession, person: Coordinator, partnership: CurrentPartnership, agency_id: Id
) -> Response:
    partnership, entry = _entry_or_404(session, person, partnership, agency_id)
    agencies.archive_agency(session, partnership=partnership, actor=person, agency=entry.agency)
    return RedirectResponse(f"/agencies/{agency_id}?archived=1", status_code=303)


@router.post("/agencies/{agency_id}/restore")
def restore_agency(
    session: DbSession, person: Coordinator, partnership: CurrentPartnership, agency_id: Id
) -> Response:
    partnership, entry = _entry_or_404(session, person, partnership, agency_id)
    agencies.restore_agency(session, partnership=partnership, actor=person, agency=entry.agency)
    return RedirectResponse(f"/agencies/{agency_id}?restored=1", status_code=303)


@router.post("/agencies/{agency_id}/leads")
def invite_lead(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    agency_id: Id,
    lead_name: Annotated[str, Form()] = "",
    lead_email: Annotated[str, Form()] = "",
) -> Response:
    partnership, entry = _entry_or_404(session, person, partnership, agency_id)
    try:
        email = agencies.invite_lead(
            session,
            partnership=partnership,
            actor=person,
            agency=entry.agency,
            lead_name=lead_name,
            lead_email=lead_email,
            base_url=request.app.state.settings.base_url,
        )
    except agencies.AgencyError as error:
        return _agency_page(
            request,
            session,
            partnership,
            entry,
            errors={error.field: str(error)},
            typed={
                "name": entry.agency.name,
                "sector": entry.agency.sector.value,
                "duty": entry.agency.duty.value,
                "lead_name": lead_name,
                "lead_email": lead_email,
            },
            status_code=400,
        )
    _queue_invitation(session, partnership, email)
    return RedirectResponse(f"/agencies/{agency_id}?invited=1", status_code=303)


# People and their roles -----------------------------------------------------------------------


@router.get("/people")
def people_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    role: str = "",
    agency: str = "",
) -> Response:
    partnership = coordinating(person, partnership)
    chosen_role = Role(role) if role in Role._value2member_map_ else None
    chosen_agency = id_from(agency)
    scope = auth_invitations.invitation_scope(person, partnership)
    assert scope is not None, "a coordinator invites anyone into their partnership"
    waiting = [
        invitation
        for invitation in auth_invitations.invitations_for(session, scope=scope)
        if auth_invitations.invitation_state(invitation) in ("waiting", "expired")
    ]
    return render(
        request,
        "setup/people.html",
        {
            "partnership": partnership,
            "people": people.people_page(
                session,
                partnership=partnership,
                listing=people.read_people_listing(request.query_params),
                role=chosen_role,
                agency_id=chosen_agency,
            ),
            "roles": list(Role),
            "agencies": directory_service.agencies_to_choose(session, partnership=partnership),
            "chosen_role": chosen_role,
            "chosen_agency": chosen_agency,
            "invitations": waiting,
            "state": auth_invitations.invitation_state,
            "notice": request.query_params,
            "undelivered": notifications_service.undelivered_invitations(
                session, partnership_id=partnership.id
            ),
        },
    )


def _membership_or_404(session, person, partnership, membership_id):  # type: ignore[no-untyped-def]
    partnership = coordinating(person, partnership)
    membership = people.membership_in(session, partnership=partnership, membership_id=membership_id)
    if membership is None:
        raise HTTPException(status_code=404)
    return membership


def _role_page(request, membership, error=None, status_code=200):  # type: ignore[no-untyped-def]
    return render(
        request,
        "setup/role.html",
        {
            "membership": membership,
            "choices": people.roles_it_may_become(membership),
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/people/roles/{membership_id}")
def role_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    membership_id: Id,
) -> Response:
    return _role_page(request, _membership_or_404(session, person, partnership, membership_id))


@router.post("/people/roles/{membership_id}")
def change_role(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    membership_id: Id,
    role: Annotated[str, Form()] = "",
) -> Response:
    membership = _membership_or_404(session, person, partnership, membership_id)
    name = membership.person.name
    try:
        people.change_role(
            session,
            actor=person,
            membership=membership,
            role=Role(role) if role in Role._value2member_map_ else None,
        )
    except people.PeopleError as error:
        return _role_page(request, membership, str(error), status_code=400)
    return RedirectResponse(f"/people?changed={name}", status_code=303)


@router.post("/people/roles/{membership_id}/remove")
def remove_role(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    membership_id: Id,
) -> Response:
    membership = _membership_or_404(session, person, partnership, membership_id)
    name = membership.person.name
    try:
        people.remove_role(session, actor=person, membership=membership)
    except people.PeopleError as error:
        return _role_page(request, membership, str(error), status_code=400)
    return RedirectResponse(f"/people?removed={name}", status_code=303)
