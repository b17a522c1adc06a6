"""Helpers for the feed's tests: a token of a demo partnership, and the headers that send it."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api import deps, tokens
from app.api.models import TokenScope
from app.directory.models import Partnership
from tests.conftest import person_by_email

COORDINATORS = {"norfolk": "coordinator@nscp.example.org", "suffolk": "coordinator@ssp.example.org"}


def make_token(
    db: Session,
    partnership_slug: str = "norfolk",
    scope: TokenScope = TokenScope.ROUND,
    *,
    days: int = 30,
) -> str:
    partnership = db.scalars(select(Partnership).where(Partnership.slug == partnership_slug)).one()
    coordinator = person_by_email(db, COORDINATORS[partnership_slug])
    made = tokens.create_token(
        db,
        actor=coordinator,
        partnership=partnership,
        name=f"{partnership_slug} dashboard",
        expires_on=date.today() + timedelta(days=days),
        scope=scope,
    )
    return made.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic(token: str, user: str = "powerbi") -> dict[str, str]:
    encoded = base64.b64encode(f"{user}:{token}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each test starts with no requests counted against any token, nor waiting to be."""
    deps.LIMITER._hits.clear()
    tokens._WAITING.clear()
    yield
