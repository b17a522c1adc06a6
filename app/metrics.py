"""What operators watch on deadline day, in Prometheus' text format: requests by route template
and status, their latency, autosaves, conflicts, emails and database connections in use.

Labels are route templates and outcomes only, never a path, a person or anything typed.

Several worker processes: each process counts in its own registry, and a scrape reaches one
of them. With PROMETHEUS_MULTIPROC_DIR set (an empty directory, wiped at each start, the
same for every worker of one host), prometheus-client keeps each process's figures in files
there and /metrics adds them up across the host's workers (README, "Metrics").
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import weakref
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import Engine, event

REQUESTS = Counter("s11_requests_total", "HTTP requests answered", ["method", "route", "status"])
# Buckets around what people notice: an autosave under 50 ms, a page under a second.
LATENCY = Histogram(
    "s11_request_duration_seconds",
    "Time from a request's arrival to the end of its response",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
AUTOSAVES = Counter("s11_autosaves_total", "Answers saved as people type, by outcome", ["outcome"])
CONFLICTS = Counter(
    "s11_answer_conflicts_total",
    "Saves refused because someone else had changed the answer meanwhile",
)
EMAILS = Counter("s11_emails_total", "Emails handed to the mail server, by outcome", ["outcome"])
SMTP_CONNECTIONS = Counter("s11_smtp_connections_total", "SMTP connections opened by workers")
POOL_IN_USE = Gauge(
    "s11_db_connections_in_use",
    "Database connections checked out of the pool",
    multiprocess_mode="livesum",
)

_watched: weakref.WeakSet[Engine] = weakref.WeakSet()


def watch_pool(engine: Engine) -> None:
    """Count the engine's checked-out connections (once per engine, however many apps use it)."""
    if engine in _watched:
        return
    _watched.add(engine)

    @event.listens_for(engine, "checkout")
    def _out(*_args: Any) -> None:
        POOL_IN_USE.inc()

    @event.listens_for(engine, "checkin")
    def _in(*_args: Any) -> None:
        POOL_IN_USE.dec()


def exposition() -> tuple[bytes, str]:
    """The figures in Prometheus' text format, added up across workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def may_scrape(
    *, token: str | None, allowed: list[str], authorization: str | None, client: str | None
) -> bool:
    """Whether a scraper may read /metrics: off (nobody) unless a token or networks are set;
    with both, either one lets it in."""
    if token and authorization:
        scheme, _, presented = authorization.partition(" ")
        if scheme.lower() == "bearer" and secrets.compare_digest(
            presented.strip().encode(), token.encode()
        ):
            return True
    if allowed and client:
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(network, strict=False) for network in allowed)
    return False
