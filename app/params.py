"""Numbers a request carries in its path, query or form, bounded where they are declared.

Never hand the database a number from a request unbounded: past what a column holds, it raises.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

# The largest id both databases hold: ids are `Integer` columns, PostgreSQL's 4-byte `integer`
# (SQLite's take 8 bytes, 2^63−1). Past it PostgreSQL answers "integer out of range".
MAX_ID = 2**31 - 1
# The error an out-of-range id raises: the app answers it 404, as for an id nothing has.
NO_SUCH_ID = "no_such_id"


def _within_ids(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise PydanticCustomError(NO_SUCH_ID, "No record has this id")
    return value


# A record's id in a path or query (`return_id: Id`, `agency: Id | None = None`): outside
# 1..MAX_ID the page is not found, whatever the route.
Id = Annotated[int, AfterValidator(_within_ids)]

# Any other whole number a query carries (a count shown in a banner, a page, a year): outside
# its bounds the request is refused as not understood (400).
Count = Annotated[int, Field(ge=0, le=1_000_000)]


def whole_number_from(text: str) -> int | None:
    """A whole number typed or chosen in a form (0 up to what an integer column holds), or None
    when the text is not one: ASCII digits only ("²".isdigit() is true, and int() refuses it)
    and no longer than MAX_ID (int() refuses 4,300 digits, a column far fewer)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def id_from(text: str) -> int | None:
    """An id chosen in a form, or None when the text cannot name a record."""
    value = whole_number_from(text)
    return value if value else None
