"""The audit log page: what people in the coordinator's partnership did, by person and date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.audit import service as audit_service
from app.auth.deps import CurrentPartnership, require
from app.auth.policy import Permission
from app.db import DbSession
from app.directory import service as directory_service
from app.params import id_from
from app.templating import render

router = APIRouter()


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/audit", dependencies=[require(Permission.VIEW_AUDIT_LOG)])
def audit_log(
    request: Request,
    session: DbSession,
    partnership: CurrentPartnership,
    person: str = "",
    date_from: str = "",
    date_to: str = "",
) -> Response:
    members = directory_service.members_of(session, partnership=partnership) if partnership else []
    member_ids = {member.id for member in members}
    chosen = id_from(person)
    chosen = chosen if chosen in member_ids else None
    start, end = _day(date_from), _day(date_to)
    errors = []
    if date_from and start is None:
        errors.append(
            {"text": "Enter the start date as a date, like 2026-11-01", "href": "#date_from"}
        )
    if date_to and end is None:
        errors.append({"text": "Enter the end date as a date, like 2026-11-30", "href": "#date_to"})
    events = audit_service.events_about(
        session,
        actor_ids=member_ids,
        actor_id=chosen,
        since=datetime.combine(start, datetime.min.time(), UTC) if start else None,
        until=datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC) if end else None,
    )
    names = {member.id: member.name for member in members}
    return render(
        request,
        "audit/log.html",
        {
            "partnership": partnership,
            "members": members,
            "events": events,
            "names": names,
            "filters": {"person": chosen, "date_from": date_from, "date_to": date_to},
            "errors": errors,
        },
        status_code=400 if errors else 200,
    )
