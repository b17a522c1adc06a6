"""The feed's access: a partnership's API token in the Authorization header, never a session.

Every refusal is JSON (401, 404, 429), never a sign-in page, and says nothing of what exists.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from app.api import tokens
from app.auth.policy import Permission
from app.db import get_session

# The request's session held open until the response is sent, unlike DbSession's: a CSV
# streams from it after the route has returned. The request still owns the transaction.
FeedSession = Annotated[Session, Depends(get_session)]

CHALLENGE = 'Bearer realm="s11", Basic realm="s11"'
# Power BI and Excel page through a collection one request after another, a few tables at
# once: a few dozen requests a second at most (bench/RESULTS.md). A hundred a second from one
# token is a runaway loop, slowed down before it slows everyone else.
LIMITER = tokens.RateLimiter(limit=120, window_seconds=2)


class ApiProblem(Exception):
    """A refusal the feed answers as {"error": {"code", "message"}} (OData's error shape)."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def problem_response(problem: ApiProblem) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": problem.code, "message": problem.message}},
        status_code=problem.status,
        headers={"Cache-Control": "no-store", **problem.headers},
    )


def not_found(what: str = "There is nothing here for this token") -> ApiProblem:
    return ApiProblem(404, "not_found", what)


def _presented(header: str | None) -> str | None:
    """The token from `Bearer <token>`, or from Basic with the token as the password (any
    user name), as Excel's and Power BI's OData connectors send it."""
    if not header or len(header) > 1000:
        return None
    kind, _, value = header.strip().partition(" ")
    value = value.strip()
    if kind.lower() == "bearer":
        return value or None
    if kind.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _user, colon, password = decoded.partition(":")
        return password.strip() or None if colon else None
    return None


def read_feed(request: Request, session: FeedSession) -> tokens.Reader:
    """The reader behind the request's token; a missing, unknown, revoked or expired one is
    refused alike, and a token asking too fast waits."""
    token = _presented(request.headers.get("authorization"))
    if token is None:
        raise ApiProblem(
            401,
            "unauthorised",
            "Send an API token: Authorization: Bearer <token>, or Basic with the token as "
            "the password. A partnership's coordinators make tokens in s11 under API tokens.",
            {"WWW-Authenticate": CHALLENGE},
        )
    wait = LIMITER.allow(hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest())
    if wait is not None:
        raise ApiProblem(
            429,
            "too_many_requests",
            f"Too many requests with this token: wait {math.ceil(wait)} seconds and try again.",
            {"Retry-After": str(max(1, math.ceil(wait)))},
        )
    reader = tokens.reader_for(
        session, token=token, client_address=request.client.host if request.client else None
    )
    if reader is None:
        raise ApiProblem(
            401,
            "unauthorised",
            "This token does not work: it may have expired or been revoked, or been copied "
            "wrongly. Ask a coordinator for a new one.",
            {"WWW-Authenticate": CHALLENGE},
        )
    return reader


read_feed.permission = Permission.READ_FEED  # type: ignore[attr-defined]
FeedReader = Annotated[tokens.Reader, Depends(read_feed)]


def http_problem(status: int, request_id: str | None = None) -> ApiProblem:
    """A refusal from outside the feed's own routes (an unknown path, a method it does not
    take, a server error), in the feed's JSON."""
    if status in (404, 405):
        return not_found()
    if status == 400:
        return ApiProblem(400, "bad_request", "The request could not be understood")
    if status >= 500:
        return ApiProblem(
            500, "server_error", f"Something went wrong in s11 (request {request_id or '-'})"
        )
    return ApiProblem(status, "refused", "The request was refused")


def is_feed_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def install_feed_errors(app: Any) -> None:
    """Refusals under /api/ answer in JSON; the pages' handlers answer everything else."""
    app.add_exception_handler(ApiProblem, lambda _request, exc: problem_response(exc))
