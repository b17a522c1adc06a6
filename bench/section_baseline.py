"""The fair yardstick: a bare FastAPI app rendering s11's own section page (the same templates,
GOV.UK macros and answers), with no session, middleware or database work per request.

At start-up it reads the page's context once through s11's own code (the section page's
function, its render call captured), then renders that context on every GET /section. What
s11's page costs beyond it is sign-in, access rules, queries and middleware, not markup.
Environment: SECTION_DATABASE_URL, SECTION_RETURN_ID, SECTION_ID, SECTION_PERSON (a name).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request as StarletteRequest

import app.main  # noqa: F401  # the template helpers and globals create_app's module registers
from app.auth.deps import Viewer, _navigation, active_partnership_of
from app.db import make_engine
from app.directory import service as directory_service
from app.directory.models import Person
from app.directory.terms import terms_for
from app.returns import service as returns_service
from app.returns.routes import answering
from app.templating import templates

templates.env.auto_reload = False  # as s11 runs in production


def _capture() -> tuple[str, dict[str, Any], Viewer]:
    engine = make_engine(os.environ["SECTION_DATABASE_URL"])
    captured: dict[str, Any] = {}

    def keep(_request: Any, template: str, context: dict | None = None, **_kw: Any) -> None:
        captured.update(template=template, context=context or {})

    with Session(engine, expire_on_commit=False) as session:
        person_id = session.scalar(
            select(Person.id).where(Person.name == os.environ["SECTION_PERSON"])
        )
        person = directory_service.get_person(session, person_id=person_id)
        view = returns_service.return_for(
            session, person=person, return_id=int(os.environ["SECTION_RETURN_ID"])
        )
        scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
        real_render = answering.render
        answering.render = keep  # type: ignore[assignment]
        try:
            answering._section_page(
                StarletteRequest(scope), session, view, os.environ["SECTION_ID"]
            )
        finally:
            answering.render = real_render
        home = active_partnership_of(person, None)
        viewer = Viewer(
            name=person.name,
            email=person.email,
            brand_name=home.short_name if home else None,
            brand_colour=home.colour if home else None,
            brand_full_name=home.name if home else None,
            brand_logo=None,
            terms=terms_for(home),
            archived=False,
            navigation=_navigation(person, home),
            idle_seconds=1800,
        )
    engine.dispose()
    return captured["template"], captured["context"], viewer


TEMPLATE, CONTEXT, VIEWER = _capture()
app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/section")
def section(request: Request) -> Response:
    # A plain def, as s11's section page is: rendered in the thread pool.
    request.state.viewer = VIEWER
    return templates.TemplateResponse(request, TEMPLATE, CONTEXT)
