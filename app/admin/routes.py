"""Site administration pages: the partnerships on this installation, their set-up and their first
coordinators and chair. Site administrators only; nothing here opens a return."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from app.admin import service as admin_service
from app.auth import invitations as auth_invitations
from app.auth.deps import require
from app.auth.policy import Permission
from app.db import DbSession
from app.directory.models import Partnership, Person, Role
from app.notifications import service as notifications_service
from app.params import Id
from app.templating import render

router = APIRouter()

SiteAdministrator = Annotated[Person, require(Permission.ADMINISTER_SITE)]


@router.get("/admin")
def partnerships(request: Request, session: DbSession, person: SiteAdministrator) -> Response:
    return render(
        request,
        "admin/partnerships.html",
        {
            "rows": admin_service.overview(session),
            "created": request.query_params.get("created"),
        },
    )


def _partnership_or_404(session: DbSession, slug: str) -> Partnership:
    partnership = admin_service.partnership_by_slug(session, slug=slug)
    if partnership is None:
        raise HTTPException(status_code=404)
    return partnership


def _form_page(  # type: ignore[no-untyped-def]
    request, details, errors=None, partnership=None, status_code=200
) -> Response:
    errors = errors or {}
    return render(
        request,
        "admin/partnership_form.html",
        {
            "details": details,
            "errors": errors,
            "error_list": [{"text": text, "href": f"#{key}"} for key, text in errors.items()],
            "partnership": partnership,
        },
        status_code=status_code,
    )


async def _read_form(request: Request) -> tuple[FormData, bytes | None]:
    form = await request.form()
    upload = form.get("logo")
    logo = None
    if isinstance(upload, UploadFile) and upload.filename:
        # One byte past the limit is enough to know the logo is too large.
        logo = await upload.read(admin_service.LOGO_MAX_BYTES + 1)
    return form, logo


def _details(form: FormData) -> admin_service.PartnershipDetails:
    return admin_service.PartnershipDetails(
        name=str(form.get("name") or ""),
        short_name=str(form.get("short_name") or ""),
        slug=str(form.get("slug") or ""),
        colour=str(form.get("colour") or ""),
        kind=str(form.get("kind") or "children"),  # the kind every partnership had before
    )


def _checked(session, details, logo_bytes, partnership=None):  # type: ignore[no-untyped-def]
    """The form's problems by field, and the logo read from its bytes when it passes."""
    errors = admin_service.check_details(session, details, partnership=partnership)
    logo = None
    if logo_bytes is not None:
        try:
            logo = admin_service.read_logo(logo_bytes)
        except admin_service.AdminError as error:
            errors["logo"] = str(error)
    return errors, logo


@router.get("/admin/partnerships/new")
def new_partnership_page(request: Request, person: SiteAdministrator) -> Response:
    return _form_page(request, admin_service.PartnershipDetails())


@router.post("/admin/partnerships/new")
async def new_partnership(
    request: Request, session: DbSession, person: SiteAdministrator
) -> Response:
    form, logo_bytes = await _read_form(request)
    details = _details(form)

    def save() -> Response:
        errors, logo = _checked(session, details, logo_bytes)
        if errors:
            return _form_page(request, details, errors, status_code=400)
        created = admin_service.create_partnership(
            session, actor=person, details=details, logo=logo
        )
        return RedirectResponse(f"/admin/partnerships/{created.slug}?created=1", status_code=303)

    return await run_in_threadpool(save)


@router.get("/admin/partnerships/{slug}")
def partnership_page(
    request: Request, session: DbSession, person: SiteAdministrator, slug: str
) -> Response:
    return _partnership_page(request, session, _partnership_or_404(session, slug))


def _partnership_page(  # type: ignore[no-untyped-def]
    request, session, partnership, *, error=None, typed=None, status_code=200
) -> Response:
    return render(
        request,
        "admin/partnership.html",
        {
            "partnership": partnership,
            "appointments": admin_service.appointments_of(session, partnership=partnership),
            "state": auth_invitations.invitation_state,
            "roles": admin_service.APPOINTED_ROLES,
            "error": error,
            "typed": typed or {},
            "notice": request.query_params,
        },
        status_code=status_code,
    )


@router.get("/admin/partnerships/{slug}/edit")
def edit_partnership_page(
    request: Request, session: DbSession, person: SiteAdministrator, slug: str
) -> Response:
    partnership = _partnership_or_404(session, slug)
    return _form_page(request, admin_service.details_of(partnership), partnership=partnership)


@router.post("/admin/partnerships/{slug}/edit")
async def edit_partnership(
    request: Request, session: DbSession, person: SiteAdministrator, slug: str
) -> Response:
    form, logo_bytes = await _read_form(request)
    details = _details(form)

    def save() -> Response:
        partnership = _partnership_or_404(session, slug)
        errors, logo = _checked(session, details, logo_bytes, partnership)
        if errors:
            return _form_page(request, details, errors, partnership, status_code=400)
        admin_service.change_partnership(
            session,
            actor=person,
            partnership=partnership,
            details=details,
            logo=logo,
            remove_logo=form.get("remove_logo") == "yes",
        )
        return RedirectResponse(f"/admin/partnerships/{partnership.slug}?saved=1", status_code=303)

    return await run_in_threadpool(save)


@router.post("/admin/partnerships/{slug}/archive")
def archive_partnership(
    request: Request, session: DbSession, person: SiteAdministrator, slug: str
) -> Response:
    partnership = _partnership_or_404(session, slug)
    try:
        admin_service.archive_partnership(session, actor=person, partnership=partnership)
    except admin_service.AdminError as error:
        return _partnership_page(request, session, partnership, error=str(error), status_code=409)
    return RedirectResponse(f"/admin/partnerships/{slug}?archived=1", status_code=303)


@router.post("/admin/partnerships/{slug}/restore")
def restore_partnership(
    request: Request, session: DbSession, person: SiteAdministrator, slug: str
) -> Response:
    partnership = _partnership_or_404(session, slug)
    try:
        admin_service.restore_partnership(session, actor=person, partnership=partnership)
    except admin_service.AdminError as error:
        return _partnership_page(request, session, partnership, error=str(error), status_code=409)
    return RedirectResponse(f"/admin/partnerships/{slug}?restored=1", status_code=303)


def _delivered(request, session, partnership, invitation, message) -> Response:  # type: ignore[no-untyped-def]
    """Queue the invitation's email for the workers, then show the partnership."""
    notifications_service.queue_email(
        session, message, kind="invitation", partnership_id=partnership.id
    )
    return RedirectResponse(
        f"/admin/partnerships/{partnership.slug}?invited={invitation.id}", status_code=303
    )


@router.post("/admin/partnerships/{slug}/appointments")
def appoint(
    request: Request,
    session: DbSession,
    person: SiteAdministrator,
    slug: str,
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    partnership = _partnership_or_404(session, slug)
    typed = {"name": name, "email": email, "role": role}
    try:
        invitation, message = admin_service.appoint(
            session,
            actor=person,
            partnership=partnership,
            role=Role(role) if role in Role._value2member_map_ else None,
            name=name,
            email=email,
            base_url=request.app.state.settings.base_url,
        )
    except admin_service.AdminError as error:
        return _partnership_page(
            request, session, partnership, error=str(error), typed=typed, status_code=400
        )
    return _delivered(request, session, partnership, invitation, message)


def _appointment_or_404(session: DbSession, partnership: Partnership, invitation_id: int):  # type: ignore[no-untyped-def]
    for invitation in admin_service.appointments_of(session, partnership=partnership).invitations:
        if invitation.id == invitation_id:
            return invitation
    raise HTTPException(status_code=404)


@router.post("/admin/partnerships/{slug}/appointments/{invitation_id}/resend")
def resend_appointment(
    request: Request, session: DbSession, person: SiteAdministrator, slug: str, invitation_id: Id
) -> Response:
    partnership = _partnership_or_404(session, slug)
    invitation = _appointment_or_404(session, partnership, invitation_id)
    try:
        message = auth_invitations.resend_invitation(
            session,
            actor=person,
            invitation=invitation,
            base_url=request.app.state.settings.base_url,
        )
    except auth_invitations.InvitationError as error:
        return _partnership_page(request, session, partnership, error=str(error), status_code=409)
    return _delivered(request, session, partnership, invitation, message)


@router.post("/admin/partnerships/{slug}/appointments/{invitation_id}/cancel")
def cancel_appointment(
    request: Request, session: DbSession, person: SiteAdministrator, slug: str, invitation_id: Id
) -> Response:
    partnership = _partnership_or_404(session, slug)
    invitation = _appointment_or_404(session, partnership, invitation_id)
    try:
        auth_invitations.cancel_invitation(session, actor=person, invitation=invitation)
    except auth_invitations.InvitationError as error:
        return _partnership_page(request, session, partnership, error=str(error), status_code=409)
    notifications_service.withdraw_dead_links(
        session, partnership_id=partnership.id, to=invitation.email
    )
    return RedirectResponse(f"/admin/partnerships/{slug}?cancelled=1", status_code=303)


@router.get("/partnerships/{slug}/logo", dependencies=[require(Permission.SIGNED_IN)])
def partnership_logo(session: DbSession, slug: str) -> Response:
    logo = admin_service.logo_of(session, slug=slug)
    if logo is None:
        raise HTTPException(status_code=404)
    return Response(
        logo.data,
        media_type=logo.content_type,
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
