"""A long list's search, filters, sort and page, read from a query string and bounded: what a
page of a large round asks the database for. Never trusts a value it was not offered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar
from urllib.parse import urlencode

PER_PAGE = 50
MAX_PAGE = 10_000  # past any round's last page; the page shown is clamped to the last one
MAX_SEARCH = 100  # characters of a search kept; an agency's name is at most 200


@dataclass(frozen=True)
class Choice:
    """One filter's name and the values it offers, each with its label."""

    name: str
    label: str
    options: tuple[tuple[str, str], ...]  # (value, label)

    def allows(self, value: str) -> bool:
        return any(value == option for option, _label in self.options)


@dataclass(frozen=True)
class Listing:
    search: str = ""
    filters: dict[str, str] = field(default_factory=dict)  # only offered names and values
    sort: str = ""
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE
    refused: tuple[str, ...] = ()  # what was asked for but not understood, to say on the page

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def query(self, **changes: object) -> str:
        """This listing's query string, with `changes` (page=2, sort="name"...) made."""
        values: dict[str, object] = {
            "q": self.search,
            **self.filters,
            "sort": self.sort,
            "order": "desc" if self.descending else "",
            "page": self.page if self.page > 1 else "",
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1)})


def _page_of(text: str) -> int | None:
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return None
    return min(max(int(text), 1), MAX_PAGE)


def read_listing(
    params: Mapping[str, str],
    *,
    choices: list[Choice],
    sorts: tuple[str, ...],
    default_sort: str,
    extra: tuple[str, ...] = (),
) -> Listing:
    """What the query string asks for, each part checked against what the page offers: an
    unknown sort is the default, an unknown filter value is dropped and named in `refused`,
    a page outside 1..MAX_PAGE is the nearest in it. `extra` names free-form filters (an id)
    the caller checks itself."""
    refused = []
    filters = {}
    for choice in choices:
        value = str(params.get(choice.name) or "")
        if not value:
            continue
        if choice.allows(value):
            filters[choice.name] = value
        else:
            refused.append(f"{choice.label} “{value[:40]}” is not one of the choices")
    for name in extra:
        if value := str(params.get(name) or "")[:20]:
            filters[name] = value
    sort = str(params.get("sort") or "")
    if sort and sort not in sorts:
        refused.append("The list cannot be sorted that way: it is sorted by its usual order")
    page_text = str(params.get("page") or "1")
    page = _page_of(page_text.lstrip("-")) if page_text else 1
    return Listing(
        search=" ".join(str(params.get("q") or "").split())[:MAX_SEARCH],
        filters=filters,
        sort=sort if sort in sorts else default_sort,
        descending=params.get("order") == "desc",
        page=page or 1,
        refused=tuple(refused),
    )


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a filtered list, with the count of the whole filtered set."""

    rows: list[T]
    total: int
    listing: Listing

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.listing.per_page))

    @property
    def first(self) -> int:
        return min(self.total, self.listing.offset + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.listing.offset + len(self.rows))


def last_page(listing: Listing, total: int) -> Listing:
    """The listing moved back to its last page when it asked for one past the end."""
    pages = max(1, -(-total // listing.per_page))
    if listing.page <= pages:
        return listing
    return replace(listing, page=pages)


def page_of_list(rows: list[T], listing: Listing) -> Page[T]:
    """One page of rows already filtered and sorted in memory (a list the page built whole for
    its totals), moved back to the last page when asked for one past the end."""
    listing = last_page(listing, len(rows))
    return Page(rows[listing.offset : listing.offset + listing.per_page], len(rows), listing)
