"""What every collection of the feed is made of: typed fields, a token's scope, and the
conditions that keep a query to the token's own partnership, read a batch at a time.

Every query of the feed restricts itself through own_cycles, own_agencies or returns_in here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from app.api.models import TokenScope
from app.cycle_models import CyclePartnership
from app.db import aware
from app.directory.models import PartnershipAgency
from app.returns.models import AgencyReturn

BATCH = 500  # rows (or returns, for ratings) read from the database at a time


class FieldType(StrEnum):
    """A field's type, named as OData's CSDL names it."""

    STRING = "Edm.String"
    INT = "Edm.Int64"
    DATE = "Edm.Date"
    DATETIME = "Edm.DateTimeOffset"
    BOOLEAN = "Edm.Boolean"


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    nullable: bool = True


TEXT, NUMBER, DAY, MOMENT, YES_NO = (
    FieldType.STRING,
    FieldType.INT,
    FieldType.DATE,
    FieldType.DATETIME,
    FieldType.BOOLEAN,
)

Key = tuple[int, ...]  # where a row stands in its collection's order: what a cursor holds
Row = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """What one token reads: its partnership, its scope, and optionally one of its cycles."""

    partnership_id: int
    token_scope: TokenScope
    cycle_id: int | None = None


def fields_of(*pairs: tuple[str, FieldType]) -> tuple[Field, ...]:
    return tuple(Field(name, kind, nullable=name != "id") for name, kind in pairs)


def utc(moment: datetime | None) -> datetime | None:
    return aware(moment) if moment is not None else None


def stream(session: Session, query: Select[Any]) -> Iterator[Any]:
    """A query's rows a batch at a time, closed however far the reader gets."""
    result = session.execute(query.execution_options(yield_per=BATCH))
    try:
        yield from result
    finally:
        result.close()


def own_agencies(scope: Scope) -> Select[tuple[int]]:
    return select(PartnershipAgency.agency_id).where(
        PartnershipAgency.partnership_id == scope.partnership_id
    )


def own_cycles(scope: Scope) -> Select[tuple[int]]:
    query = select(CyclePartnership.cycle_id).where(
        CyclePartnership.partnership_id == scope.partnership_id
    )
    if scope.cycle_id is not None:
        query = query.where(CyclePartnership.cycle_id == scope.cycle_id)
    return query


def returns_in(scope: Scope) -> Any:
    """A condition on AgencyReturn: its cycle is the partnership's, and its agency too. In a
    joint cycle each partnership reads its own agencies' returns and the shared agencies'."""
    return and_(
        AgencyReturn.cycle_id.in_(own_cycles(scope)),
        AgencyReturn.agency_id.in_(own_agencies(scope)),
    )


def after_key(column: Any, after: Key | None) -> Any:
    return column > after[0] if after else column.is_not(None)
