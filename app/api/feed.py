"""The feed's collections: a partnership's cycles, agencies, returns, ratings, recommendations,
actions and Composite Action Plan counts, as rows in a fixed order, read a batch at a time.

Never a row of another partnership, a draft's ratings, a score from a sheet not yet
submitted, an evidence file, an email address or an answer's text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.api import plan_rows, rating_rows, round_rows
from app.api.models import TokenScope
from app.api.rows import Field, FieldType, Key, Row, Scope, own_cycles
from app.api.tokens import Reader
from app.cycle_models import Cycle


@dataclass(frozen=True)
class Collection:
    name: str
    title: str  # what it holds, for the index and the OpenAPI document
    fields: tuple[Field, ...]
    key: tuple[str, ...]  # the fields that name one row (OData's entity key)
    scopes: frozenset[TokenScope]
    read: Callable[[Session, Scope, Key | None], Iterator[tuple[Key, Row]]]
    by_id: bool = False  # one row may be asked for by its id: /api/v1/<name>/<id>

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


# The collections ------------------------------------------------------------------------------

EVERY_SCOPE = frozenset(TokenScope)
ROUND_ONLY = frozenset({TokenScope.ROUND})

COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection(
            "cycles",
            "The cycles (years) the partnership takes part in",
            round_rows.CYCLE_FIELDS,
            ("id",),
            EVERY_SCOPE,
            round_rows.cycles,
            by_id=True,
        ),
        Collection(
            "agencies",
            "The partnership's agencies, with sector, duty and, for schools, type, phase and URN",
            round_rows.AGENCY_FIELDS,
            ("id",),
            EVERY_SCOPE,
            round_rows.agencies,
            by_id=True,
        ),
        Collection(
            "returns",
            "Each agency's return: status, dates, sign-off, deadline and the school's details",
            round_rows.RETURN_FIELDS,
            ("id",),
            EVERY_SCOPE,
            round_rows.returns,
            by_id=True,
        ),
        Collection(
            "ratings",
            "Per received return and rated item: self-rating, agreed rating, members rated",
            rating_rows.RATING_FIELDS,
            ("return_id", "position"),
            EVERY_SCOPE,
            rating_rows.ratings,
        ),
        Collection(
            "panel_ratings",
            "Each panel member's rating, from score sheets they have submitted",
            rating_rows.PANEL_RATING_FIELDS,
            ("id",),
            ROUND_ONLY,
            rating_rows.panel_ratings,
        ),
        Collection(
            "recommendations",
            "The panel's recommendations once feedback is issued",
            plan_rows.RECOMMENDATION_FIELDS,
            ("id",),
            ROUND_ONLY,
            plan_rows.recommendations,
            by_id=True,
        ),
        Collection(
            "actions",
            "The Composite Action Plan's actions, with the latest progress",
            plan_rows.ACTION_FIELDS,
            ("id",),
            ROUND_ONLY,
            plan_rows.actions,
            by_id=True,
        ),
        Collection(
            "action_plan_counts",
            "Open actions by theme at each date of the Composite Action Plan",
            plan_rows.THEME_COUNT_FIELDS,
            ("cycle_id", "theme", "on_date"),
            EVERY_SCOPE,
            plan_rows.theme_counts,
        ),
    )
}


def collections_for(token_scope: TokenScope) -> list[Collection]:
    return [c for c in COLLECTIONS.values() if token_scope in c.scopes]


def collection_for(token_scope: TokenScope, name: str) -> Collection | None:
    """The collection, if the token's scope reads it; otherwise as if it did not exist."""
    collection = COLLECTIONS.get(name)
    return collection if collection is not None and token_scope in collection.scopes else None


def scope_for(session: Session, *, reader: Reader, cycle: str | None = None) -> Scope | None:
    """The token's scope, narrowed to one of its partnership's cycles (by id or slug) if asked;
    None for a cycle that is not the partnership's, as if it did not exist."""
    scope = Scope(reader.partnership_id, reader.scope)
    if cycle is None:
        return scope
    condition = Cycle.slug == cycle
    if cycle.isdigit() and len(cycle) < 12:
        condition = or_(condition, Cycle.id == int(cycle))
    found = session.scalar(
        select(Cycle.id).where(condition, Cycle.id.in_(own_cycles(scope))).limit(1)
    )
    return Scope(reader.partnership_id, reader.scope, found) if found is not None else None


def one_row(session: Session, *, scope: Scope, collection: Collection, row_id: int) -> Row | None:
    """One row by its id, if the token reads it; another partnership's is not found."""
    if not collection.by_id:
        return None
    for key, row in collection.read(session, scope, (row_id - 1,)):
        return row if key == (row_id,) else None
    return None


__all__ = ["COLLECTIONS", "Collection", "Field", "FieldType", "Key", "Row", "Scope"]
