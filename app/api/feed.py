"""The feed's collections: a partnership's cycles, agencies, returns, ratings, recommendations,
actions and Composite Action Plan counts, as rows in a fixed order, read a batch at a time.

Never a row of another partnership, a draft's ratings, a score from a sheet not yet
submitted, an evidence file, an email address or an answer's text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from app.actions.models import Recommendation
from app.api import sources
from app.api.models import TokenScope
from app.api.tokens import Reader
from app.cycles.models import Cycle, CyclePartnership
from app.db import aware
from app.directory.models import Agency, Partnership, PartnershipAgency, Person
from app.panels.models import AgreedRating, PanelScore, ScoreSheet
from app.questionnaires.models import QuestionnaireVersion
from app.returns.models import AgencyReturn, Answer, ReturnStatus

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


def _fields(*pairs: tuple[str, FieldType]) -> tuple[Field, ...]:
    return tuple(Field(name, kind, nullable=name != "id") for name, kind in pairs)


def _utc(moment: datetime | None) -> datetime | None:
    return aware(moment) if moment is not None else None


def _stream(session: Session, query: Select[Any]) -> Iterator[Any]:
    """A query's rows a batch at a time, closed however far the reader gets."""
    result = session.execute(query.execution_options(yield_per=BATCH))
    try:
        yield from result
    finally:
        result.close()


def _own_agencies(scope: Scope) -> Select[tuple[int]]:
    return select(PartnershipAgency.agency_id).where(
        PartnershipAgency.partnership_id == scope.partnership_id
    )


def _own_cycles(scope: Scope) -> Select[tuple[int]]:
    query = select(CyclePartnership.cycle_id).where(
        CyclePartnership.partnership_id == scope.partnership_id
    )
    if scope.cycle_id is not None:
        query = query.where(CyclePartnership.cycle_id == scope.cycle_id)
    return query


def _returns_in(scope: Scope) -> Any:
    """A condition on AgencyReturn: its cycle is the partnership's, and its agency too. In a
    joint cycle each partnership reads its own agencies' returns and the shared agencies'."""
    return and_(
        AgencyReturn.cycle_id.in_(_own_cycles(scope)),
        AgencyReturn.agency_id.in_(_own_agencies(scope)),
    )


def _after(column: Any, after: Key | None) -> Any:
    return column > after[0] if after else column.is_not(None)


# Cycles ------------------------------------------------------------------------------------

CYCLE_FIELDS = _fields(
    ("id", NUMBER),
    ("slug", TEXT),
    ("name", TEXT),
    ("opens_on", DAY),
    ("deadline_on", DAY),
    ("panel_starts_on", DAY),
    ("panel_ends_on", DAY),
    ("senior_sign_off_required", YES_NO),
    ("joint", YES_NO),
    ("questionnaire", TEXT),
    ("questionnaire_version", TEXT),
)


def _cycles(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
    partners = (
        select(func.count())
        .where(CyclePartnership.cycle_id == Cycle.id)
        .correlate(Cycle)
        .scalar_subquery()
    )
    query = (
        select(Cycle, QuestionnaireVersion.questionnaire_id, QuestionnaireVersion.version, partners)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Cycle.questionnaire_version_id)
        .where(Cycle.id.in_(_own_cycles(scope)), _after(Cycle.id, after))
        .order_by(Cycle.id)
    )
    for cycle, questionnaire, version, partnerships in _stream(session, query):
        yield (
            (cycle.id,),
            {
                "id": cycle.id,
                "slug": cycle.slug,
                "name": cycle.name,
                "opens_on": cycle.opens_on,
                "deadline_on": cycle.deadline_on,
                "panel_starts_on": cycle.panel_starts_on,
                "panel_ends_on": cycle.panel_ends_on,
                "senior_sign_off_required": cycle.senior_sign_off_required,
                "joint": partnerships > 1,
                "questionnaire": questionnaire,
                "questionnaire_version": version,
            },
        )


# Agencies ----------------------------------------------------------------------------------

AGENCY_FIELDS = _fields(
    ("id", NUMBER),
    ("name", TEXT),
    ("sector", TEXT),
    ("sector_label", TEXT),
    ("duty", TEXT),
    ("duty_label", TEXT),
    ("school_or_early_years", YES_NO),
    ("archived", YES_NO),
)
SCHOOLS = ("education", "early_years")


def _agencies(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
    query = (
        select(Agency, PartnershipAgency.archived_at)
        .join(PartnershipAgency, PartnershipAgency.agency_id == Agency.id)
        .where(PartnershipAgency.partnership_id == scope.partnership_id, _after(Agency.id, after))
        .order_by(Agency.id)
    )
    if scope.cycle_id is not None:
        query = query.where(
            Agency.id.in_(
                select(AgencyReturn.agency_id).where(AgencyReturn.cycle_id == scope.cycle_id)
            )
        )
    for agency, archived_at in _stream(session, query):
        yield (
            (agency.id,),
            {
                "id": agency.id,
                "name": agency.name,
                "sector": agency.sector.value,
                "sector_label": agency.sector.label,
                "duty": agency.duty.value,
                "duty_label": agency.duty.label,
                "school_or_early_years": agency.sector.value in SCHOOLS,
                "archived": archived_at is not None,
            },
        )


# Returns -----------------------------------------------------------------------------------

RETURN_FIELDS = _fields(
    ("id", NUMBER),
    ("cycle_id", NUMBER),
    ("cycle_slug", TEXT),
    ("agency_id", NUMBER),
    ("agency_name", TEXT),
    ("sector", TEXT),
    ("status", TEXT),
    ("status_label", TEXT),
    ("received", YES_NO),
    ("invited_at", MOMENT),
    ("submitted_at", MOMENT),
    ("signed_off_at", MOMENT),
    ("signed_off_name", TEXT),
    ("signed_off_role", TEXT),
    ("deadline_on", DAY),
    ("deadline_extended", YES_NO),
)


def _returns(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
    query = (
        select(
            AgencyReturn.id,
            AgencyReturn.cycle_id,
            Cycle.slug,
            AgencyReturn.agency_id,
            Agency.name,
            Agency.sector,
            AgencyReturn.status,
            AgencyReturn.invited_at,
            AgencyReturn.submitted_at,
            AgencyReturn.signed_off_at,
            AgencyReturn.signed_off_name,
            AgencyReturn.signed_off_role,
            Cycle.deadline_on,
            AgencyReturn.deadline_extended_to,
        )
        .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(_returns_in(scope), _after(AgencyReturn.id, after))
        .order_by(AgencyReturn.id)
    )
    received = set(sources.RECEIVED)
    for row in _stream(session, query):
        (rid, cycle_id, slug, agency_id, agency, sector, status, invited, submitted) = row[:9]
        signed_at, signed_name, signed_role, deadline, extended = row[9:]
        yield (
            (rid,),
            {
                "id": rid,
                "cycle_id": cycle_id,
                "cycle_slug": slug,
                "agency_id": agency_id,
                "agency_name": agency,
                "sector": sector.value,
                "status": status.value,
                "status_label": status.label,
                "received": status in received,
                "invited_at": _utc(invited),
                "submitted_at": _utc(submitted),
                "signed_off_at": _utc(signed_at),
                "signed_off_name": signed_name,
                "signed_off_role": signed_role,
                "deadline_on": extended or deadline,
                "deadline_extended": extended is not None,
            },
        )


# Ratings: a row per received return and rated item -------------------------------------------

RATING_FIELDS = (
    Field("return_id", NUMBER, nullable=False),
    Field("position", NUMBER, nullable=False),
    *_fields(
        ("cycle_id", NUMBER),
        ("agency_id", NUMBER),
        ("status", TEXT),
        ("item", TEXT),
        ("item_title", TEXT),
        ("section_title", TEXT),
        ("self_rating", NUMBER),
        ("self_rating_label", TEXT),
        ("agreed_rating", NUMBER),
        ("agreed_rating_label", TEXT),
        ("panel_members_rated", NUMBER),
    ),
)


@dataclass(frozen=True)
class _Item:
    key: str
    title: str
    section: str
    self_rated: bool


def _items(plan: sources.Plan) -> list[_Item]:
    """A version's rated items in the questionnaire's order: a section the panel rates as a
    whole, then its questions rated by the panel or by the agency itself."""
    scored, self_rated = set(plan.scored_keys()), set(plan.self_rated_keys())
    items = []
    for section in plan.questionnaire.sections:
        key = sources.section_key(section.id)
        if key in scored:
            items.append(_Item(key, plan.item_title(key), section.title, False))
        for question in section.questions:
            key = sources.question_key(question.id)
            if key in scored or key in self_rated:
                items.append(_Item(key, question.label, section.title, key in self_rated))
    return items


def _received_returns(scope: Scope, after_return: int) -> Select[Any]:
    return (
        select(
            AgencyReturn.id,
            AgencyReturn.cycle_id,
            AgencyReturn.agency_id,
            AgencyReturn.status,
            AgencyReturn.questionnaire_version_id,
        )
        .where(
            _returns_in(scope),
            AgencyReturn.status.in_(sources.RECEIVED),
            AgencyReturn.id >= after_return,
        )
        .order_by(AgencyReturn.id)
    )


def _labels(plan: sources.Plan) -> dict[str, dict[int, str]]:
    """Each rated item's levels by value, as their labels: looked up once a row."""
    return {
        key: {level.value: level.label for level in levels} for key, levels in plan.levels.items()
    }


def _label(labels: dict[str, dict[int, str]], key: str, value: int | None) -> str | None:
    return labels.get(key, {}).get(value) if value is not None else None


def _ratings(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
    """From a fixed number of queries per batch of returns, whatever the questionnaire."""
    plans: dict[int, tuple[dict[str, dict[int, str]], list[_Item]]] = {}
    start = after[0] if after else 0
    size = 16  # a page of JSON needs a few dozen returns: read more only as more are read
    while True:
        batch = session.execute(_received_returns(scope, start).limit(size)).all()
        size = min(size * 2, BATCH)
        if not batch:
            return
        missing = {row[4] for row in batch} - plans.keys()
        for version_id, plan in sources.plans_of(session, missing).items():
            plans[version_id] = (_labels(plan), _items(plan))
        ids = [row[0] for row in batch]
        rated_questions = sorted(
            {
                item.key.partition(":")[2]
                for _plan, items in plans.values()
                for item in items
                if item.self_rated
            }
        )
        self_ratings: dict[tuple[int, str], object] = {}
        if rated_questions:
            for rid, question_id, value in session.execute(
                select(Answer.return_id, Answer.question_id, Answer.value).where(
                    Answer.return_id.in_(ids), Answer.question_id.in_(rated_questions)
                )
            ):
                self_ratings[(rid, sources.question_key(question_id))] = value
        agreed = {
            (rid, item): rating
            for rid, item, rating in session.execute(
                select(AgreedRating.return_id, AgreedRating.item, AgreedRating.rating).where(
                    AgreedRating.return_id.in_(ids)
                )
            )
        }
        members = _submitted_counts(session, ids)
        for rid, cycle_id, agency_id, status, version_id in batch:
            labels, items = plans[version_id]
            for position, item in enumerate(items):
                if after is not None and (rid, position) <= after:
                    continue
                own = self_ratings.get((rid, item.key)) if item.self_rated else None
                own = own if type(own) is int else None  # "not applicable" rates nothing
                given = agreed.get((rid, item.key))
                yield (
                    (rid, position),
                    {
                        "return_id": rid,
                        "position": position,
                        "cycle_id": cycle_id,
                        "agency_id": agency_id,
                        "status": status.value,
                        "item": item.key,
                        "item_title": item.title,
                        "section_title": item.section,
                        "self_rating": own,
                        "self_rating_label": _label(labels, item.key, own),
                        "agreed_rating": given,
                        "agreed_rating_label": _label(labels, item.key, given),
                        "panel_members_rated": members.get((rid, item.key), 0),
                    },
                )
        start = ids[-1] + 1


def _submitted(query: Select[Any]) -> Select[Any]:
    """Only scores from a sheet its member has submitted: a draft is nobody else's business."""
    return query.join(
        ScoreSheet,
        (ScoreSheet.return_id == PanelScore.return_id)
        & (ScoreSheet.person_id == PanelScore.person_id),
    ).where(PanelScore.rating.is_not(None))


def _submitted_counts(session: Session, ids: list[int]) -> dict[tuple[int, str], int]:
    query = _submitted(
        select(PanelScore.return_id, PanelScore.item, func.count()).where(
            PanelScore.return_id.in_(ids)
        )
    ).group_by(PanelScore.return_id, PanelScore.item)
    return {(rid, item): count for rid, item, count in session.execute(query)}


# Each panel member's own rating ------------------------------------------------------------

PANEL_RATING_FIELDS = _fields(
    ("id", NUMBER),
    ("return_id", NUMBER),
    ("cycle_id", NUMBER),
    ("agency_id", NUMBER),
    ("item", TEXT),
    ("item_title", TEXT),
    ("panel_member_id", NUMBER),
    ("panel_member", TEXT),
    ("rating", NUMBER),
    ("rating_label", TEXT),
    ("submitted_at", MOMENT),
)


def _panel_ratings(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
    query = _submitted(
        select(
            PanelScore.id,
            PanelScore.return_id,
            AgencyReturn.cycle_id,
            AgencyReturn.agency_id,
            PanelScore.item,
            PanelScore.person_id,
            Person.name,  # the member's name as the chair sees it; never their address
            PanelScore.rating,
            ScoreSheet.submitted_at,
            AgencyReturn.questionnaire_version_id,
        )
        .join(AgencyReturn, AgencyReturn.id == PanelScore.return_id)
        .join(Person, Person.id == PanelScore.person_id)
        .where(
            _returns_in(scope),
            AgencyReturn.status.in_(sources.RECEIVED),
            _after(PanelScore.id, after),
        )
    ).order_by(PanelScore.id)
    plans: dict[int, tuple[sources.Plan, dict[str, dict[int, str]]]] = {}
    for sid, rid, cycle_id, agency_id, item, person_id, name, rating, at, version_id in _stream(
        session, query
    ):
        if version_id not in plans:
            for found_id, found in sources.plans_of(session, {version_id}).items():
                plans[found_id] = (found, _labels(found))
        plan, labels = plans[version_id]
        yield (
            (sid,),
            {
                "id": sid,
                "return_id": rid,
                "cycle_id": cycle_id,
                "agency_id": agency_id,
                "item": item,
                "item_title": plan.item_title(item),
                "panel_member_id": person_id,
                "panel_member": name,
                "rating": rating,
                "rating_label": _label(labels, item, rating),
                "submitted_at": _utc(at),
            },
        )


# Recommendations ---------------------------------------------------------------------------

RECOMMENDATION_FIELDS = _fields(
    ("id", NUMBER),
    ("return_id", NUMBER),
    ("cycle_id", NUMBER),
    ("agency_id", NUMBER),
    ("agency_name", TEXT),
    ("item", TEXT),
    ("worry_statement", TEXT),
    ("safety_goal", TEXT),
    ("next_steps", TEXT),
    ("priority", TEXT),
    ("theme", TEXT),
    ("created_at", MOMENT),
)


def _recommendations(
    session: Session, scope: Scope, after: Key | None
) -> Iterator[tuple[Key, Row]]:
    """Recommendations once feedback is issued: before then they are the panel's draft."""
    query = (
        select(Recommendation, AgencyReturn.cycle_id, AgencyReturn.agency_id, Agency.name)
        .join(AgencyReturn, AgencyReturn.id == Recommendation.return_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(
            _returns_in(scope),
            AgencyReturn.status.in_(sources.AFTER_FEEDBACK),
            _after(Recommendation.id, after),
        )
        .order_by(Recommendation.id)
    )
    for recommendation, cycle_id, agency_id, agency in _stream(session, query):
        yield (
            (recommendation.id,),
            {
                "id": recommendation.id,
                "return_id": recommendation.return_id,
                "cycle_id": cycle_id,
                "agency_id": agency_id,
                "agency_name": agency,
                "item": recommendation.item,
                "worry_statement": recommendation.worry_statement,
                "safety_goal": recommendation.safety_goal,
                "next_steps": recommendation.next_steps,
                "priority": recommendation.priority,
                "theme": recommendation.theme,
                "created_at": _utc(recommendation.created_at),
            },
        )


# Actions and the Composite Action Plan -------------------------------------------------------

ACTION_FIELDS = _fields(
    ("id", NUMBER),
    ("cycle_id", NUMBER),
    ("source", TEXT),
    ("agency_id", NUMBER),
    ("agency_name", TEXT),
    ("return_id", NUMBER),
    ("recommendation_id", NUMBER),
    ("description", TEXT),
    ("owner", TEXT),
    ("due_on", DAY),
    ("status", TEXT),
    ("status_label", TEXT),
    ("theme", TEXT),
    ("priority", TEXT),
    ("success_measure", TEXT),
    ("latest_progress", TEXT),
    ("latest_progress_at", MOMENT),
)


def _cycles_of(session: Session, scope: Scope) -> tuple[Partnership, list[Cycle]]:
    partnership = session.get(Partnership, scope.partnership_id)
    assert partnership is not None
    cycles = session.scalars(
        select(Cycle).where(Cycle.id.in_(_own_cycles(scope))).order_by(Cycle.id)
    )
    return partnership, list(cycles)


def _actions(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
    """The Composite Action Plan's actions, as its page lists them: agreed agency plans'
    actions and the partnership's own items. Tens a cycle, so read a cycle at a time."""
    partnership, cycles = _cycles_of(session, scope)
    today = date.today()
    rows: list[tuple[Key, Row]] = []
    for cycle in cycles:
        plan = sources.composite_plan(session, cycle=cycle, partnership=partnership)
        for item in plan.items:
            action = item.action
            if after is not None and (action.id,) <= after:
                continue
            shown = sources.shown_status(action, today)
            recommendation = item.recommendation
            latest = plan.latest.get(action.id)
            rows.append(
                (
                    (action.id,),
                    {
                        "id": action.id,
                        "cycle_id": cycle.id,
                        "source": action.source.value,
                        "agency_id": item.agency.id if item.agency else None,
                        "agency_name": item.agency.name if item.agency else None,
                        "return_id": item.return_id,
                        "recommendation_id": recommendation.id if recommendation else None,
                        "description": action.description,
                        "owner": action.owner,
                        "due_on": action.due_on,
                        "status": shown.key,
                        "status_label": shown.label,
                        "theme": item.theme,
                        "priority": item.priority,
                        "success_measure": action.success_measure,
                        "latest_progress": latest.note if latest else None,
                        "latest_progress_at": _utc(latest.made_at) if latest else None,
                    },
                )
            )
    yield from sorted(rows, key=lambda pair: pair[0])


THEME_COUNT_FIELDS = (
    Field("cycle_id", NUMBER, nullable=False),
    Field("theme", TEXT, nullable=False),
    Field("on_date", DAY, nullable=False),
    Field("open_actions", NUMBER),
)


def _theme_counts(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
    """Open actions under each theme at the end of the dates the Composite Action Plan's page
    offers first (the panels' end, every six months after, today), read from the history."""
    partnership, cycles = _cycles_of(session, scope)
    today = date.today()
    for cycle in cycles:
        if after is not None and cycle.id < after[0]:
            continue
        plan = sources.composite_plan(session, cycle=cycle, partnership=partnership)
        dates = sources.default_dates(cycle, today)
        counts, _totals = sources.open_by_theme(session, plan=plan, dates=dates)
        for t, row in enumerate(counts):
            for d, day in enumerate(dates):
                key = (cycle.id, t, d)
                if after is not None and key <= after:
                    continue
                yield (
                    key,
                    {
                        "cycle_id": cycle.id,
                        "theme": row.theme or "No theme",
                        "on_date": day,
                        "open_actions": row.open_at[d],
                    },
                )


# The collections ------------------------------------------------------------------------------

EVERY_SCOPE = frozenset(TokenScope)
ROUND_ONLY = frozenset({TokenScope.ROUND})

COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection(
            "cycles",
            "The cycles (years) the partnership takes part in",
            CYCLE_FIELDS,
            ("id",),
            EVERY_SCOPE,
            _cycles,
            by_id=True,
        ),
        Collection(
            "agencies",
            "The partnership's agencies, with sector and duty",
            AGENCY_FIELDS,
            ("id",),
            EVERY_SCOPE,
            _agencies,
            by_id=True,
        ),
        Collection(
            "returns",
            "Each agency's return: status, dates, sign-off and deadline",
            RETURN_FIELDS,
            ("id",),
            EVERY_SCOPE,
            _returns,
            by_id=True,
        ),
        Collection(
            "ratings",
            "Per received return and rated item: self-rating, agreed rating, members rated",
            RATING_FIELDS,
            ("return_id", "position"),
            EVERY_SCOPE,
            _ratings,
        ),
        Collection(
            "panel_ratings",
            "Each panel member's rating, from score sheets they have submitted",
            PANEL_RATING_FIELDS,
            ("id",),
            ROUND_ONLY,
            _panel_ratings,
        ),
        Collection(
            "recommendations",
            "The panel's recommendations once feedback is issued",
            RECOMMENDATION_FIELDS,
            ("id",),
            ROUND_ONLY,
            _recommendations,
            by_id=True,
        ),
        Collection(
            "actions",
            "The Composite Action Plan's actions, with the latest progress",
            ACTION_FIELDS,
            ("id",),
            ROUND_ONLY,
            _actions,
            by_id=True,
        ),
        Collection(
            "action_plan_counts",
            "Open actions by theme at each date of the Composite Action Plan",
            THEME_COUNT_FIELDS,
            ("cycle_id", "theme", "on_date"),
            EVERY_SCOPE,
            _theme_counts,
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
        select(Cycle.id).where(condition, Cycle.id.in_(_own_cycles(scope))).limit(1)
    )
    return Scope(reader.partnership_id, reader.scope, found) if found is not None else None


def one_row(session: Session, *, scope: Scope, collection: Collection, row_id: int) -> Row | None:
    """One row by its id, if the token reads it; another partnership's is not found."""
    if not collection.by_id:
        return None
    for key, row in collection.read(session, scope, (row_id - 1,)):
        return row if key == (row_id,) else None
    return None


__all__ = ["COLLECTIONS", "Collection", "Field", "FieldType", "ReturnStatus", "Scope"]
