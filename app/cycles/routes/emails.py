"""The round's emails for its coordinators: what s11 sent, what the mail server refused, a
retry, and a bulk action's emails as the workers deliver them. Only the current partnership's
messages are ever shown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.deps import CurrentPartnership, require
from app.auth.policy import Permission
from app.cycles import service as cycles_service
from app.db import DbSession
from app.directory.models import Partnership, Person
from app.notifications import service as notifications_service
from app.params import Count, Id
from app.templating import render, swapping

router = APIRouter()

Coordinator = Annotated[Person, require(Permission.MANAGE_ROUND)]


def _partnership_or_404(person: Person, partnership: Partnership | None) -> Partnership:
    if partnership is None or not cycles_service.coordinates(person, partnership):
        raise HTTPException(status_code=404)  # coordinating elsewhere, working here
    return partnership


@router.get("/round/emails")
def emails_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    retried: Id | None = None,
) -> Response:
    partnership = _partnership_or_404(person, partnership)
    emails = notifications_service.emails_of(session, partnership_id=partnership.id)
    return render(
        request,
        "notifications/emails.html",
        {
            "partnership": partnership,
            "emails": emails,
            "retried": next((email for email in emails if email.id == retried), None),
        },
    )


@router.post("/round/emails/{email_id}/retry")
def retry_email(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    email_id: Id,
) -> Response:
    partnership = _partnership_or_404(person, partnership)
    sent = notifications_service.email_of(session, partnership_id=partnership.id, email_id=email_id)
    if sent is None:
        raise HTTPException(status_code=404)
    notifications_service.retry(session, sent)
    return RedirectResponse(f"/round/emails?retried={sent.id}", status_code=303)


def _sending_or_404(session, person, partnership, action_id):  # type: ignore[no-untyped-def]
    partnership = _partnership_or_404(person, partnership)
    action = notifications_service.action_of(
        session, partnership_id=partnership.id, action_id=action_id
    )
    if action is None:
        raise HTTPException(status_code=404)
    return partnership, action


@router.get("/round/emails/sends/{action_id}")
def sending_page(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    action_id: Id,
    resent: Count | None = None,
) -> Response:
    partnership, action = _sending_or_404(session, person, partnership, action_id)
    return render(
        request,
        "notifications/sending.html",
        {
            "partnership": partnership,
            "action": action,
            "delivery": notifications_service.delivery_of(session, action=action),
            "resent": resent,
        },
        block="counts" if swapping(request, "counts") else None,
    )


@router.post("/round/emails/sends/{action_id}/resend")
def resend_failed(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    action_id: Id,
) -> Response:
    _partnership, action = _sending_or_404(session, person, partnership, action_id)
    resent = notifications_service.resend_failed(session, action=action)
    return RedirectResponse(f"/round/emails/sends/{action.id}?resent={resent}", status_code=303)
