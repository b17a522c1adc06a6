"""Scoring: a member's own ratings, saved as a draft and then submitted. Never shows a member
colleagues' scores before they have submitted theirs or the meeting has started."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.db import utcnow
from app.directory.models import Person
from app.panels.models import PanelScore, ScoreSheet
from app.panels.reading import PanelReturn, ScoredItem
from app.panels.sessions import PanelError, meeting_started


@dataclass(frozen=True)
class ScoreEntry:
    rating: int | None
    strengths: str = ""
    worries: str = ""
    lines_of_enquiry: str = ""


def scores_of(session: Session, *, return_id: int) -> dict[int, dict[str, PanelScore]]:
    """Every member's scores of a return: person id → item key → score."""
    found: dict[int, dict[str, PanelScore]] = {}
    for score in session.scalars(select(PanelScore).where(PanelScore.return_id == return_id)):
        found.setdefault(score.person_id, {})[score.item] = score
    return found


def sheets_of(session: Session, *, return_id: int) -> dict[int, datetime]:
    """When each member submitted their scores of a return, by person id."""
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(ScoreSheet.person_id, ScoreSheet.submitted_at).where(
                ScoreSheet.return_id == return_id
            )
        ).all()
    )


def sees_colleagues(session: Session, target: PanelReturn, person: Person) -> bool:
    """Members see colleagues' scores once they have submitted their own, or once the meeting
    has started; so no one's score leans on anyone else's."""
    if meeting_started(target.panel, target.slot):
        return True
    if not target.is_member:
        return False  # a coordinator waits for the meeting too
    return person.id in sheets_of(session, return_id=target.view.agency_return.id)


def _refuse_unless_scoring(session: Session, target: PanelReturn, person: Person) -> None:
    if not target.is_member:
        raise PanelError("Only the session's members score its returns")
    if person.id in sheets_of(session, return_id=target.view.agency_return.id):
        raise PanelError("You have submitted your scores: they can no longer change")
    if not target.open:
        raise PanelError("Feedback has been issued: scores can no longer change")


def save_scores(
    session: Session, *, target: PanelReturn, person: Person, entries: dict[str, ScoreEntry]
) -> None:
    """Keep a member's draft scores; anything not on the item's scale is refused."""
    _refuse_unless_scoring(session, target, person)
    items = {item.key: item for item in target.items}
    return_id = target.view.agency_return.id
    mine = scores_of(session, return_id=return_id).get(person.id, {})
    for key, entry in entries.items():
        if key not in items:
            raise PanelError("That item is not scored in this return")
        if entry.rating is not None and items[key].level(entry.rating) is None:
            raise PanelError(f"Choose a rating on the scale for {items[key].title}")
    for key, entry in entries.items():
        score = mine.get(key)
        if score is None:
            score = PanelScore(return_id=return_id, person_id=person.id, item=key)
            session.add(score)
        score.rating = entry.rating
        score.strengths = entry.strengths.strip()
        score.worries = entry.worries.strip()
        score.lines_of_enquiry = entry.lines_of_enquiry.strip()
        score.updated_at = utcnow()
    session.flush()


def unrated(session: Session, *, target: PanelReturn, person: Person) -> list[ScoredItem]:
    mine = scores_of(session, return_id=target.view.agency_return.id).get(person.id, {})
    return [i for i in target.items if mine.get(i.key) is None or mine[i.key].rating is None]


def submit_scores(session: Session, *, target: PanelReturn, person: Person) -> None:
    """Submit a member's scores: every item needs a rating; submitting twice is one submission."""
    return_id = target.view.agency_return.id
    if person.id in sheets_of(session, return_id=return_id):
        return
    _refuse_unless_scoring(session, target, person)
    missing = unrated(session, target=target, person=person)
    if missing:
        raise PanelError("Give a rating for " + "; ".join(item.title for item in missing))
    session.add(ScoreSheet(return_id=return_id, person_id=person.id))
    session.flush()
    audit_service.record_event(
        session,
        actor=person,
        action="panel_scores_submitted",
        object_type="return",
        object_id=return_id,
    )
