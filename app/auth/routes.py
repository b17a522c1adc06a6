"""Sign-in pages: the sign-in start page, the development-only demo sign-in, and sign-out.

Thin: parse the form, call the auth service, keep the session cookie, render or redirect.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from authlib.common.errors import AuthlibBaseError
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from httpx import HTTPError
from joserfc.errors import JoseError
from starlette.concurrency import run_in_threadpool

from app.auth import identities
from app.auth import invitations as auth_invitations
from app.auth import service as auth_service
from app.auth.deps import (
    SESSION_TOKEN_KEY,
    CurrentPartnership,
    CurrentSignIn,
    SignedInPerson,
    current_person,
    require,
)
from app.auth.models import Invitation
from app.auth.policy import LOOPBACK_CLIENTS, Permission
from app.db import DbSession
from app.directory import service as directory_service
from app.directory.models import Partnership, Person, Role
from app.notifications import service as notifications_service
from app.notifications.mail import Email
from app.params import Id, id_from
from app.templating import render

router = APIRouter()

# Tampered or missing state, nonce or code, a token for another audience, a provider that does
# not answer: each ends on the sign-in page with a message, never a 500.
OIDC_ERRORS = (AuthlibBaseError, JoseError, HTTPError, ValueError, KeyError)


def safe_next(value: str | None) -> str:
    """Only ever send people back to a page on this site."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def begin_session(request: Request, session: DbSession, person: Person, method: str) -> None:
    """Sign the person in: a new server-side session and a fresh cookie, whatever was there
    before, so a session id planted before sign-in is never the one that gets signed in."""
    settings = request.app.state.settings
    token = auth_service.start_session(
        session,
        person=person,
        method=method,
        lifetime=timedelta(hours=settings.session_lifetime_hours),
        client_address=_client(request),
        user_agent=request.headers.get("user-agent"),
    )
    request.session.clear()
    request.session[SESSION_TOKEN_KEY] = token


@router.get("/sign-in", dependencies=[require(Permission.SIGN_IN)])
def sign_in_page(request: Request, next: str | None = None, timeout: str | None = None) -> Response:
    return _sign_in_page(request, next=safe_next(next), timed_out=timeout is not None)


@router.get("/dev/sign-in", dependencies=[require(Permission.DEVELOPMENT_SIGN_IN)])
def demo_sign_in_page(request: Request, session: DbSession, next: str | None = None) -> Response:
    people = directory_service.list_people_with_roles(session)
    return render(request, "auth/demo_sign_in.html", {"people": people, "next": safe_next(next)})


@router.post("/dev/sign-in", dependencies=[require(Permission.DEVELOPMENT_SIGN_IN)])
def demo_sign_in(
    request: Request,
    session: DbSession,
    person_id: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        person = auth_service.sign_in_demo_person(
            session,
            person_id=id_from(person_id),
            client_address=_client(request),
            request_id=request.state.request_id,
        )
    except auth_service.SignInError as error:
        people = directory_service.list_people_with_roles(session)
        return render(
            request,
            "auth/demo_sign_in.html",
            {"people": people, "next": safe_next(next), "error": str(error)},
            status_code=400,
        )
    begin_session(request, session, person, "development")
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/sign-out")
def sign_out(request: Request, session: DbSession, person: SignedInPerson) -> Response:
    auth_service.record_sign_out(
        session, person=person, client_address=_client(request), request_id=request.state.request_id
    )
    auth_service.end_session(session, token=request.session.get(SESSION_TOKEN_KEY, ""))
    request.session.clear()
    return RedirectResponse("/sign-in", status_code=303)


@router.post("/session/keep-alive")
def keep_alive(session: DbSession, person: SignedInPerson, sign_in: CurrentSignIn) -> Response:
    """The 'stay signed in' button of the time-out warning (WCAG 2.2.1)."""
    assert sign_in is not None
    auth_service.keep_session_alive(session, record=sign_in.record)
    return Response(status_code=204)


# Email sign-in links -------------------------------------------------------------------------

# Per client address, every sign-in attempt counts; per email address, only sending counts.
CLIENT_ATTEMPTS_PER_MINUTE = 20
LINKS_PER_ADDRESS_PER_15_MINUTES = 5


def _too_many_attempts(request: Request) -> Response:
    return render(
        request,
        "errors/error.html",
        {
            "title": "Too many attempts to sign in",
            "message": "Wait a minute, then try again.",
        },
        status_code=429,
    )


def _within_client_limit(request: Request, session: DbSession) -> bool:
    return auth_service.within_rate_limit(
        session,
        key=f"sign-in:client:{_client(request)}",
        limit=CLIENT_ATTEMPTS_PER_MINUTE,
        window=timedelta(minutes=1),
    )


def _sign_in_page(
    request: Request,
    *,
    next: str,
    error: str | None = None,
    email: str = "",
    timed_out: bool = False,
    status_code: int = 200,
) -> Response:
    settings = request.app.state.settings
    return render(
        request,
        "auth/sign_in.html",
        {
            "next": next,
            "development": settings.is_development and _client(request) in LOOPBACK_CLIENTS,
            "oidc": bool(settings.oidc_issuer),
            "timed_out": timed_out,
            "idle_minutes": settings.session_idle_minutes,
            "error": error,
            "email": email,
        },
        status_code=status_code,
    )


@router.post("/sign-in/email", dependencies=[require(Permission.SIGN_IN)])
def request_sign_in_link(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    if not _within_client_limit(request, session):
        return _too_many_attempts(request)
    try:
        message = None
        if auth_service.within_rate_limit(
            session,
            key=f"sign-in:email:{email.strip().lower()[:150]}",
            limit=LINKS_PER_ADDRESS_PER_15_MINUTES,
            window=timedelta(minutes=15),
        ):
            message = auth_service.request_sign_in_link(
                session, email=email, base_url=request.app.state.settings.base_url
            )
    except auth_service.SignInError as error:
        return _sign_in_page(
            request, next=safe_next(next), error=str(error), email=email, status_code=400
        )
    if message is not None:
        notifications_service.queue_email(session, message, kind="sign_in_link")
    # The same page whether or not the address has access: it never tells who does.
    return render(request, "auth/check_email.html", {"email": email.strip()})


@router.get("/sign-in/email/{token}", dependencies=[require(Permission.SIGN_IN)])
def sign_in_link_page(request: Request, token: str) -> Response:
    # Mail scanners open links: signing in takes a button press, never just a GET.
    return render(request, "auth/use_link.html", {"token": token})


@router.post("/sign-in/email/{token}", dependencies=[require(Permission.SIGN_IN)])
def use_sign_in_link(request: Request, session: DbSession, token: str) -> Response:
    if not _within_client_limit(request, session):
        return _too_many_attempts(request)
    try:
        person = auth_service.use_sign_in_link(
            session,
            token=token,
            client_address=_client(request),
            request_id=request.state.request_id,
        )
    except auth_service.SignInError as error:
        return _sign_in_page(request, next="/", error=str(error), status_code=400)
    begin_session(request, session, person, "email_link")
    return RedirectResponse("/", status_code=303)


# Choosing the partnership to work in ----------------------------------------------------------


@router.get("/partnerships")
def partnerships_page(
    request: Request, person: SignedInPerson, partnership: CurrentPartnership
) -> Response:
    choices = directory_service.partnerships_of(person)
    return render(request, "auth/partnerships.html", {"choices": choices, "active": partnership})


@router.post("/partnerships/active")
def choose_partnership(
    request: Request,
    session: DbSession,
    person: SignedInPerson,
    sign_in: CurrentSignIn,
    partnership_id: Annotated[str, Form()] = "",
) -> Response:
    assert sign_in is not None
    chosen = auth_service.choose_partnership(
        session,
        person=person,
        record=sign_in.record,
        partnership_id=id_from(partnership_id),
    )
    if chosen is None:
        choices = directory_service.partnerships_of(person)
        return render(
            request,
            "auth/partnerships.html",
            {"choices": choices, "active": None, "error": "Select the partnership to work in"},
            status_code=400,
        )
    return RedirectResponse("/", status_code=303)


# Invitations ----------------------------------------------------------------------------------


def _scope(person: Person, partnership: Partnership | None) -> auth_invitations.InvitationScope:
    scope = auth_invitations.invitation_scope(person, partnership) if partnership else None
    if scope is None:
        raise HTTPException(status_code=404)
    return scope


Inviter = Annotated[Person, require(Permission.INVITE_PEOPLE)]


@router.get("/invitations")
def invitations_page(
    request: Request, session: DbSession, person: Inviter, partnership: CurrentPartnership
) -> Response:
    scope = _scope(person, partnership)
    invitations = auth_invitations.invitations_for(session, scope=scope)
    return render(
        request,
        "auth/invitations.html",
        {
            "scope": scope,
            "invitations": invitations,
            "state": auth_invitations.invitation_state,
            "sent": request.query_params.get("sent"),
            "refused": request.query_params.get("refused"),
        },
    )


def _invite_form(
    request: Request,
    session: DbSession,
    scope: auth_invitations.InvitationScope,
    values: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    agencies = directory_service.agencies_of(session, partnership=scope.partnership)
    if not scope.any_role:
        agencies = [agency for agency in agencies if agency.id in scope.agency_ids]
    roles = list(Role) if scope.any_role else [Role.CONTRIBUTOR]
    return render(
        request,
        "auth/invite.html",
        {"scope": scope, "agencies": agencies, "roles": roles, "values": values, "error": error},
        status_code=status_code,
    )


@router.get("/invitations/new")
def invite_page(
    request: Request, session: DbSession, person: Inviter, partnership: CurrentPartnership
) -> Response:
    return _invite_form(request, session, _scope(person, partnership), {})


@router.post("/invitations/new")
def invite(
    request: Request,
    session: DbSession,
    person: Inviter,
    partnership: CurrentPartnership,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    agency_id: Annotated[str, Form()] = "",
) -> Response:
    scope = _scope(person, partnership)
    values = {"email": email, "name": name, "role": role, "agency_id": agency_id}
    try:
        chosen_role = Role(role) if role in Role._value2member_map_ else None
        if chosen_role is None and scope.any_role:
            raise auth_invitations.InvitationError("Select the role to invite them into")
        invitation, message = auth_invitations.invite(
            session,
            actor=person,
            scope=scope,
            email=email,
            name=name,
            role=chosen_role or Role.CONTRIBUTOR,
            agency_id=id_from(agency_id),
            base_url=request.app.state.settings.base_url,
        )
    except auth_invitations.InvitationError as error:
        return _invite_form(request, session, scope, values, str(error), status_code=400)
    return _delivered(request, session, message, invitation)


def _delivered(
    request: Request,
    session: DbSession,
    message: Email,
    invitation: Invitation,
    back: str = "/invitations",
) -> Response:
    """Queue the invitation's email for the workers, then show the invitations."""
    notifications_service.queue_email(
        session, message, kind="invitation", partnership_id=invitation.partnership_id
    )
    return RedirectResponse(f"{back}?sent={invitation.id}", status_code=303)


def _invitation_or_404(
    session: DbSession, person: Person, partnership: Partnership | None, invitation_id: int
) -> Invitation:
    invitation = auth_invitations.get_invitation(
        session, scope=_scope(person, partnership), invitation_id=invitation_id
    )
    if invitation is None:
        raise HTTPException(status_code=404)
    return invitation


@router.post("/invitations/{invitation_id}/cancel")
def cancel_invitation(
    request: Request,
    session: DbSession,
    person: Inviter,
    partnership: CurrentPartnership,
    invitation_id: Id,
    back: Annotated[str, Form()] = "",
) -> Response:
    invitation = _invitation_or_404(session, person, partnership, invitation_id)
    try:
        auth_invitations.cancel_invitation(session, actor=person, invitation=invitation)
    except auth_invitations.InvitationError as error:
        raise HTTPException(status_code=409, detail=str(error)) from None
    # Its email, if the mail server refused it, must not go out on a retry.
    notifications_service.withdraw_dead_links(
        session, partnership_id=invitation.partnership_id, to=invitation.email
    )
    return RedirectResponse(_back_to(back), status_code=303)


def _back_to(back: str) -> str:
    """The page an invitation was resent or cancelled from: People, or the invitations list."""
    return "/people" if back == "/people" else "/invitations"


@router.post("/invitations/{invitation_id}/resend")
def resend_invitation(
    request: Request,
    session: DbSession,
    person: Inviter,
    partnership: CurrentPartnership,
    invitation_id: Id,
    back: Annotated[str, Form()] = "",
) -> Response:
    invitation = _invitation_or_404(session, person, partnership, invitation_id)
    try:
        message = auth_invitations.resend_invitation(
            session,
            actor=person,
            invitation=invitation,
            base_url=request.app.state.settings.base_url,
        )
    except auth_invitations.InvitationError as error:
        raise HTTPException(status_code=409, detail=str(error)) from None
    return _delivered(request, session, message, invitation, _back_to(back))


@router.get("/join/{token}", dependencies=[require(Permission.SIGN_IN)])
def join_page(
    request: Request,
    session: DbSession,
    token: str,
    viewer: Annotated[Person | None, Depends(current_person)],
) -> Response:
    invitation = auth_invitations.find_invitation(session, token=token)
    return render(
        request,
        "auth/join.html",
        {
            "invitation": invitation,
            "token": token,
            "viewer": viewer,
            "state": auth_invitations.invitation_state(invitation) if invitation else None,
        },
        status_code=200 if invitation else 404,
    )


@router.post("/join/{token}", dependencies=[require(Permission.SIGN_IN)])
def join(
    request: Request,
    session: DbSession,
    token: str,
    viewer: Annotated[Person | None, Depends(current_person)],
) -> Response:
    invitation = auth_invitations.find_invitation(session, token=token)
    if invitation is None:
        raise HTTPException(status_code=404)
    try:
        person = auth_invitations.accept_invitation(
            session,
            invitation=invitation,
            signed_in_as=viewer,
            client_address=_client(request),
            request_id=request.state.request_id,
        )
    except auth_invitations.InvitationError as error:
        return render(
            request,
            "auth/join.html",
            {
                "invitation": invitation,
                "token": token,
                "viewer": viewer,
                "state": auth_invitations.invitation_state(invitation),
                "error": str(error),
            },
            status_code=400,
        )
    # Following the emailed link proves the address: accepting signs the person in.
    begin_session(request, session, person, "invitation")
    return RedirectResponse("/", status_code=303)


# OpenID Connect ------------------------------------------------------------------------------

OIDC_FAILED = (
    "Signing in with your organisation's account did not work. Try again, or ask for a link "
    "by email below."
)


def _oidc_client(request: Request):  # type: ignore[no-untyped-def]
    oauth = request.app.state.oauth
    if oauth is None:
        raise HTTPException(status_code=404)
    return oauth.oidc


@router.get("/sign-in/oidc", dependencies=[require(Permission.SIGN_IN)])
async def oidc_start(request: Request, session: DbSession, next: str | None = None) -> Response:
    client = _oidc_client(request)
    if not await run_in_threadpool(_within_client_limit, request, session):
        return _too_many_attempts(request)
    request.session["oidc_next"] = safe_next(next)
    callback = request.app.state.settings.base_url.rstrip("/") + "/sign-in/oidc/callback"
    return await client.authorize_redirect(request, callback)


@router.get("/sign-in/oidc/callback", dependencies=[require(Permission.SIGN_IN)])
async def oidc_callback(request: Request, session: DbSession) -> Response:
    client = _oidc_client(request)
    next_page = safe_next(request.session.get("oidc_next"))
    try:
        token = await client.authorize_access_token(request)
        claims = token.get("userinfo")
        if not claims or not claims.get("sub") or not claims.get("iss"):
            raise ValueError("no verified ID token")
    except OIDC_ERRORS as error:
        await run_in_threadpool(
            auth_service.record_failed_sign_in,
            session,
            method="oidc",
            reason=f"{type(error).__name__}: {error}"[:200],
            client_address=_client(request),
            request_id=request.state.request_id,
        )
        return _sign_in_page(request, next=next_page, error=OIDC_FAILED, status_code=400)

    def finish() -> Response:
        try:
            person = identities.sign_in_with_oidc(
                session,
                issuer=claims["iss"],
                subject=claims["sub"],
                email=claims.get("email"),
                email_verified=claims.get("email_verified") is True,
                client_address=_client(request),
                request_id=request.state.request_id,
            )
        except auth_service.SignInError as error:
            return _sign_in_page(request, next=next_page, error=str(error), status_code=403)
        begin_session(request, session, person, "oidc")
        return RedirectResponse(next_page, status_code=303)

    return await run_in_threadpool(finish)
