"""Ratings in the feed: per received return and rated item, the agency's self-rating and the
agreed rating; and each panel member's rating, only from a score sheet they have submitted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.api import sources
from app.api.rows import (
    BATCH,
    MOMENT,
    NUMBER,
    TEXT,
    Field,
    Key,
    Row,
    Scope,
    after_key,
    fields_of,
    returns_in,
    stream,
    utc,
)
from app.directory.models import Person
from app.panels.models import AgreedRating, PanelScore, ScoreSheet
from app.returns.models import AgencyReturn, Answer

# Ratings: a row per received return and rated item -------------------------------------------

RATING_FIELDS = (
    Field("return_id", NUMBER, nullable=False),
    Field("position", NUMBER, nullable=False),
    *fields_of(
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
            returns_in(scope),
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


def ratings(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
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

PANEL_RATING_FIELDS = fields_of(
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


def panel_ratings(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
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
            returns_in(scope),
            AgencyReturn.status.in_(sources.RECEIVED),
            after_key(PanelScore.id, after),
        )
    ).order_by(PanelScore.id)
    plans: dict[int, tuple[sources.Plan, dict[str, dict[int, str]]]] = {}
    for sid, rid, cycle_id, agency_id, item, person_id, name, rating, at, version_id in stream(
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
                "submitted_at": utc(at),
            },
        )
