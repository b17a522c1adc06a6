"""Sign-in pages: the sign-in start page, the development-only demo sign-in, and sign-out.

Thin: parse the form, call the auth service, keep the session cookie, render or redirect.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.auth import service as auth_service
from app.auth.deps import SESSION_TOKEN_KEY, CurrentSignIn, SignedInPerson, require
from app.auth.policy import Permission
from app.db import DbSession
from app.directory import service as directory_service
from app.directory.models import Person
from app.templating import render

router = APIRouter()


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
    return render(
        request,
        "auth/sign_in.html",
        {
            "next": safe_next(next),
            "development": request.app.state.settings.is_development,
            "timed_out": timeout is not None,
            "idle_minutes": request.app.state.settings.session_idle_minutes,
        },
    )


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
            person_id=int(person_id) if person_id.isdigit() else None,
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
