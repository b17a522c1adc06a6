"""create_app(): settings, database, middleware, routers, static files and error pages.

Nothing here holds a rule of the domain; a new module adds its router to ROUTERS.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.actions import routes as action_routes
from app.admin import routes as admin_routes
from app.api import deps as api_deps
from app.api import routes as api_routes
from app.audit import routes as audit_routes
from app.auth import routes as auth_routes
from app.auth.deps import SignInRequired
from app.auth.oidc import make_oauth
from app.config import PROJECT_ROOT, Settings, load_settings
from app.csrf import CsrfError
from app.cycles import routes as cycle_routes
from app.db import (
    check_database_reachable,
    connection_capacity,
    make_engine,
    make_sessionmaker,
)
from app.directory.terms import terms_for
from app.exports import routes as export_routes
from app.home import routes as home_routes
from app.library import routes as library_routes
from app.operations import routes as operation_routes
from app.operations.observing import RequestObserver, configure_request_log
from app.panels import routes as panel_routes
from app.params import NO_SUCH_ID
from app.questionnaires import rendering as questionnaire_rendering
from app.returns import routes as return_routes
from app.setup import routes as setup_routes
from app.storage.backends import checked_storage
from app.surveys import routes as survey_routes
from app.templating import pure_macro, render, templates

logger = logging.getLogger("s11")

ROUTERS = [
    home_routes.router,
    auth_routes.router,
    admin_routes.router,
    setup_routes.router,
    library_routes.router,
    audit_routes.router,
    return_routes.router,
    cycle_routes.router,
    panel_routes.router,
    action_routes.router,
    export_routes.router,
    api_routes.router,
    survey_routes.router,
    operation_routes.router,
]
questionnaire_rendering.register_template_helpers(templates.env)
templates.env.globals["board_terms"] = terms_for
templates.env.globals["evidence_upload"] = pure_macro("returns/_evidence.html", "evidence_upload")


class RequestContextMiddleware:
    """Give every request an id (logged with errors, sent back as X-Request-ID), a CSP nonce
    and the security headers every page needs."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        request_id = secrets.token_hex(8)
        nonce = secrets.token_urlsafe(16)
        state["request_id"] = request_id
        state["csp_nonce"] = nonce
        policy = (
            "default-src 'self'; "
            "script-src 'self'; "
            f"style-src 'self' 'nonce-{nonce}'; "
            "img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-request-id", request_id.encode()),
                    (b"content-security-policy", policy.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html"):
                    # Pages may show an agency's return: never keep them in a shared cache
                    # or the browser's back-forward history after sign-out.
                    headers.append((b"cache-control", b"no-store"))
                if self.hsts:
                    headers.append(
                        (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
                    )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# A form of more than 5,000 boxes (say 10,000 table rows posted) is refused before it is read.
TOO_MANY_FIELDS = (
    "Too many answers were sent at once: a page takes at most 5,000 boxes, and a table no "
    "more rows than its questionnaire allows. Nothing has been saved: go back, remove some "
    "rows, and try again."
)


def _wants_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired) -> Response:
        target = "/sign-in?next=" + request.url.path + ("&timeout=1" if exc.timed_out else "")
        if _wants_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(CsrfError)
    async def csrf_refused(request: Request, _exc: CsrfError) -> Response:
        return render(
            request,
            "errors/error.html",
            {
                "title": "Your form could not be sent",
                "message": "The page was open too long or came from somewhere else. "
                "Go back, reload the page and try again: nothing has been changed.",
            },
            status_code=403,
        )

    api_deps.install_feed_errors(app)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if api_deps.is_feed_path(request.url.path):  # the read feed answers in JSON
            return api_deps.problem_response(api_deps.http_problem(exc.status_code))
        if exc.status_code in (404, 405):
            return render(request, "errors/404.html", status_code=404)
        message = str(exc.detail)
        if message.startswith("Too many fields"):  # Starlette's words for a form too large
            message = TOO_MANY_FIELDS
        return render(
            request,
            "errors/error.html",
            {"title": "Sorry, that did not work", "message": message},
            status_code=exc.status_code,
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if api_deps.is_feed_path(request.url.path):
            return api_deps.problem_response(api_deps.http_problem(400))
        # A web address whose part is not a number, or an id no record can have, names no
        # page; any other value the app cannot take is a request it does not understand.
        if any("path" in error["loc"][:1] or error["type"] == NO_SUCH_ID for error in exc.errors()):
            return render(request, "errors/404.html", status_code=404)
        return render(
            request,
            "errors/error.html",
            {
                "title": "Sorry, that request could not be understood",
                "message": "Go back and check what you entered, then try again.",
            },
            status_code=400,
        )

    @app.exception_handler(ClientDisconnect)
    async def client_gone(_request: Request, _exc: ClientDisconnect) -> Response:
        # The browser went away mid-upload: nobody is left to read a page, and it is no fault
        # of ours to log as one. Nothing was saved, as the form was never read in full.
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        request_id = getattr(request.state, "request_id", "-")
        logger.error(
            "Unhandled error request_id=%s %s %s",
            request_id,
            request.method,
            request.url.path,
            exc_info=exc,
        )
        if api_deps.is_feed_path(request.url.path):
            return api_deps.problem_response(api_deps.http_problem(500, request_id))
        return render(request, "errors/500.html", {"request_id": request_id}, status_code=500)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Everything loaded at start-up lives as long as the process: moving it out of the
    # collector's reach cut full-collection pauses from ~150 ms to ~67 ms p95 (STACK.md).
    gc.collect()
    gc.freeze()
    app.state.db_gate = asyncio.Semaphore(connection_capacity(app.state.engine))
    yield
    if app.state.owns_engine:
        app.state.engine.dispose()


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or load_settings()
    owns_engine = engine is None
    if engine is None:
        engine = make_engine(settings.database_url)
        check_database_reachable(engine)

    app = FastAPI(title="s11", docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.owns_engine = owns_engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.storage = checked_storage(settings)
    # Checking every template file's age on each render costs ~6% of a section page; only a
    # developer editing templates needs it.
    templates.env.auto_reload = settings.is_development
    app.state.oauth = make_oauth(settings)

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret,
        session_cookie="s11_session",
        max_age=settings.session_lifetime_hours * 60 * 60,
        same_site="lax",
        # HttpOnly always; Secure in production (and wherever s11 is served over https).
        https_only=settings.is_production or settings.base_url.startswith("https://"),
    )
    app.add_middleware(RequestContextMiddleware, hsts=settings.is_production)
    app.add_middleware(RequestObserver)  # outermost: times everything, sees the final status
    configure_request_log()
    metrics.watch_pool(engine)
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    _install_error_pages(app)
    return app
