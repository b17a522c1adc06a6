"""The meeting: its agenda, the scores side by side and the ratings the panel agrees.
Never lets anyone but the session's chair or a coordinator run it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.db import aware, utcnow
from app.directory.models import Person
from app.notifications.mail import Email
from app.panels.models import AgreedRating, PanelScore, PanelSession, PanelSlot
from app.panels.reading import PanelReturn, ScoredItem
from app.panels.scoring import scores_of, sees_colleagues, sheets_of
from app.panels.sessions import (
    Member,
    PanelError,
    coordinated_by,
    members_of,
    record_session_event,
    refuse_if_cancelled,
)
from app.questionnaires.schema import LevelColour


@dataclass(frozen=True)
class MemberScore:
    """One member's score of an item as the viewer may see it: a sheet not yet submitted is
    its author's alone, so a colleague gets only whether it is submitted."""

    member: Member
    submitted: bool
    score: PanelScore | None  # None: not scored, or not the viewer's to see


@dataclass(frozen=True)
class ModerationRow:
    item: ScoredItem
    ratings: list[MemberScore]  # each member's, in the members' order
    spread: int | None  # max − min, in steps of the scale, of submitted scores and self-rating
    agreed: AgreedRating | None

    @property
    def needs_recommendation(self) -> bool:
        level = self.item.level(self.agreed.rating) if self.agreed else None
        return level is not None and level.colour is LevelColour.RED


def moderation(session: Session, target: PanelReturn, viewer: Person) -> list[ModerationRow]:
    """Each scored item with the members' scores beside the self-rating, the widest
    disagreement first; items alike keep the questionnaire's order.

    A member's scores and notes are theirs alone until they submit them (HotCRP's rule); after
    that colleagues see them once they may see colleagues' at all (`sees_colleagues`). The
    spread, and so the order, counts submitted scores only, and is kept from a viewer who may
    not see colleagues' scores yet (an order would tell them where the panel disagrees)."""
    return_id = target.view.agency_return.id
    scores = scores_of(session, return_id=return_id)
    submitted = sheets_of(session, return_id=return_id)
    colleagues = sees_colleagues(session, target, viewer)
    agreed = agreed_of(session, return_id=return_id)
    rows = []
    for item in target.items:
        ratings = []
        for member in target.members:
            score = scores.get(member.person_id, {}).get(item.key)
            done = member.person_id in submitted
            visible = member.person_id == viewer.id or (done and colleagues)
            ratings.append(MemberScore(member, done, score if visible else None))
        steps = item.spread_index
        given = [
            steps[s.rating]
            for person_id, by_item in scores.items()
            if person_id in submitted
            and (s := by_item.get(item.key)) is not None
            and s.rating in steps
        ]
        if item.self_rating in steps:
            given.append(steps[item.self_rating])  # type: ignore[index]
        spread = max(given) - min(given) if len(given) > 1 and colleagues else None
        rows.append(ModerationRow(item, ratings, spread, agreed.get(item.key)))
    order = {row.item.key: index for index, row in enumerate(rows)}
    return sorted(
        rows, key=lambda r: (-(r.spread if r.spread is not None else -1), order[r.item.key])
    )


def not_yet_submitted(session: Session, target: PanelReturn) -> list[Member]:
    """The members who have not submitted their scores of the return."""
    submitted = sheets_of(session, return_id=target.view.agency_return.id)
    return [m for m in target.members if m.person_id not in submitted]


def remind_to_submit(
    session: Session, *, target: PanelReturn, actor: Person, base_url: str
) -> list[Email]:
    """The chair (or a coordinator) reminds the members who have not submitted their scores."""
    if not runs_meeting(actor, target.panel):
        raise PanelError("Only the panel's chair or a coordinator reminds members")
    waiting = not_yet_submitted(session, target)
    name = target.view.agency.name
    link = f"{base_url.rstrip('/')}/panels/returns/{target.view.agency_return.id}/scores"
    emails = [
        Email(
            to=member.email,
            subject=f"Please submit your scores for {name}",
            body=(
                f"Hello {member.name},\n\n{actor.name}, for {target.panel.title}, asks you to "
                f"submit your scores of {name}'s return. Until you submit them, your "
                "colleagues do not see them and they do not count in the moderation.\n\n"
                f"Your scores: {link}\n"
            ),
        )
        for member in waiting
    ]
    audit_service.record_event(
        session,
        actor=actor,
        action="panel_scores_reminded",
        object_type="return",
        object_id=target.view.agency_return.id,
        detail={"members": [m.person_id for m in waiting]},
    )
    return emails


def agreed_of(session: Session, *, return_id: int) -> dict[str, AgreedRating]:
    return {
        a.item: a
        for a in session.scalars(select(AgreedRating).where(AgreedRating.return_id == return_id))
    }


def agree_ratings(
    session: Session,
    *,
    target: PanelReturn,
    agreed: dict[str, tuple[int | None, str]],
    actor: Person,
) -> dict[str, str]:
    """The chair records what the panel agreed, item key → (rating, notes); changeable until
    feedback. Returns each item's problem; nothing is saved unless every item is right."""
    if not target.is_chair:
        raise PanelError("Only the panel's chair records the agreed ratings")
    if not target.open:
        raise PanelError("Feedback has been issued: the agreed ratings can no longer change")
    items = {item.key: item for item in target.items}
    problems = {}
    for key, (rating, _notes) in agreed.items():
        if key not in items:
            raise PanelError("That item is not scored in this return")
        if rating is None or items[key].level(rating) is None:
            problems[key] = f"Choose the agreed rating for {items[key].title} from its scale"
    if problems:
        return problems
    return_id = target.view.agency_return.id
    kept = agreed_of(session, return_id=return_id)
    for key, (rating, notes) in agreed.items():
        row = kept.get(key)
        if row is None:
            row = AgreedRating(return_id=return_id, item=key)
            session.add(row)
        row.rating = rating  # type: ignore[assignment]
        row.notes = notes.strip()
        row.agreed_by_id = actor.id
        row.agreed_at = utcnow()
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="panel_ratings_agreed",
        object_type="return",
        object_id=return_id,
        detail={key: rating for key, (rating, _notes) in agreed.items()},
    )
    return {}


def runs_meeting(person: Person, panel: PanelSession) -> bool:
    """The chair starts the meeting; a coordinator may, when the chair cannot."""
    return panel.chair_id == person.id or panel.partnership_id in coordinated_by(person)


def start_meeting(session: Session, *, panel: PanelSession, actor: Person) -> None:
    refuse_if_cancelled(panel)
    if panel.started_at is None:
        panel.started_at = utcnow()
        session.flush()
        record_session_event(session, actor, "panel_meeting_started", panel)


@dataclass(frozen=True)
class Agenda:
    current: PanelSlot | None
    minutes_left: int | None  # of the current slot
    next: PanelSlot | None


def agenda(slots: list[PanelSlot], now: datetime | None = None) -> Agenda:
    """Where the meeting is: the slot under way, the time left in it, and the next one."""
    now = now or utcnow()
    booked = [s for s in slots if s.return_id is not None]
    current = next((s for s in booked if aware(s.starts_at) <= now < aware(s.ends_at)), None)
    upcoming = [s for s in booked if aware(s.starts_at) > now]
    left = None
    if current is not None:
        left = int((aware(current.ends_at) - now).total_seconds() // 60)
    return Agenda(current, left, upcoming[0] if upcoming else None)


def session_to_follow(session: Session, *, person: Person, session_id: int) -> PanelSession | None:
    """A session for its members and for its partnership's coordinators."""
    panel = session.get(PanelSession, session_id)
    if panel is None or panel.cancelled_at is not None:
        return None
    if panel.partnership_id in coordinated_by(person):
        return panel
    if any(m.person_id == person.id for m in members_of(session, panel)):
        return panel
    return None
