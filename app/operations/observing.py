"""Every request, observed once: counted and timed for /metrics, and logged as one JSON line
(request id, method, route template, status, duration).

Never logs a path, a query, a header or a body: those carry sign-in tokens, email addresses
and answers; the route template says which page without saying whose.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics

logger = logging.getLogger("s11.requests")
UNMATCHED = "<unmatched>"  # a path no route answers: one label, not one per path tried


def configure_request_log() -> None:
    """One JSON line per request on standard error, whatever the server's own logging does."""
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED


class RequestObserver:
    """Outermost middleware: sees the status that went out and the route the router matched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500  # what a client sees if the app fails before answering

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            seconds = time.perf_counter() - began
            method, route = scope["method"], route_template(scope)
            metrics.REQUESTS.labels(method, route, str(status)).inc()
            metrics.LATENCY.labels(method, route).observe(seconds)
            logger.info(
                json.dumps(
                    {
                        "request_id": scope.get("state", {}).get("request_id"),
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 1),
                    }
                )
            )
