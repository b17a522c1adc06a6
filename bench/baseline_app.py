"""The yardstick: a bare FastAPI + Jinja2 app serving a page of a given size, nothing else.

No session, middleware or GOV.UK macros: what s11 costs is the difference. With
BASELINE_DATABASE_URL set it also offers the autosave yardstick: POST /update/{row} does one
UPDATE and COMMIT on that database and answers with a word.
"""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from jinja2 import Environment
from sqlalchemy import text

from app.db import make_engine

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

# s11's own engine settings (for SQLite one pooled connection, WAL, explicit BEGIN), so the
# write path to the database is the same and the difference is s11's work per save.
DATABASE_URL = os.environ.get("BASELINE_DATABASE_URL", "")
ENGINE = make_engine(DATABASE_URL) if DATABASE_URL else None
ROWS = 200  # one per client, so clients never wait on each other's row locks
UPDATE_ROW = text("UPDATE bench_rows SET value = :value, version = version + 1 WHERE id = :id")
if ENGINE is not None:
    with ENGINE.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_rows "
                "(id INTEGER PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO bench_rows (id, value, version) VALUES (:id, '', 0) "
                "ON CONFLICT (id) DO NOTHING"
            ),
            [{"id": row} for row in range(ROWS)],
        )

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/page", response_class=HTMLResponse)
def page(request: Request) -> str:
    return PAGE.render(title="Baseline", lines=LINES)


@app.post("/update/{row}", response_class=PlainTextResponse)
def update(row: int, value: Annotated[str, Form()]) -> str:
    # A plain def runs in the thread pool, as s11's autosave does its database work.
    if ENGINE is None:
        raise HTTPException(status_code=404)
    with ENGINE.begin() as connection:
        connection.execute(UPDATE_ROW, {"id": row, "value": value})
    return "Saved"
