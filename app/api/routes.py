"""The read feed over HTTP: JSON with cursor paging, CSV streamed, OData v4 for Power BI and
Excel, the feed's own OpenAPI document; and the coordinators' pages that make its tokens.

Only GET under /api/; a route here never reads rows itself, and never answers with HTML there.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.api import feed, odata, paging, tokens
from app.api.deps import ApiProblem, FeedReader, FeedSession, not_found
from app.api.filters import FilterError, parse_filter
from app.api.models import TokenScope
from app.auth.deps import CurrentPartnership, require
from app.auth.policy import Permission
from app.cycles.forms import read_date
from app.db import DbSession
from app.directory.models import Partnership, Person
from app.params import Id
from app.templating import render

router = APIRouter()
feed_router = APIRouter()  # the routes the OpenAPI document describes

DEFAULT_LIMIT = 100
MOST_PER_PAGE = 1000
NO_STORE = {"Cache-Control": "no-store"}
ODATA_HEADERS = {**NO_STORE, "OData-Version": "4.0"}
ODATA_JSON = "application/json;odata.metadata=minimal;charset=utf-8"


def _public(request: Request) -> str:
    """The installation's own address (S11_BASE_URL), for links a client follows: behind a
    load balancer that ends TLS, the request's own would say http, and a token would follow it."""
    return str(request.app.state.settings.base_url).rstrip("/")


def _bad_request(message: str) -> ApiProblem:
    return ApiProblem(400, "bad_request", message)


def _collection(reader: tokens.Reader, name: str) -> feed.Collection:
    collection = feed.collection_for(reader.scope, name)
    if collection is None:
        raise not_found(f"This token reads no collection called {name[:60]!r}")
    return collection


def _scope(session: FeedSession, reader: tokens.Reader, cycle: str | None = None) -> feed.Scope:
    scope = feed.scope_for(session, reader=reader, cycle=cycle)
    if scope is None:
        raise not_found("This token's partnership has no such cycle")
    return scope


def _json(
    body: Any, *, headers: dict[str, str] | None = None, media_type: str | None = None
) -> Response:
    return Response(
        json.dumps(body, default=paging.plain, separators=(",", ":")),
        media_type=media_type or "application/json",
        headers={**NO_STORE, **(headers or {})},
    )


# JSON and CSV ---------------------------------------------------------------------------------


@feed_router.get("/api/v1", summary="What this token reads")
def index(request: Request, session: FeedSession, reader: FeedReader) -> Response:
    partnership = session.get(Partnership, reader.partnership_id)
    base = _public(request)
    return _json(
        {
            "partnership": {"slug": partnership.slug, "name": partnership.name}
            if partnership
            else None,
            "scope": reader.scope.value,
            "collections": [
                {"name": c.name, "title": c.title, "url": f"{base}/api/v1/{c.name}"}
                for c in feed.collections_for(reader.scope)
            ],
            "odata": f"{base}/api/odata",
        }
    )


@router.get("/api/v1/openapi.json", include_in_schema=False)
def openapi_document(_anyone: Annotated[Person | None, require(Permission.PUBLIC)]) -> Response:
    """The feed's own description, served in production too: it names no data, only shapes."""
    document = get_openapi(
        title="s11 read feed",
        version="1",
        description="A partnership's Section 11 round, read with an API token: "
        "Authorization: Bearer <token>, or Basic with the token as the password. "
        "Collections: " + ", ".join(feed.COLLECTIONS) + ". OData v4 at /api/odata.",
        routes=feed_router.routes,
    )
    return JSONResponse(document, headers=NO_STORE)


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text[:6]) <= MOST_PER_PAGE or len(text) > 6:
        raise _bad_request(f"limit must be a whole number from 1 to {MOST_PER_PAGE}")
    return int(text)


def _rows(
    request: Request, session: FeedSession, reader: tokens.Reader, name: str, cycle: str | None
) -> Response:
    collection = _collection(reader, name)
    scope = _scope(session, reader, cycle)
    query = request.query_params
    where = None
    if "filter" in query:
        try:
            where = parse_filter(query["filter"], collection)
        except FilterError as error:
            raise _bad_request(str(error).replace("$filter", "filter")) from None
    output = query.get("format", "json")
    if output == "csv":
        return StreamingResponse(
            paging.csv_of(session, scope=scope, collection=collection, where=where),
            media_type="text/csv; charset=utf-8",
            headers={
                **NO_STORE,
                "Content-Disposition": f'attachment; filename="s11-{collection.name}.csv"',
            },
        )
    if output != "json":
        raise _bad_request("format must be json or csv")
    secret = request.app.state.settings.secret
    limit = _limit(query.get("limit"))
    after = None
    if "cursor" in query:
        try:
            after = paging.read_cursor(
                secret, text=query["cursor"], collection=collection, scope=scope
            )
        except paging.CursorError as error:
            raise _bad_request(str(error)) from None
    page = paging.page_of(
        session, scope=scope, collection=collection, limit=limit, after=after, where=where
    )
    body: dict[str, Any] = {"data": page.rows, "next": None}
    headers = {}
    if page.next_key is not None:
        cursor = paging.make_cursor(secret, collection=collection, scope=scope, key=page.next_key)
        params = {k: v for k, v in query.items() if k != "cursor"} | {"cursor": cursor}
        body["next"] = f"{_public(request)}{request.url.path}?{urlencode(params)}"
        headers["Link"] = f'<{body["next"]}>; rel="next"'
    return _json(body, headers=headers)


@feed_router.get("/api/v1/{collection}", summary="A collection: JSON pages, or ?format=csv")
def collection_rows(
    request: Request, session: FeedSession, reader: FeedReader, collection: str
) -> Response:
    return _rows(request, session, reader, collection, None)


@feed_router.get("/api/v1/cycles/{cycle}/{collection}", summary="A collection in one cycle")
def cycle_rows(
    request: Request, session: FeedSession, reader: FeedReader, cycle: str, collection: str
) -> Response:
    return _rows(request, session, reader, collection, cycle)


@feed_router.get("/api/v1/{collection}/{row_id}", summary="One row by its id (or a cycle's slug)")
def one_row(
    request: Request, session: FeedSession, reader: FeedReader, collection: str, row_id: str
) -> Response:
    found = _collection(reader, collection)
    scope = feed.scope_for(session, reader=reader)
    assert scope is not None
    if found.name == "cycles":  # a cycle by its slug as well as its id
        scope = _scope(session, reader, row_id)
        row_id = str(scope.cycle_id)
    if not row_id.isdigit() or len(row_id) > 12:
        raise not_found()
    row = feed.one_row(session, scope=scope, collection=found, row_id=int(row_id))
    if row is None:
        raise not_found()
    return _json({"data": row})


# OData ----------------------------------------------------------------------------------------


def _odata_root(request: Request) -> str:
    return _public(request) + "/api/odata"


@router.get("/api/odata")
def odata_service(request: Request, reader: FeedReader) -> Response:
    document = odata.service_document(_odata_root(request), feed.collections_for(reader.scope))
    return _json(document, headers=ODATA_HEADERS, media_type=ODATA_JSON)


@router.get("/api/odata/$metadata")
def odata_metadata(reader: FeedReader) -> Response:
    return Response(
        odata.metadata(feed.collections_for(reader.scope)),
        media_type="application/xml",
        headers=ODATA_HEADERS,
    )


@router.get("/api/odata/{collection}")
def odata_rows(
    request: Request, session: FeedSession, reader: FeedReader, collection: str
) -> Response:
    found = _collection(reader, collection)
    scope = _scope(session, reader)
    query = request.query_params
    try:
        options = odata.read_options(query, found)
    except odata.ODataError as error:
        raise _bad_request(str(error)) from None
    secret = request.app.state.settings.secret
    after = None
    if options.skiptoken is not None:
        try:
            after = paging.read_cursor(
                secret, text=options.skiptoken, collection=found, scope=scope
            )
        except paging.CursorError as error:
            raise _bad_request(str(error)) from None
    limit = min(odata.PAGE_SIZE, options.top) if options.top is not None else odata.PAGE_SIZE
    page = paging.page_of(
        session,
        scope=scope,
        collection=found,
        limit=limit,
        after=after,
        where=options.where,
        skip=0 if after is not None else options.skip,
    )
    root = _odata_root(request)
    selected = options.select or found.field_names
    body: dict[str, Any] = {
        "@odata.context": f"{root}/$metadata#{found.name}"
        + (f"({','.join(options.select)})" if options.select else "")
    }
    if options.count:
        body["@odata.count"] = paging.count_of(
            session, scope=scope, collection=found, where=options.where
        )
    body["value"] = [{name: row[name] for name in selected} for row in page.rows]
    left = None if options.top is None else options.top - len(page.rows)
    if page.next_key is not None and (left is None or left > 0):
        params = {k: v for k, v in query.items() if k not in ("$skip", "$skiptoken", "$top")}
        if left is not None:
            params["$top"] = str(left)
        params["$skiptoken"] = paging.make_cursor(
            secret, collection=found, scope=scope, key=page.next_key
        )
        body["@odata.nextLink"] = f"{root}/{found.name}?{urlencode(params)}"
    return _json(body, headers=ODATA_HEADERS, media_type=ODATA_JSON)


# The coordinators' pages ----------------------------------------------------------------------

Coordinator = Annotated[Person, require(Permission.SET_UP_PARTNERSHIP)]
DATE_BOXES = ("expires_on-day", "expires_on-month", "expires_on-year")


def _coordinating(person: Person, partnership: Partnership | None) -> Partnership:
    """The partnership the coordinator is working in; coordinating elsewhere is not enough."""
    if partnership is None or not tokens.coordinates(person, partnership):
        raise HTTPException(status_code=404)
    return partnership


@router.get("/api-tokens")
def token_list(
    request: Request, session: DbSession, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    partnership = _coordinating(person, partnership)
    return render(
        request,
        "api/tokens.html",
        {
            "partnership": partnership,
            "tokens": tokens.tokens_of(session, partnership=partnership),
            "revoked": request.query_params.get("revoked"),
        },
    )


def _new_form(request: Request, typed: dict[str, Any], errors: dict[str, str]) -> Response:
    return render(
        request,
        "api/token_new.html",
        {"typed": typed, "errors": errors, "scopes": list(TokenScope)},
        status_code=400 if errors else 200,
    )


@router.get("/api-tokens/new")
def token_new(request: Request, person: Coordinator, partnership: CurrentPartnership) -> Response:
    _coordinating(person, partnership)
    return _new_form(request, {"scope": TokenScope.SUMMARIES.value}, {})


@router.post("/api-tokens/new")
async def token_create(
    request: Request, session: DbSession, person: Coordinator, partnership: CurrentPartnership
) -> Response:
    partnership = _coordinating(person, partnership)
    form = await request.form()
    typed = {key: str(form.get(key, "")) for key in ("name", "scope", *DATE_BOXES)}
    errors: dict[str, str] = {}
    try:
        expires_on = read_date(form, "expires_on")
    except ValueError as error:
        expires_on, errors["expires_on"] = None, str(error)
    errors = (
        tokens.check_token(
            name=typed["name"], expires_on=expires_on, scope=typed["scope"], today=date.today()
        )
        | errors
    )
    if errors or expires_on is None:
        return _new_form(request, typed, errors)
    made = await run_in_threadpool(
        tokens.create_token,
        session,
        actor=person,
        partnership=partnership,
        name=typed["name"],
        expires_on=expires_on,
        scope=TokenScope(typed["scope"]),
        client_address=request.client.host if request.client else None,
    )
    base = _public(request)
    return render(request, "api/token_made.html", {"made": made, "base": base})


@router.post("/api-tokens/{token_id}/revoke")
def token_revoke(
    request: Request,
    session: DbSession,
    person: Coordinator,
    partnership: CurrentPartnership,
    token_id: Id,
) -> Response:
    partnership = _coordinating(person, partnership)
    record = tokens.token_of(session, partnership=partnership, token_id=token_id)
    if record is None:
        raise HTTPException(status_code=404)
    tokens.revoke_token(
        session,
        actor=person,
        record=record,
        client_address=request.client.host if request.client else None,
    )
    return RedirectResponse(f"/api-tokens?revoked={record.id}", status_code=303)


router.include_router(feed_router)
