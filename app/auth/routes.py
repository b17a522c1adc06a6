"""Sign-in pages: the sign-in start page, the development-only demo sign-in, and sign-out.

Thin: parse the form, call the auth service, keep the session cookie, render or redirect.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.auth import service as auth_service
from app.auth.deps import SESSION_PERSON_KEY, SignedInPerson, require
from app.auth.policy import Permission
from app.db import DbSession
from app.directory import service as directory_service
from app.templating import render

router = APIRouter()


def safe_next(value: str | None) -> str:
    """Only ever send people back to a page on this site."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/sign-in", dependencies=[require(Permission.SIGN_IN)])
def sign_in_page(request: Request, next: str | None = None) -> Response:
    return render(
        request,
        "auth/sign_in.html",
        {"next": safe_next(next), "development": request.app.state.settings.is_development},
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
    # A new session on sign-in, so nothing chosen before it (or planted) carries over.
    request.session.clear()
    request.session[SESSION_PERSON_KEY] = person.id
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/sign-out")
def sign_out(request: Request, session: DbSession, person: SignedInPerson) -> Response:
    auth_service.record_sign_out(
        session, person=person, client_address=_client(request), request_id=request.state.request_id
    )
    request.session.clear()
    return RedirectResponse("/sign-in", status_code=303)
