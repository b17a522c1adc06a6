"""CSRF tokens: one per browser session, checked on every request that changes state.

Forms send it as the `csrf_token` field; HTMX sends it as the X-CSRF-Token header.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request

SESSION_KEY = "csrf"
FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"


class CsrfError(Exception):
    """The request changes state without this session's token."""


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def _same_origin(request: Request) -> bool:
    """Browsers send Origin (or Sec-Fetch-Site) with a POST: refuse one from another site."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = request.headers.get("origin")
    if origin is None:  # not sent by older browsers or tools; the token still protects
        return True
    allowed = {f"{request.url.scheme}://{request.url.netloc}"}
    base_url = getattr(request.app.state.settings, "base_url", "")
    if base_url:
        allowed.add(base_url.rstrip("/"))
    return origin in allowed


# A table question may hold 200 rows of several columns; past this a post is refused unread.
MAX_FORM_FIELDS = 5_000


async def verify_csrf(request: Request) -> None:
    if not _same_origin(request):
        raise CsrfError()
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get(HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            # Parsed once here for the whole request: the route reads the same form.
            value = (await request.form(max_fields=MAX_FORM_FIELDS)).get(FORM_FIELD)
            sent = value if isinstance(value, str) else None
    if (
        not expected
        or not sent
        or len(sent) > 200
        or not secrets.compare_digest(expected.encode(), sent.encode("utf-8", "surrogatepass"))
    ):
        raise CsrfError()
