"""The anonymous survey pages: no account, no JavaScript needed, answers carried in the form.

Reads no identity and writes none: the client address is used only by the in-memory limiter.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.auth.deps import require
from app.auth.policy import Permission
from app.db import DbSession
from app.params import whole_number_from
from app.questionnaires.rules import controlling, follow_ups
from app.returns.forms import SHOWN_FIELD
from app.surveys import answering
from app.surveys import service as surveys_service
from app.surveys.service import LinkState, OpenLink
from app.templating import render

router = APIRouter()

STEP_FIELD = "__step"
SHOW_FIELD = "__show"
CLOSED_MESSAGES = {
    LinkState.CLOSED: "This survey has closed and no longer takes answers. Thank you for your "
    "interest.",
    LinkState.REPLACED: "This link has been replaced and no longer works. Ask the person who "
    "sent it to you for the new link.",
    LinkState.NOT_YET_OPEN: "This survey is not open yet. Try the link again on the day it opens.",
}


def _refuse_big_body(request: Request) -> None:
    """Refuse a body no survey page could send before any of it is read."""
    if request.method == "GET":
        return
    length = request.headers.get("content-length")
    if length is None:
        if request.headers.get("transfer-encoding"):
            raise HTTPException(status_code=411, detail="Send your answers again from the page.")
        return
    size = whole_number_from(length)
    if size is None or size > answering.MAX_BODY_BYTES:
        raise HTTPException(
            status_code=413,
            detail="What you sent is far longer than the survey takes. Nothing has been saved. "
            "Go back, shorten your answers and send them again.",
        )


PUBLIC = [Depends(_refuse_big_body), require(Permission.PUBLIC)]


def _limiter(request: Request) -> answering.SubmissionLimiter:
    state = request.app.state
    if not hasattr(state, "survey_limiter"):
        limit = state.settings.survey_submissions_per_minute
        state.survey_limiter = answering.SubmissionLimiter(limit=limit)
    return state.survey_limiter  # type: ignore[no-any-return]


def _link_or_404(session: Any, token: str) -> OpenLink:
    found = surveys_service.link_for(session, token=token)
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _not_open(request: Request, found: OpenLink) -> Response:
    return render(
        request,
        "surveys/link_closed.html",
        {"message": CLOSED_MESSAGES[found.state], "title": found.questionnaire.title},
        status_code=200 if found.state is LinkState.NOT_YET_OPEN else 410,
    )


def _bad(request: Request) -> Response:
    return render(
        request,
        "errors/error.html",
        {
            "title": "Your answers could not be read",
            "message": "Something in what was sent is not one of the survey's answers. Nothing "
            "has been saved. Open your link again to start afresh.",
        },
        status_code=400,
    )


@router.get("/survey/{token}", dependencies=PUBLIC)
def start_page(request: Request, session: DbSession, token: str) -> Response:
    """Public, because practitioners have no account: the random link is the key."""
    found = _link_or_404(session, token)
    if found.state is not LinkState.OPEN:
        return _not_open(request, found)
    return render(request, "surveys/start.html", {"found": found, "token": token})


@router.post("/survey/{token}", dependencies=PUBLIC)
async def answer_page(request: Request, session: DbSession, token: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_answer_page, request, session, token, form)


def _agency_of(session: Any, found: OpenLink, form: FormData) -> Any:
    if found.agency is not None:
        return found.agency
    chosen = whole_number_from(str(form.get(answering.AGENCY_FIELD) or ""))
    agencies = surveys_service.agencies_taking_part(session, survey=found.survey)
    return next((a for a in agencies if a.id == chosen), None)


def _page(
    request, found, token, agency, section, values, errors=None, typed=None, status=200, added=()
):  # type: ignore[no-untyped-def]
    questions = answering.shown_on_page(section, agency=agency, values=values)
    hidden = answering.hidden_on_page(section, agency=agency, values=values) - set(errors or {})
    here = {q.id for q in section.questions}
    return render(
        request,
        "surveys/section.html",
        {
            "found": found,
            "token": token,
            "agency": agency,
            "section": section,
            "questions": questions,
            "hidden": hidden,
            "follow_ups": {q.id for q in follow_ups(section.questions, agency=agency)},
            "controls": controlling(section.questions, agency=agency),
            "added": list(added),
            "shown_field": SHOWN_FIELD,
            "values": (values | (typed or {})),
            "carried": {k: v for k, v in values.items() if k not in here},
            "errors": errors or {},
            "step_field": STEP_FIELD,
            "agency_field": answering.AGENCY_FIELD,
        },
        status_code=status,
    )


def _choose_agency(request, session, found, token, error=None):  # type: ignore[no-untyped-def]
    return render(
        request,
        "surveys/agency.html",
        {
            "found": found,
            "token": token,
            "agencies": surveys_service.agencies_taking_part(session, survey=found.survey),
            "error": error,
            "step_field": STEP_FIELD,
            "agency_field": answering.AGENCY_FIELD,
        },
        status_code=400 if error else 200,
    )


def _check_page(request, found, token, agency, values):  # type: ignore[no-untyped-def]
    return render(
        request,
        "surveys/check.html",
        {
            "found": found,
            "token": token,
            "agency": agency,
            "listed": answering.answers_in_order(found.questionnaire, values, agency=agency),
            "carried": values,
            "show_field": SHOW_FIELD,
            "agency_field": answering.AGENCY_FIELD,
        },
    )


def _answer_page(request: Request, session: Any, token: str, form: FormData) -> Response:
    found = _link_or_404(session, token)
    if found.state is not LinkState.OPEN:
        return _not_open(request, found)
    if len(form.multi_items()) > answering.MAX_FIELDS:
        return _bad(request)
    questionnaire = found.questionnaire
    sections = answering.sections_of(questionnaire)
    step = str(form.get(STEP_FIELD) or "")
    agency = _agency_of(session, found, form)
    if agency is None:
        if step == answering.AGENCY_FIELD:
            return _choose_agency(request, session, found, token, "Choose who you work for")
        return _choose_agency(request, session, found, token)
    current = answering.section_by_id(questionnaire, step)
    skip = {q.id for q in current.questions} if current else set()
    try:
        carried = answering.carried_values(form, questionnaire, skip=skip)
    except answering.BadSubmission:
        return _bad(request)
    shown = answering.section_by_id(questionnaire, str(form.get(SHOW_FIELD) or ""))
    if shown is not None:
        return _page(request, found, token, agency, shown, carried)
    if current is None:  # just started, or just chose the agency
        return _page(request, found, token, agency, sections[0], carried)
    parsed = answering.parse_page(form, questionnaire, current, agency=agency, carried=carried)
    values = {k: v for k, v in carried.items() if k not in skip} | parsed.values
    added = answering.asked_since_shown(
        current,
        agency=agency,
        values=values,
        follow_ups_shown={str(v) for v in form.getlist(SHOWN_FIELD)},
    )
    errors = {k: v for k, v in parsed.errors.items() if k not in {q.id for q in added}}
    if added or errors:
        # A question an answer asked for and the person has not seen: the page again, with it.
        status = 400 if errors else 200
        return _page(
            request, found, token, agency, current, values, errors, parsed.typed, status, added
        )
    following = sections[sections.index(current) + 1 :]
    if following:
        return _page(request, found, token, agency, following[0], values)
    return _check_page(request, found, token, agency, values)


@router.post("/survey/{token}/follow-ups", dependencies=PUBLIC)
async def follow_ups_asked(request: Request, session: DbSession, token: str) -> Response:
    """HTMX: which follow-up questions the page's answers ask for, by the same rules as the
    pages; nothing is kept."""
    form = await request.form()
    return await run_in_threadpool(_follow_ups, request, session, token, form)


def _follow_ups(request: Request, session: Any, token: str, form: FormData) -> Response:
    found = _link_or_404(session, token)
    if found.state is not LinkState.OPEN or len(form.multi_items()) > answering.MAX_FIELDS:
        raise HTTPException(status_code=409)
    questionnaire = found.questionnaire
    agency = _agency_of(session, found, form)
    section = answering.section_by_id(questionnaire, str(form.get(STEP_FIELD) or ""))
    if agency is None or section is None:
        return Response("", media_type="text/html")  # no page of questions: nothing opens
    skip = {q.id for q in section.questions}
    try:
        carried = answering.carried_values(form, questionnaire, skip=skip)
    except answering.BadSubmission:
        raise HTTPException(status_code=400) from None
    change = answering.follow_ups_for(
        section,
        agency=agency,
        values=answering.page_values(form, questionnaire, section, carried),
        on_screen={str(v) for v in form.getlist(SHOWN_FIELD)},
    )
    return render(request, "questionnaires/_follow_ups.html", {"change": change})


@router.post("/survey/{token}/submit", dependencies=PUBLIC)
async def submit(request: Request, session: DbSession, token: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_submit, request, session, token, form)


def _submit(request: Request, session: Any, token: str, form: FormData) -> Response:
    found = _link_or_404(session, token)
    if found.state is not LinkState.OPEN:
        return _not_open(request, found)
    if len(form.multi_items()) > answering.MAX_FIELDS:
        return _bad(request)
    address = request.client.host if request.client else "-"
    if not _limiter(request).allow(address):
        return render(
            request,
            "errors/error.html",
            {
                "title": "Too many answers sent from here",
                "message": "Many answers have been sent from your network in the last minute. "
                "Nothing has been saved. Wait a minute, then send your answers again.",
            },
            status_code=429,
        )
    agency = _agency_of(session, found, form)
    if agency is None:
        return _choose_agency(request, session, found, token, "Choose who you work for")
    questionnaire = found.questionnaire
    try:
        values = answering.carried_values(form, questionnaire, skip=set())
    except answering.BadSubmission:
        return _bad(request)
    missing = answering.missing_required(questionnaire, values, agency=agency)
    if missing is not None:
        parsed = answering.parse_page(form, questionnaire, missing, agency=agency, carried=values)
        return _page(request, found, token, agency, missing, values, parsed.errors, None, 400)
    surveys_service.record_response(
        session,
        survey=found.survey,
        questionnaire=questionnaire,
        agency_id=agency.id,
        values=answering.kept_values(questionnaire, values, agency=agency),
    )
    return RedirectResponse(f"/survey/{token}/done", status_code=303)


@router.get("/survey/{token}/done", dependencies=PUBLIC)
def done(request: Request, session: DbSession, token: str) -> Response:
    found = _link_or_404(session, token)
    return render(request, "surveys/done.html", {"found": found})
