"""The coordinator's survey page: open the cycle's survey, hand out its links, replace one that
leaked, close it early. The rules (dates, versions, one survey a cycle) are in service.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.auth.deps import CurrentPartnership
from app.cycles.forms import read_date
from app.cycles.routes.common import Coordinator, cycle_or_404
from app.db import DbSession
from app.params import Id, whole_number_from
from app.surveys import service as surveys_service
from app.templating import render

router = APIRouter()


def survey_page(request, session, partnership, cycle, *, errors=None, typed=None, status=200):  # type: ignore[no-untyped-def]
    survey = surveys_service.survey_of(session, cycle=cycle)
    context: dict[str, Any] = {
        "cycle": cycle,
        "survey": survey,
        "errors": errors or {},
        "typed": typed or {},
        "base_url": request.app.state.settings.base_url.rstrip("/"),
    }
    if survey is None:
        context["versions"] = surveys_service.survey_versions(
            session, partnership_id=partnership.id
        )
    else:
        context["links"] = surveys_service.links_of(
            session,
            survey=survey,
            agency_ids=surveys_service.own_agency_ids(session, partnership=partnership),
        )
        context["state"] = surveys_service.accepting(survey)
        context["threshold"] = surveys_service.threshold_of(session, cycle=cycle)
        context["own_threshold"] = partnership.survey_threshold
    return render(request, "surveys/coordinate.html", context, status_code=status)


@router.get("/round/cycles/{slug}/survey")
def coordinate(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    partnership, cycle = cycle_or_404(session, person, partnership, slug)
    return survey_page(request, session, partnership, cycle)


@router.post("/round/cycles/{slug}/survey")
async def open_survey(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    form = await request.form()
    return await run_in_threadpool(_open_survey, request, session, person, partnership, slug, form)


def _open_survey(request, session, person, partnership, slug, form) -> Response:  # type: ignore[no-untyped-def]
    partnership, cycle = cycle_or_404(session, person, partnership, slug)
    errors: dict[str, str] = {}
    dates = {}
    for name in ("opens", "closes"):
        try:
            dates[name] = read_date(form, name)
        except ValueError as error:
            errors[name] = str(error)
    thresholds = {}
    for name, default in (("green_below", 60), ("amber_below", 40)):
        typed = str(form.get(name) or "").strip()
        number = whole_number_from(typed) if typed else default
        if number is None or number > 100:
            errors[name] = "Enter a percentage from 0 to 100"
        thresholds[name] = number or 0
    if not errors:
        try:
            surveys_service.open_survey(
                session,
                cycle=cycle,
                partnership=partnership,
                version_id=whole_number_from(str(form.get("version") or "")),
                opens_on=dates["opens"],
                closes_on=dates["closes"],
                actor=person,
                **thresholds,
            )
        except surveys_service.SurveyError as error:
            errors["version"] = str(error)
    if errors:
        typed = {k: str(v) for k, v in form.items() if isinstance(v, str) and len(v) < 100}
        return survey_page(
            request, session, partnership, cycle, errors=errors, typed=typed, status=400
        )
    return RedirectResponse(f"/round/cycles/{cycle.slug}/survey", status_code=303)


@router.post("/round/cycles/{slug}/survey/settings")
async def change_settings(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    form = await request.form()
    return await run_in_threadpool(
        _change_settings, request, session, person, partnership, slug, form
    )


def _change_settings(request, session, person, partnership, slug, form) -> Response:  # type: ignore[no-untyped-def]
    partnership, cycle = cycle_or_404(session, person, partnership, slug)
    survey = surveys_service.survey_of(session, cycle=cycle)
    if survey is None:
        return survey_page(request, session, partnership, cycle, status=404)
    numbers = {
        name: whole_number_from(str(form.get(name) or "").strip())
        for name in ("threshold", "green_below", "amber_below")
    }
    errors = {name: "Enter a whole number" for name, number in numbers.items() if number is None}
    if not errors:
        try:
            surveys_service.change_settings(
                session, partnership=partnership, survey=survey, actor=person, **numbers
            )
        except surveys_service.SurveyError as error:
            errors["threshold"] = str(error)
    if errors:
        typed = {k: str(v) for k, v in form.items() if isinstance(v, str) and len(v) < 100}
        return survey_page(
            request, session, partnership, cycle, errors=errors, typed=typed, status=400
        )
    return RedirectResponse(f"/round/cycles/{cycle.slug}/survey", status_code=303)


@router.post("/round/cycles/{slug}/survey/links/{link_id}/replace")
def replace_link(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
    link_id: Id,
) -> Response:
    partnership, cycle = cycle_or_404(session, person, partnership, slug)
    survey = surveys_service.survey_of(session, cycle=cycle)
    if survey is None:
        return survey_page(request, session, partnership, cycle, status=404)
    try:
        surveys_service.replace_link(session, survey=survey, link_id=link_id, actor=person)
    except surveys_service.SurveyError as error:
        return survey_page(
            request, session, partnership, cycle, errors={"links": str(error)}, status=400
        )
    return RedirectResponse(f"/round/cycles/{cycle.slug}/survey", status_code=303)


@router.post("/round/cycles/{slug}/survey/close")
def close_survey(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    slug: str,
) -> Response:
    partnership, cycle = cycle_or_404(session, person, partnership, slug)
    survey = surveys_service.survey_of(session, cycle=cycle)
    if survey is not None:
        surveys_service.close_survey(session, survey=survey, actor=person)
    return RedirectResponse(f"/round/cycles/{cycle.slug}/survey", status_code=303)
