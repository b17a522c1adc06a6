"""The survey on the lead's task list: its link and response rate (added to the return's
page through app/returns/additions.py), and the number of frontline staff the lead gives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.deps import require
from app.auth.policy import Permission
from app.db import DbSession
from app.directory.models import Person
from app.params import Id
from app.returns import additions
from app.returns.service import ReturnView
from app.surveys import service as surveys_service

router = APIRouter()

AgencyPerson = Annotated[Person, require(Permission.WORK_ON_RETURNS)]


def _on_task_list(session: DbSession, view: ReturnView) -> dict[str, object]:
    return {
        "survey": surveys_service.link_of_agency(
            session, cycle_id=view.cycle.id, agency_id=view.agency.id
        )
    }


additions.TASK_LIST["surveys"] = _on_task_list


@router.post("/returns/{return_id}/survey/staff")
def give_staff_number(
    request: Request,
    session: DbSession,
    person: AgencyPerson,
    return_id: Id,
    staff_number: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The lead says how many frontline staff the agency has: the base of its response rate."""
    if not surveys_service.set_staff_number(
        session, person=person, return_id=return_id, text=staff_number
    ):
        raise HTTPException(status_code=404)
    return RedirectResponse(f"/returns/{return_id}", status_code=303)
