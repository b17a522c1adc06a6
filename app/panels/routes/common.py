"""What every panel page shares: the permission each kind of page asks for, and delivering
the emails a rule returned. Never holds a page or a rule of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Request

from app.auth.deps import require
from app.auth.policy import Permission
from app.db import DbSession
from app.directory.models import Person
from app.notifications import service as notifications_service
from app.notifications.mail import Email
from app.panels import reading

Coordinator = Annotated[Person, require(Permission.MANAGE_ROUND)]
PanelPerson = Annotated[Person, require(Permission.SIT_ON_PANELS)]
Follower = Annotated[Person, require(Permission.FOLLOW_PANELS)]
AgencyPerson = Annotated[Person, require(Permission.WORK_ON_RETURNS)]


def send_emails(
    request: Request, session: DbSession, emails: list[Email], partnership_id: int
) -> None:
    for email in emails:
        notifications_service.queue_email(
            session, email, kind="panel", partnership_id=partnership_id
        )


def base_url_of(request: Request) -> str:
    return request.app.state.settings.base_url


def target_or_404(session, person, return_id):  # type: ignore[no-untyped-def]
    target = reading.panel_return_for(session, person=person, return_id=return_id)
    if target is None:
        raise HTTPException(status_code=404)
    return target
