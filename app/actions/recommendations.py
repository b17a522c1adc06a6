"""Recommendations agreed at a panel: worry statement, safety goal, next steps, priority and
theme. Never writes an agency's actions: plans.py turns recommendations into a plan."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.actions.models import Recommendation
from app.actions.progress import text_problem
from app.audit import service as audit_service
from app.directory.models import Person


@dataclass(frozen=True)
class RecommendationDraft:
    worry_statement: str = ""
    safety_goal: str = ""
    next_steps: str = ""
    priority: str = ""
    theme: str = ""
    item: str = ""  # the scored item it answers, or "" for the return as a whole


def check_recommendation(
    draft: RecommendationDraft, *, priorities: list[str], themes: list[str], items: set[str]
) -> dict[str, str]:
    """Each problem with a recommendation, by field; empty when it may be saved."""
    errors = {}
    for name, words in (
        ("worry_statement", "the worry statement: what worries the panel"),
        ("safety_goal", "the safety goal: what will be happening when the worry has gone"),
        ("next_steps", "the next steps the agency will take"),
    ):
        if problem := text_problem(getattr(draft, name), words):
            errors[name] = problem
    if draft.priority not in priorities:
        errors["priority"] = "Select the partnership priority it belongs to"
    if draft.theme not in themes:
        errors["theme"] = "Select the Composite Action Plan theme it belongs to"
    if draft.item and draft.item not in items:
        errors["item"] = "Select what in the return it is about"
    return errors


def add_recommendation(
    session: Session, *, return_id: int, draft: RecommendationDraft, actor: Person
) -> Recommendation:
    recommendation = Recommendation(
        return_id=return_id,
        item=draft.item or None,
        worry_statement=draft.worry_statement.strip(),
        safety_goal=draft.safety_goal.strip(),
        next_steps=draft.next_steps.strip(),
        priority=draft.priority,
        theme=draft.theme,
        created_by_id=actor.id,
    )
    session.add(recommendation)
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="recommendation_added",
        object_type="return",
        object_id=return_id,
        detail={"recommendation_id": recommendation.id, "priority": draft.priority},
    )
    return recommendation


def remove_recommendation(
    session: Session, *, return_id: int, recommendation_id: int, actor: Person
) -> bool:
    removed = session.execute(
        delete(Recommendation).where(
            Recommendation.id == recommendation_id, Recommendation.return_id == return_id
        )
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        return False
    audit_service.record_event(
        session,
        actor=actor,
        action="recommendation_removed",
        object_type="return",
        object_id=return_id,
        detail={"recommendation_id": recommendation_id},
    )
    return True


def recommendations_of(session: Session, *, return_id: int) -> list[Recommendation]:
    return list(
        session.scalars(
            select(Recommendation)
            .where(Recommendation.return_id == return_id)
            .order_by(Recommendation.id)
        )
    )
