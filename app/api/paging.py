"""Reading a collection a page at a time behind a signed cursor, or all of it as streamed CSV.

A cursor names only where the last page ended, signed so that one edited by hand is refused,
and bound to its collection, partnership and cycle so that it never reads anyone else's rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.orm import Session

from app.api import sources
from app.api.feed import Collection, Key, Row, Scope
from app.api.filters import Predicate

CSV_CHUNK = 500  # rows in each piece of a streamed CSV


class CursorError(ValueError):
    """A cursor that is not one this feed gave, or not for this collection."""


def _signer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="s11-api-cursor")


def make_cursor(secret: str, *, collection: Collection, scope: Scope, key: Key) -> str:
    payload = [collection.name, scope.partnership_id, scope.cycle_id, list(key)]
    return str(_signer(secret).dumps(payload))


def read_cursor(secret: str, *, text: str, collection: Collection, scope: Scope) -> Key:
    """Where the page before ended; CursorError for anything else."""
    if len(text) > 500:
        raise CursorError("The cursor is not one this feed gave: start again from the first page")
    try:
        name, partnership_id, cycle_id, key = _signer(secret).loads(text)
    except (BadData, ValueError, TypeError):
        raise CursorError(
            "The cursor is not one this feed gave: start again from the first page"
        ) from None
    if (name, partnership_id, cycle_id) != (
        collection.name,
        scope.partnership_id,
        scope.cycle_id,
    ) or not all(type(part) is int for part in key):
        raise CursorError(
            "The cursor belongs to another collection: start again from its first page"
        )
    return tuple(key)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    next_key: Key | None  # where the next page starts after; None on the last page


def rows_of(
    session: Session,
    *,
    scope: Scope,
    collection: Collection,
    after: Key | None = None,
    where: Predicate | None = None,
) -> Iterator[tuple[Key, Row]]:
    """Every row after `after` that the filter keeps, in the collection's order."""
    with closing(collection.read(session, scope, after)) as rows:
        for key, row in rows:
            if where is None or where(row):
                yield key, row


def page_of(
    session: Session,
    *,
    scope: Scope,
    collection: Collection,
    limit: int,
    after: Key | None = None,
    where: Predicate | None = None,
    skip: int = 0,
) -> Page:
    """Up to `limit` rows, and where the next page starts if there are more."""
    taken: list[Row] = []
    last: Key | None = None
    rows = rows_of(session, scope=scope, collection=collection, after=after, where=where)
    with closing(rows):
        for key, row in rows:
            if skip:
                skip -= 1
                continue
            if len(taken) == limit:
                return Page(taken, last)
            taken.append(row)
            last = key
    return Page(taken, None)


def count_of(
    session: Session, *, scope: Scope, collection: Collection, where: Predicate | None = None
) -> int:
    return sum(1 for _ in rows_of(session, scope=scope, collection=collection, where=where))


def plain(value: Any) -> Any:
    """A value as JSON carries it: dates and moments as ISO 8601, moments in UTC."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_cell(value: Any) -> str:
    """A value as a CSV cell: text made safe the way the workbooks make it, so a cell never
    opens in Excel as a formula; nothing as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return sources.cell_text(value)
    return str(plain(value))


def csv_of(
    session: Session, *, scope: Scope, collection: Collection, where: Predicate | None = None
) -> Iterator[str]:
    """The whole collection as CSV, a piece at a time: a large one never sits in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    names = collection.field_names
    writer.writerow(names)
    waiting = 0
    for _key, row in rows_of(session, scope=scope, collection=collection, where=where):
        writer.writerow([csv_cell(row[name]) for name in names])
        waiting += 1
        if waiting == CSV_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            waiting = 0
    yield buffer.getvalue()
