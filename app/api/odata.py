"""OData v4 for the same collections: the service document, the `$metadata` CSDL, and the query
options Excel's and Power BI's OData feed connectors send ($top, $skip, $select, $filter, $count).

Reads only what the JSON feed reads; an option it does not know is refused, never ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

from app.api.feed import Collection
from app.api.filters import FilterError, Predicate, parse_filter

NAMESPACE = "S11"
CONTAINER = "Feed"
PAGE_SIZE = 1000  # rows a response holds at most; @odata.nextLink reads on
MOST_ROWS = 100_000  # the largest $top (and $skip) accepted
KNOWN_OPTIONS = {"$top", "$skip", "$select", "$filter", "$count", "$skiptoken", "$format"}
EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"


class ODataError(ValueError):
    """A request this service cannot answer as asked, with a message for the analyst."""


def type_name(collection: Collection) -> str:
    """The entity type's name: the collection's, singular, in CamelCase (returns → Return)."""
    words = collection.name.split("_")
    words[-1] = {"agencies": "agency", "returns": "return"}.get(words[-1], words[-1].rstrip("s"))
    return "".join(word.capitalize() for word in words)


def metadata(collections: list[Collection]) -> bytes:
    """The CSDL document: an entity type and an entity set for every collection. Written out
    rather than through ElementTree, which would prefix CSDL's own elements (ns0:Schema), as
    OData clients are not used to reading them."""
    types, sets = [], []
    for collection in collections:
        name = type_name(collection)
        keys = "".join(f"<PropertyRef Name={quoteattr(key)}/>" for key in collection.key)
        properties = "".join(
            f"<Property Name={quoteattr(f.name)} Type={quoteattr(f.type.value)} "
            f'Nullable="{str(f.nullable and f.name not in collection.key).lower()}"/>'
            for f in collection.fields
        )
        types.append(
            f"<EntityType Name={quoteattr(name)}><Key>{keys}</Key>{properties}</EntityType>"
        )
        sets.append(
            f"<EntitySet Name={quoteattr(collection.name)} "
            f"EntityType={quoteattr(f'{NAMESPACE}.{name}')}/>"
        )
    document = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<edmx:Edmx xmlns:edmx="{EDMX}" Version="4.0"><edmx:DataServices>'
        f'<Schema xmlns="{EDM}" Namespace="{NAMESPACE}">'
        + "".join(types)
        + f'<EntityContainer Name="{CONTAINER}">'
        + "".join(sets)
        + "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
    )
    return document.encode("utf-8")


def service_document(root: str, collections: list[Collection]) -> dict[str, Any]:
    return {
        "@odata.context": f"{root}/$metadata",
        "value": [
            {"name": c.name, "kind": "EntitySet", "url": c.name, "title": c.title}
            for c in collections
        ],
    }


@dataclass(frozen=True)
class Options:
    top: int | None
    skip: int
    select: list[str]
    where: Predicate | None
    count: bool
    skiptoken: str | None


def _whole(name: str, text: str) -> int:
    if not text.isdigit() or len(text) > 12:
        raise ODataError(f"{name} must be a whole number of 0 or more, not {text[:20]!r}")
    value = int(text)
    if value > MOST_ROWS:
        raise ODataError(f"{name} can be at most {MOST_ROWS:,}; follow @odata.nextLink to read on")
    return value


def read_options(query: Mapping[str, str], collection: Collection) -> Options:
    """The query options of a request for an entity set; ODataError for one it cannot honour."""
    unknown = sorted(name for name in query if name.startswith("$") and name not in KNOWN_OPTIONS)
    if unknown:
        raise ODataError(
            f"{unknown[0]} is not supported; this service reads " + ", ".join(sorted(KNOWN_OPTIONS))
        )
    if query.get("$format", "json") not in ("json", "application/json"):
        raise ODataError("$format: this service answers in JSON only")
    select = []
    if "$select" in query:
        select = [name.strip() for name in query["$select"].split(",")]
        wrong = [name for name in select if collection.field(name) is None]
        if wrong:
            raise ODataError(
                f"$select: {collection.name} has no field {wrong[0][:60]!r}; its fields are "
                + ", ".join(collection.field_names)
            )
    count = query.get("$count", "false")
    if count not in ("true", "false"):
        raise ODataError("$count must be true or false")
    try:
        where = parse_filter(query["$filter"], collection) if "$filter" in query else None
    except FilterError as error:
        raise ODataError(str(error)) from None
    return Options(
        top=_whole("$top", query["$top"]) if "$top" in query else None,
        skip=_whole("$skip", query["$skip"]) if "$skip" in query else 0,
        select=select,
        where=where,
        count=count == "true",
        skiptoken=query.get("$skiptoken"),
    )
