"""Checking answers, submitting a return and the senior officer's sign-off through an emailed
link. Never decides whether a return may be submitted: service.py and sign_off.py do."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.auth.deps import require
from app.auth.policy import Permission
from app.db import DbSession
from app.notifications import service as notifications_service
from app.params import Id
from app.returns import service as returns_service
from app.returns import sign_off, submitting
from app.returns.routes.common import AgencyPerson, view_or_404
from app.templating import render

router = APIRouter()


@router.get("/returns/{return_id}/check")
def check_answers(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    view = view_or_404(session, person, return_id)
    return render(
        request,
        "returns/check.html",
        {"view": view, "missing": submitting.missing_answers(view)},
    )


@router.post("/returns/{return_id}/submit")
async def submit(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    form = await request.form()
    return await run_in_threadpool(_submit, request, session, person, return_id, form)


def _submit(request, session, person, return_id, form) -> Response:  # type: ignore[no-untyped-def]
    view = view_or_404(session, person, return_id)
    settings = request.app.state.settings
    officer, errors = None, {}
    if view.cycle.senior_sign_off_required and view.agency_return.status.editable:
        officer, errors = sign_off.checked_officer(
            str(form.get("officer_name") or ""),
            str(form.get("officer_role") or ""),
            str(form.get("officer_email") or ""),
        )
    try:
        if not errors:
            submitted_now = submitting.submit_return(
                session, view=view, actor=person, officer=officer
            )
    except returns_service.ReturnError as error:
        errors = {"missing": str(error)}
    if errors:
        return render(
            request,
            "returns/check.html",
            {
                "view": view,
                "missing": submitting.missing_answers(view),
                "errors": errors,
                "typed": form,
            },
            status_code=400,
        )
    if submitted_now:
        if officer is not None:
            email = sign_off.request_sign_off(
                session, view=view, officer=officer, actor=person, base_url=settings.base_url
            )
            kind = "sign_off_request"
        else:
            email = submitting.receipt_email(
                view,
                to=person,
                base_url=settings.base_url,
                terms=returns_service.board_terms_of(session, agency_return=view.agency_return),
            )
            kind = "receipt"
        notifications_service.queue_email(
            session,
            email,
            kind=kind,
            partnership_id=returns_service.partnership_id_of(
                session, agency_return=view.agency_return
            ),
        )
    return RedirectResponse(f"/returns/{return_id}/submitted", status_code=303)


@router.get("/returns/{return_id}/submitted")
def submitted(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    view = view_or_404(session, person, return_id)
    if view.agency_return.status.editable:
        return RedirectResponse(f"/returns/{return_id}", status_code=303)
    return render(
        request,
        "returns/submitted.html",
        {
            "view": view,
            "sign_off": sign_off.latest_request(session, agency_return=view.agency_return),
        },
    )


def _link_not_usable(request: Request, session: DbSession, token: str) -> Response:
    used = sign_off.request_of(session, token=token)
    if used is not None and used.outcome == "confirmed":
        message = f"This return was signed off on {used.answered_at:%-d %B %Y}. Thank you."
    elif used is not None and used.outcome:
        message = "You sent this return back to the safeguarding lead. Thank you."
    else:
        message = (
            "The link has expired, has been used, or the return has been changed since. "
            "Ask the agency's safeguarding lead to send a new one."
        )
    return render(
        request,
        "errors/error.html",
        {"title": "This sign-off link cannot be used", "message": message},
        status_code=410,
    )


@router.get("/sign-off/{token}", dependencies=[require(Permission.PUBLIC)])
def sign_off_page(request: Request, session: DbSession, token: str) -> Response:
    """Public, because the officer has no account: the single-use token is the key."""
    pending = sign_off.pending_sign_off(session, token=token)
    if pending is None:
        return _link_not_usable(request, session, token)
    return render(
        request, "returns/sign_off.html", {"pending": pending, "view": pending.view, "token": token}
    )


@router.post("/sign-off/{token}", dependencies=[require(Permission.PUBLIC)])
async def answer_sign_off(request: Request, session: DbSession, token: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_answer_sign_off, request, session, token, form)


def _answer_sign_off(request, session, token, form) -> Response:  # type: ignore[no-untyped-def]
    pending = sign_off.pending_sign_off(session, token=token)
    if pending is None:
        return _link_not_usable(request, session, token)
    settings = request.app.state.settings
    choice = form.get("choice")
    try:
        if choice == "confirm":
            done = sign_off.confirm(
                session,
                pending=pending,
                name=str(form.get("name") or ""),
                role=str(form.get("role") or ""),
            )
        elif choice == "send_back":
            done = sign_off.send_back(
                session, pending=pending, comment=str(form.get("comment") or "")
            )
        else:
            raise returns_service.ReturnError(
                "Choose whether to sign off the return or send it back"
            )
    except returns_service.ReturnError as error:
        return render(
            request,
            "returns/sign_off.html",
            {
                "pending": pending,
                "view": pending.view,
                "token": token,
                "error": str(error),
                "typed": form,
            },
            status_code=400,
        )
    if not done:
        return _link_not_usable(request, session, token)
    agency_return = pending.view.agency_return
    lead = returns_service.submitter_of(session, agency_return=agency_return)
    if lead is not None:
        if choice == "confirm":
            email = submitting.receipt_email(
                pending.view,
                to=lead,
                base_url=settings.base_url,
                terms=returns_service.board_terms_of(session, agency_return=agency_return),
            )
            kind = "receipt"
        else:
            email = sign_off.sent_back_email(pending, lead=lead, base_url=settings.base_url)
            kind = "sent_back"
        notifications_service.queue_email(
            session,
            email,
            kind=kind,
            partnership_id=returns_service.partnership_id_of(session, agency_return=agency_return),
        )
    return render(request, "returns/signed_off.html", {"view": pending.view, "choice": choice})
