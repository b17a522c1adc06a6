"""FastAPI dependencies that apply the access policy: `require(Permission.X)` on every route.

A route without `require` is refused by the access-table test; never check roles by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from app.auth.csrf import verify_csrf
from app.auth.policy import Decision, Permission, decide
from app.db import DbSession
from app.directory import service as directory_service
from app.directory.models import Person

SESSION_PERSON_KEY = "person_id"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Viewer:
    """What every page shows of the signed-in person: plain values, safe after a rollback."""

    name: str
    email: str
    brand_name: str | None
    brand_colour: str | None
    navigation: tuple[tuple[str, str], ...]  # (href, text) of the sections they may open


class SignInRequired(Exception):
    """The route needs a signed-in person; the handler sends them to sign in and back."""


def current_person(request: Request, session: DbSession) -> Person | None:
    person_id = request.session.get(SESSION_PERSON_KEY)
    person = None
    if isinstance(person_id, int):
        person = directory_service.get_person(session, person_id=person_id)
    if person_id is not None and person is None:
        request.session.pop(SESSION_PERSON_KEY, None)  # the person was removed
    if person is not None:
        # Read by templates for the header, never for access decisions.
        home = person.memberships[0].partnership if person.memberships else None
        request.state.viewer = Viewer(
            name=person.name,
            email=person.email,
            brand_name=home.short_name if home else None,
            brand_colour=home.colour if home else None,
            navigation=_navigation(person, request.app.state.settings),
        )
    return person


NAVIGATION = (
    ("/", "Home", Permission.SIGNED_IN),
    ("/questionnaires", "Questionnaires", Permission.PREVIEW_QUESTIONNAIRES),
)


def _navigation(person: Person, settings: Any) -> tuple[tuple[str, str], ...]:
    return tuple(
        (href, text)
        for href, text, permission in NAVIGATION
        if decide(permission, person=person, settings=settings) is Decision.ALLOW
    )


def require(permission: Permission) -> Any:
    """Declare and enforce the permission a route needs; returns the person (or None)."""

    async def check_access(
        request: Request, person: Annotated[Person | None, Depends(current_person)]
    ) -> Person | None:
        decision = decide(permission, person=person, settings=request.app.state.settings)
        if decision is Decision.SIGN_IN_FIRST:
            raise SignInRequired()
        if decision is Decision.NOT_FOUND:
            raise HTTPException(status_code=404)
        if request.method not in SAFE_METHODS:
            await verify_csrf(request)
        return person

    check_access.permission = permission  # type: ignore[attr-defined]
    return Depends(check_access)


def declared_permission(dependant: Any) -> list[Permission]:
    """Every permission declared on a route's dependency tree (the access test reads this)."""
    found = []
    for dependency in dependant.dependencies:
        permission = getattr(dependency.call, "permission", None)
        if permission is not None:
            found.append(permission)
        found.extend(declared_permission(dependency))
    return found


SignedInPerson = Annotated[Person, require(Permission.SIGNED_IN)]
