"""The yardstick: a bare FastAPI + Jinja2 app serving a page of a given size, nothing else.

No database, session, middleware or GOV.UK macros: what s11 costs is the difference.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

PAGE = Environment(autoescape=True).from_string(
    "<!DOCTYPE html><html lang=en><head><title>{{ title }}</title></head><body>"
    "<main><h1>{{ title }}</h1>{% for line in lines %}<p class=govuk-body>{{ line }}</p>"
    "{% endfor %}</main></body></html>"
)
# Lines of ~60 characters until the page matches the s11 page's size in bytes.
TARGET_BYTES = int(os.environ.get("BASELINE_PAGE_BYTES", "8000"))
LINES = [
    "Section 11 self-assessment baseline line of text " + str(n)
    for n in range(max(1, TARGET_BYTES // 75))
]

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/page", response_class=HTMLResponse)
def page(request: Request) -> str:
    return PAGE.render(title="Baseline", lines=LINES)
