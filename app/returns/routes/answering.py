"""Answering a return: the task list, a section's page, saving and autosave, last year's
actions, an answer's history, the print view. Never saves over someone else's change."""

from datetime import date
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app import metrics
from app.db import DbSession
from app.params import Count, Id
from app.returns import additions, answers, attachments, evidence, last_year
from app.returns import service as returns_service
from app.returns.forms import (
    FILES_FIELD,
    ORIGINAL_FIELD,
    SHOWN_FIELD,
    VERSION_FIELD,
    fingerprint,
    parse_section,
)
from app.returns.routes.common import AgencyPerson, view_or_404
from app.templating import render

router = APIRouter()


@router.get("/returns")
def my_returns(request: Request, session: DbSession, person: AgencyPerson) -> Response:
    rows = returns_service.returns_for(session, person=person)
    return render(request, "returns/index.html", {"rows": rows})


@router.get("/returns/{return_id}")
def task_list(
    request: Request,
    session: DbSession,
    person: AgencyPerson,
    return_id: Id,
    copied: Count | None = None,
    files: Count = 0,
) -> Response:
    view = view_or_404(session, person, return_id)
    answered, required = view.required_progress
    days_left = (view.cycle.deadline_on - date.today()).days
    last = last_year.previous_return(session, view=view)
    return render(
        request,
        "returns/task_list.html",
        {
            "view": view,
            "answered": answered,
            "required": required,
            "days_left": days_left,
            "last": last,
            "to_carry": len(last_year.last_years_answers(view, last)),
            "copied": copied,
            "copied_files": files,
            "base_url": request.app.state.settings.base_url.rstrip("/"),
            **additions.for_task_list(session, view),
        },
    )


@router.post("/returns/{return_id}/start-from-last-year")
def start_from_last_year(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    view = view_or_404(session, person, return_id)
    last = last_year.previous_return(session, view=view)
    if last is None:
        raise HTTPException(
            status_code=409, detail="There is no earlier return of this agency to copy from."
        )
    try:
        carried = last_year.start_from_last_year(
            session,
            view=view,
            last=last,
            actor=person,
            storage=request.app.state.storage,
        )
    except returns_service.ReturnError as error:
        raise HTTPException(status_code=409, detail=str(error)) from None
    return RedirectResponse(
        f"/returns/{return_id}?copied={carried.answers}&files={carried.files}", status_code=303
    )


def _section_page(
    request: Request,
    session: DbSession,
    view: returns_service.ReturnView,
    section_id: str,
    *,
    typed: dict | None = None,
    errors: dict[str, str] | None = None,
    conflicts: list[answers.SaveConflict] | None = None,
    action_errors: dict[int, dict[str, str]] | None = None,
    action_typed: dict[int, object] | None = None,
    added: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    section = view.section(section_id)
    if section is None:
        raise HTTPException(status_code=404)

    typed = typed or {}
    if view.agency_return.status.editable:
        questions, hidden = view.on_page(section, view.with_typed(typed))
        hidden -= set(errors or {})  # a question with a problem is always in sight
    else:
        questions, hidden = view.shown(section), set()
    controls = {q.id for q in questions} & view.controlling(section)
    values = view.values  # computed from every answer: once, not once per question
    shown_values = {q.id: typed[q.id] if q.id in typed else values.get(q.id) for q in questions}
    by_question = {conflict.question_id: conflict for conflict in conflicts or []}
    last = last_year.previous_return(session, view=view)
    return render(
        request,
        "returns/section.html",
        {
            "view": view,
            "section": section,
            "questions": questions,
            "hidden": hidden,
            "follow_ups": {q.id for q in view.follow_ups(section)},
            "controls": controls,
            "added": [q for q in questions if q.id in (added or []) and q.id not in hidden],
            "shown_field": SHOWN_FIELD,
            "values": shown_values,
            "versions": {
                q.id: by_question[q.id].current_version
                if q.id in by_question
                else (view.answers[q.id].version if q.id in view.answers else 0)
                for q in questions
            },
            # What the page showed, so an untouched answer never overrides a newer one.
            "originals": {
                q.id: fingerprint(
                    by_question[q.id].current if q.id in by_question else values.get(q.id)
                )
                for q in questions
            },
            "errors": errors or {},
            "conflicts": by_question,
            "changed_by": returns_service.people_named(
                session,
                ids={a.updated_by_id for a in view.answers.values() if a.updated_by_id},
            ),
            "version_field": VERSION_FIELD,
            "original_field": ORIGINAL_FIELD,
            "files_field": FILES_FIELD,
            "takes_evidence": returns_service.takes_evidence,
            "last": last,
            "last_year": last_year.last_years_answers(view, last),
            "carried": [],
            "action_errors": action_errors or {},
            "action_typed": action_typed or {},
            "today": date.today(),
            **additions.for_section(session, view, section.carry_forward, last),
        },
        status_code=status_code,
    )


# A section's page for the routes that modules above returns add to it (app/returns/additions.py).
section_response = _section_page


@router.get("/returns/{return_id}/sections/{section_id}")
def section_page(
    request: Request,
    session: DbSession,
    person: AgencyPerson,
    return_id: Id,
    section_id: str,
    added: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    return _section_page(
        request, session, view_or_404(session, person, return_id), section_id, added=added
    )


@router.post("/returns/{return_id}/sections/{section_id}/follow-ups")
async def follow_ups(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id, section_id: str
) -> Response:
    """HTMX: which follow-up questions the answers on the screen ask for, decided by the same
    rules as the page; the script shows and hides them and the status line announces it."""
    form = await request.form()
    return await run_in_threadpool(
        _follow_ups, request, session, person, return_id, section_id, form
    )


def _follow_ups(request, session, person, return_id, section_id, form) -> Response:  # type: ignore[no-untyped-def]
    view = view_or_404(session, person, return_id)
    section = view.section(section_id)
    if section is None:
        raise HTTPException(status_code=404)
    questions, _hidden = view.on_page(section)
    parsed = parse_section(form, view.questionnaire, questions)
    change = view.reveal(
        section, typed=parsed.values, on_screen={str(v) for v in form.getlist(SHOWN_FIELD)}
    )
    return render(request, "questionnaires/_follow_ups.html", {"change": change})


@router.post("/returns/{return_id}/sections/{section_id}")
async def save_section(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id, section_id: str
) -> Response:
    form = await request.form()
    return await run_in_threadpool(
        _save_section, request, session, person, return_id, section_id, form
    )


def _save_section(request, session, person, return_id, section_id, form) -> Response:  # type: ignore[no-untyped-def]
    view = view_or_404(session, person, return_id)
    section = view.section(section_id)
    if section is None:
        raise HTTPException(status_code=404)
    if not view.agency_return.status.editable:
        return _section_page(
            request,
            session,
            view,
            section_id,
            errors={"__return__": "This return has been submitted: answers can no longer change"},
            status_code=409,
        )
    on_screen = view.on_screen(section, {str(v) for v in form.getlist(SHOWN_FIELD)})
    # A follow-up hidden on the screen still sends what was typed into it: kept, not counted.
    questions, _hidden = view.on_page(section)
    # Files first: a file that is refused never costs the answers typed beside it, and
    # the other way round.
    file_errors = _attach_files(request, session, view, section, form, person)
    parsed = parse_section(form, view.questionnaire, questions)
    if parsed.errors:
        typed = {**parsed.values, **parsed.typed}
        return _section_page(
            request,
            session,
            view,
            section_id,
            typed=typed,
            errors={**parsed.errors, **file_errors},
            status_code=400,
        )
    result = answers.save_section(
        session,
        view=view,
        values=parsed.values,
        versions=parsed.versions,
        unchanged=parsed.unchanged,
        actor=person,
    )
    if result.conflicts:
        typed = {c.question_id: c.yours for c in result.conflicts}
        return _section_page(
            request,
            session,
            view,
            section_id,
            typed=typed,
            conflicts=result.conflicts,
            status_code=409,
        )
    if file_errors:
        return _section_page(
            request, session, view, section_id, errors=file_errors, status_code=400
        )
    added = view.newly_asked(section, on_screen=on_screen)
    if added:
        # An answer asked for a question the person has not seen: stay and show it.
        query = urlencode([("added", q.id) for q in added])
        return RedirectResponse(
            f"/returns/{return_id}/sections/{section_id}?{query}#question-{added[0].id}",
            status_code=303,
        )
    sections = [s.id for s in view.questionnaire.sections]
    position = sections.index(section_id)
    if position + 1 < len(sections):
        return RedirectResponse(
            f"/returns/{return_id}/sections/{sections[position + 1]}", status_code=303
        )
    return RedirectResponse(f"/returns/{return_id}", status_code=303)


def _attach_files(request, session, view, section, form, person) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Keep each file chosen on the section page; say, per question, which were refused."""
    settings = request.app.state.settings
    errors: dict[str, list[str]] = {}
    for question in view.shown(section):
        if not returns_service.takes_evidence(question):
            continue
        for upload in form.getlist(f"{question.id}{FILES_FIELD}"):
            if not isinstance(upload, UploadFile) or not upload.filename:
                continue  # an empty file input
            try:
                attachments.attach_evidence(
                    session,
                    view=view,
                    question_id=question.id,
                    source=upload.file,
                    claimed_name=upload.filename,
                    actor=person,
                    storage=request.app.state.storage,
                    max_bytes=settings.evidence_file_mb * evidence.MB,
                    quota_bytes=settings.evidence_quota_mb * evidence.MB,
                )
            except returns_service.ReturnError as error:
                errors.setdefault(f"{question.id}{FILES_FIELD}", []).append(str(error))
    return {key: ". ".join(messages) for key, messages in errors.items()}


@router.get("/returns/{return_id}/answers/{question_id}/history")
def answer_history(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id, question_id: str
) -> Response:
    view = view_or_404(session, person, return_id)
    question = view.questionnaire.question(question_id)
    answer = view.answers.get(question_id)
    if question is None:
        raise HTTPException(status_code=404)
    revisions = returns_service.history_of(session, answer=answer) if answer else []
    names = returns_service.people_named(
        session, ids={r.changed_by_id for r in revisions if r.changed_by_id}
    )
    return render(
        request,
        "returns/history.html",
        {"view": view, "question": question, "revisions": revisions, "names": names},
    )


LONDON = ZoneInfo("Europe/London")


@router.post("/returns/{return_id}/sections/{section_id}/autosave/{question_id}")
async def autosave(
    request: Request,
    session: DbSession,
    person: AgencyPerson,
    return_id: Id,
    section_id: str,
    question_id: str,
) -> Response:
    """HTMX: save one answer as the person types. Always answers 200 with a status line, so
    htmx swaps it in; the page's own Save and continue remains the way to settle conflicts."""
    form = await request.form()
    return await run_in_threadpool(
        _autosave, request, session, person, return_id, section_id, question_id, form
    )


def _autosave(request, session, person, return_id, section_id, question_id, form) -> Response:  # type: ignore[no-untyped-def]
    target = returns_service.answer_to_save(
        session, person=person, return_id=return_id, section_id=section_id, question_id=question_id
    )
    if target is None:
        raise HTTPException(status_code=404)
    context: dict = {"question_id": question_id, "saved_at": None, "problem": None}
    parsed = parse_section(form, target.questionnaire, [target.question])
    outcome = "unchanged"
    if parsed.errors:
        context["problem"] = f"Not saved: {parsed.errors[question_id]}"
        outcome = "refused"
    elif question_id not in parsed.unchanged:
        try:
            saved = answers.save_answer(
                session,
                agency_return=target.agency_return,
                questionnaire=target.questionnaire,
                question_id=question_id,
                value=parsed.values[question_id],
                based_on_version=parsed.versions[question_id],
                actor=person,
            )
            context.update(
                saved_at=saved.saved_at.astimezone(LONDON).strftime("%H:%M"),
                version=saved.version,
                original=fingerprint(parsed.values[question_id]),
            )
            outcome = "saved"
        except answers.SaveConflict:
            outcome = "conflict"
            context["problem"] = (
                "Not saved: someone else changed this answer. Your text is still here; "
                "choose Save and continue to compare the two."
            )
        except returns_service.ReturnError as error:
            context["problem"] = f"Not saved: {error}"
            outcome = "refused"
    metrics.AUTOSAVES.labels(outcome).inc()
    return render(request, "returns/_autosave.html", context)


@router.get("/returns/{return_id}/print")
def print_view(
    request: Request, session: DbSession, person: AgencyPerson, return_id: Id
) -> Response:
    """The whole return, read-only, laid out for printing (and for panels, later)."""
    view = view_or_404(session, person, return_id)
    return render(request, "returns/print.html", {"view": view})
