"""FastAPI dependencies that apply the access policy: `require(Permission.X)` on every route.

A route without `require` is refused by the access-table test; never check roles by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from app.auth import service as auth_service
from app.auth.policy import Decision, Permission, decide, may_use_in
from app.csrf import verify_csrf
from app.db import DbSession, utcnow
from app.directory.models import Partnership, Person
from app.directory.terms import BoardTerms, terms_for
from app.params import whole_number_from

SESSION_TOKEN_KEY = "sid"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Viewer:
    """What every page shows of the signed-in person: plain values, safe after a rollback."""

    name: str
    email: str
    brand_name: str | None
    brand_colour: str | None
    brand_full_name: str | None  # the logo's text alternative
    brand_logo: str | None  # where the partnership's logo is served, if it has one
    terms: BoardTerms  # the words of the board they work in (children's or adults')
    archived: bool  # the partnership they are working in is archived: read-only
    navigation: tuple[tuple[str, str], ...]  # (href, text) of the sections they may open
    idle_seconds: int  # until the session times out without another request


class SignInRequired(Exception):
    """The route needs a signed-in person; the handler sends them to sign in and back."""

    def __init__(self, timed_out: bool = False) -> None:
        self.timed_out = timed_out


def current_sign_in(request: Request, session: DbSession) -> auth_service.ResumedSession | None:
    """The server-side session behind the cookie, if it still works."""
    token = request.session.get(SESSION_TOKEN_KEY)
    if not isinstance(token, str):
        return None
    settings = request.app.state.settings
    resumed = auth_service.resume_session(
        session, token=token, idle=timedelta(minutes=settings.session_idle_minutes)
    )
    if isinstance(resumed, auth_service.SessionEnd):
        request.session.pop(SESSION_TOKEN_KEY, None)
        request.state.session_ended = resumed
        return None
    return resumed


async def current_person(
    request: Request,
    sign_in: Annotated[auth_service.ResumedSession | None, Depends(current_sign_in)],
) -> Person | None:
    # async: it only reads what resume_session loaded with the person (roles, partnerships,
    # agencies), so it runs on the event loop rather than costing a trip to a worker thread.
    person = sign_in.person if sign_in else None
    if sign_in is not None and person is not None:
        # Read by templates for the header, never for access decisions.
        home = active_partnership_of(person, sign_in.record.active_partnership_id)
        request.state.viewer = Viewer(
            name=person.name,
            email=person.email,
            brand_name=home.short_name if home else None,
            brand_colour=home.colour if home else None,
            brand_full_name=home.name if home else None,
            brand_logo=f"/partnerships/{home.slug}/logo" if home and home.logo_type else None,
            terms=terms_for(home),
            archived=bool(home and home.is_archived),
            navigation=_navigation(person, home),
            idle_seconds=int((sign_in.idle_deadline - utcnow()).total_seconds()),
        )
    return person


def active_partnership_of(person: Person, chosen_id: int | None) -> Partnership | None:
    """The partnership the person is working in: the one they chose, else their first."""
    partnerships = {m.partnership_id: m.partnership for m in person.memberships}
    if chosen_id in partnerships:
        return partnerships[chosen_id]
    return min(partnerships.values(), key=lambda p: p.name) if partnerships else None


async def current_partnership(
    person: Annotated[Person | None, Depends(current_person)],
    sign_in: Annotated[auth_service.ResumedSession | None, Depends(current_sign_in)],
) -> Partnership | None:
    if person is None or sign_in is None:
        return None
    return active_partnership_of(person, sign_in.record.active_partnership_id)


NAVIGATION = (
    ("/", "Home", Permission.SIGNED_IN),
    ("/returns", "Returns", Permission.WORK_ON_RETURNS),
    ("/round/cycles", "Round", Permission.MANAGE_ROUND),
    ("/panels", "Panels", Permission.SIT_ON_PANELS),
    ("/action-plans", "Action plans", Permission.FOLLOW_ACTION_PLANS),
    ("/summary", "Summary", Permission.READ_ROUND_SUMMARY),
    ("/agencies", "Agencies", Permission.SET_UP_PARTNERSHIP),
    ("/people", "People", Permission.SET_UP_PARTNERSHIP),
    ("/invitations", "Invite colleagues", Permission.INVITE_PEOPLE),
    ("/questionnaires", "Questionnaires", Permission.PREVIEW_QUESTIONNAIRES),
    ("/audit", "Audit log", Permission.VIEW_AUDIT_LOG),
    ("/api-tokens", "API tokens", Permission.SET_UP_PARTNERSHIP),
    ("/admin", "Site administration", Permission.ADMINISTER_SITE),
)


def _navigation(person: Person, home: Partnership | None) -> tuple[tuple[str, str], ...]:
    """The sections the person may open in the partnership they are working in."""
    here = home.id if home else None
    coordinator = may_use_in(Permission.SET_UP_PARTNERSHIP, person=person, partnership_id=here)
    links = tuple(
        (href, text)
        for href, text, permission in NAVIGATION
        if may_use_in(permission, person=person, partnership_id=here)
        # A coordinator invites from People; "Invite colleagues" is the agency lead's door.
        and not (href == "/invitations" and coordinator)
    )
    if len({m.partnership_id for m in person.memberships}) > 1:
        links += (("/partnerships", "Switch partnership"),)
    return links


def _refuse_oversized(request: Request) -> None:
    """Refuse a body larger than a return's whole evidence quota before reading any of it."""
    settings = request.app.state.settings
    limit = (settings.evidence_quota_mb + 1) * 1024 * 1024
    length = request.headers.get("content-length")
    if length is None:
        if request.headers.get("transfer-encoding"):
            raise HTTPException(status_code=411, detail="Send the form again from its page.")
        return
    size = whole_number_from(length)  # past what an int column holds is past the limit too
    if size is None or size > limit:
        raise HTTPException(
            status_code=413,
            detail=f"What you sent is larger than s11 accepts at once ({limit // 1024 // 1024} "
            "MB). Go back, choose fewer or smaller files, and send the form again.",
        )


# Work inside a partnership, which an archived partnership refuses; signing in and out,
# choosing a partnership and site administration go on.
PARTNERSHIP_WORK = frozenset(Permission) - {
    Permission.PUBLIC,
    Permission.SIGN_IN,
    Permission.SIGNED_IN,
    Permission.DEVELOPMENT_SIGN_IN,
    Permission.ADMINISTER_SITE,
}


async def _refuse_nul(request: Request) -> None:
    """No browser sends a NUL character and PostgreSQL's text cannot hold one, so a request
    carrying one in its address or form is refused before anything in it is looked up."""
    if any("\x00" in str(value) for value in request.path_params.values()):
        raise HTTPException(status_code=404)
    sent = request.query_params.multi_items()
    if request.method not in SAFE_METHODS and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        # Parsed once: the route's own request.form() and Form() parameters read the same.
        sent += (await request.form()).multi_items()
    if any("\x00" in name or (isinstance(value, str) and "\x00" in value) for name, value in sent):
        raise HTTPException(
            status_code=400,
            detail="What you sent holds a character no keyboard types. Go back, type it again "
            "and send it: nothing has been changed.",
        )


def require(permission: Permission) -> Any:
    """Declare and enforce the permission a route needs; returns the person (or None)."""

    async def check_access(
        request: Request,
        person: Annotated[Person | None, Depends(current_person)],
        partnership: Annotated[Partnership | None, Depends(current_partnership)],
    ) -> Person | None:
        decision = decide(
            permission,
            person=person,
            settings=request.app.state.settings,
            client_host=request.client.host if request.client else None,
        )
        if decision is Decision.SIGN_IN_FIRST:
            ended = getattr(request.state, "session_ended", None)
            raise SignInRequired(timed_out=ended is auth_service.SessionEnd.IDLE)
        if decision is Decision.NOT_FOUND:
            raise HTTPException(status_code=404)
        if request.method not in SAFE_METHODS:
            _refuse_oversized(request)
            await verify_csrf(request)
            if permission in PARTNERSHIP_WORK and partnership and partnership.is_archived:
                raise HTTPException(
                    status_code=409,
                    detail=f"{partnership.name} is archived: everything in it can be read, "
                    "nothing changed. A site administrator can restore it.",
                )
        await _refuse_nul(request)
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
CurrentSignIn = Annotated[auth_service.ResumedSession | None, Depends(current_sign_in)]
CurrentPartnership = Annotated[Partnership | None, Depends(current_partnership)]
