"""The Jinja environment: our templates first, then the govuk-frontend-jinja macros.

Templates only present what services computed; every variable is autoescaped.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from app.colours import readable_text_on
from app.config import PROJECT_ROOT
from app.csrf import csrf_token
from app.directory.terms import terms_for

DEFAULT_BRAND_COLOUR = "#28313b"


def _page_context(request: Request) -> dict[str, Any]:
    viewer = getattr(request.state, "viewer", None)
    brand_colour = (viewer and viewer.brand_colour) or DEFAULT_BRAND_COLOUR
    return {
        "current_person": viewer,
        "brand_name": (viewer and viewer.brand_name) or "s11",
        "terms": viewer.terms if viewer else terms_for(None),
        "brand_colour": brand_colour,
        "brand_text_colour": readable_text_on(brand_colour),
        # The 500 page is rendered outside the session middleware: no session, no form.
        "csrf_token": csrf_token(request) if "session" in request.scope else "",
        "csp_nonce": getattr(request.state, "csp_nonce", ""),
    }


def _environment() -> Environment:
    loader = ChoiceLoader(
        [
            FileSystemLoader(PROJECT_ROOT / "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    # Modules add their own filters and globals from create_app (see register_template_helpers
    # in app/questionnaires/rendering.py), so this shared file depends on none of them.
    return Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)


templates = Jinja2Blocks(env=_environment(), context_processors=[_page_context])


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
) -> Response:
    """Render a page, or one block of it (an HTMX partial)."""
    kwargs: dict[str, Any] = {"status_code": status_code}
    if block is not None:
        kwargs["block_name"] = block
    return templates.TemplateResponse(request, template, context or {}, **kwargs)


def swapping(request: Request, target: str) -> bool:
    """Whether HTMX asks for the element `target` alone (its id), to swap it into the page."""
    return (
        request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == target
    )


def pure_macro(template: str, name: str) -> Callable[..., Markup]:
    """A macro whose markup depends only on its arguments (plain, hashable values), rendered
    once per arguments. The GOV.UK macros cost ~0.5 ms a call; a page repeats the same ones."""

    def macro() -> Any:
        return getattr(templates.env.get_template(template).module, name)

    @lru_cache(maxsize=512)
    def kept(*args: Any) -> Markup:
        return Markup(macro()(*args))

    def call(*args: Any) -> Markup:
        if templates.env.auto_reload:  # development: a changed template shows at once
            return Markup(macro()(*args))
        return kept(*args)

    return call
