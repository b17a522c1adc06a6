"""What a panel member reads before the meeting: their sessions, the returns booked into
them and last year's agreed ratings. Never shows a return the member has an interest in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cycle_models import Cycle
from app.db import aware, utcnow
from app.directory.models import Agency, Partnership, Person
from app.panels.booking import booked_returns
from app.panels.conflicts import conflicts_between
from app.panels.models import AgreedRating, PanelMember, PanelSession, PanelSlot, ScoreSheet
from app.panels.sessions import Member, coordinated_by, meeting_started, members_of, slots_of
from app.questionnaires.rendering import levels_for
from app.questionnaires.rules import is_shown
from app.questionnaires.schema import Level
from app.returns import last_year
from app.returns import service as returns_service
from app.returns.models import AgencyReturn, ReturnStatus


@dataclass(frozen=True)
class ScoredItem:
    """A question or section the panel scores, on its scale, beside the agency's own rating."""

    key: str
    title: str
    levels: list[Level]
    self_rating: int | None

    def level(self, rating: int | None) -> Level | None:
        return next((level for level in self.levels if level.value == rating), None)

    @property
    def spread_index(self) -> dict[int, int]:
        return {level.value: index for index, level in enumerate(self.levels)}


def scored_items(view: returns_service.ReturnView) -> list[ScoredItem]:
    """The items of the return the panel scores: sections, then their shown questions."""
    questionnaire = view.questionnaire
    values = view.values
    items = []
    for section in questionnaire.sections:
        if section.scored_by_panel and section.scale in questionnaire.scales:
            levels = questionnaire.scales[section.scale].all_levels()
            items.append(ScoredItem(f"section:{section.id}", section.title, levels, None))
        for question in section.questions:
            if not question.scored_by_panel or not levels_for(questionnaire, question):
                continue
            if not is_shown(question, agency=view.agency, values=values):
                continue
            own = values.get(question.id) if question.type == "rating" else None  # type: ignore[attr-defined]
            items.append(
                ScoredItem(
                    f"question:{question.id}",
                    question.label,
                    levels_for(questionnaire, question),
                    own if isinstance(own, int) and not isinstance(own, bool) else None,
                )
            )
    return items


@dataclass
class PanelReturn:
    """A return as a panel sees it, fetched only through `panel_return_for`."""

    view: returns_service.ReturnView
    panel: PanelSession
    slot: PanelSlot
    is_member: bool  # sits on the session, so scores it
    is_chair: bool
    members: list[Member]

    @property
    def open(self) -> bool:
        """Still at panel: scores, agreed ratings and recommendations may change."""
        return self.view.agency_return.status is ReturnStatus.AT_PANEL

    @cached_property
    def items(self) -> list[ScoredItem]:
        return scored_items(self.view)


# A session a member sits on, each slot with its agency and whether they have an interest.
MySession = tuple[PanelSession, list[tuple[PanelSlot, Agency | None, bool]]]


def my_sessions(session: Session, *, person: Person) -> list[MySession]:
    """The sessions the person sits on, soonest first, each slot with its agency and whether
    the person has an interest in it (then they do not read it)."""
    panels = list(
        session.scalars(
            select(PanelSession)
            .join(PanelMember, PanelMember.session_id == PanelSession.id)
            .where(PanelMember.person_id == person.id, PanelSession.cancelled_at.is_(None))
            .order_by(PanelSession.starts_at)
        )
    )
    result = []
    for panel in panels:
        slots = slots_of(session, panel)
        booked = booked_returns(session, slots)
        agency_of = {
            m.person_id: m.agency_id for m in members_of(session, panel) if m.person_id == person.id
        }
        conflicted = {
            c.agency_id
            for c in conflicts_between(
                session, members=agency_of, agency_ids={a.id for _, a in booked.values()}
            )
        }
        rows = []
        for slot in slots:
            agency = booked[slot.id][1] if slot.id in booked else None
            rows.append((slot, agency, agency is not None and agency.id in conflicted))
        result.append((panel, rows))
    return result


def upcoming_and_past(
    sessions: list[MySession], *, now: datetime | None = None
) -> tuple[list[MySession], list[MySession]]:
    """A member's sessions still to come or under way, soonest first, and those that have
    ended, latest first: last year's panel should not sit above next week's."""
    now = now or utcnow()
    upcoming = [entry for entry in sessions if aware(entry[0].ends_at) >= now]
    past = [entry for entry in sessions if aware(entry[0].ends_at) < now]
    return upcoming, past[::-1]


def panel_return_for(session: Session, *, person: Person, return_id: int) -> PanelReturn | None:
    """A booked return, for a member of its session without an interest in the agency, or a
    coordinator of the partnership running the session; anyone else finds nothing."""
    row = session.execute(
        select(PanelSlot, PanelSession)
        .join(PanelSession, PanelSession.id == PanelSlot.session_id)
        .where(PanelSlot.return_id == return_id, PanelSession.cancelled_at.is_(None))
    ).first()
    if row is None:
        return None
    slot, panel = row
    members = members_of(session, panel)
    me = next((m for m in members if m.person_id == person.id), None)
    agency_return = session.get(AgencyReturn, return_id)
    assert agency_return is not None
    if me is not None and conflicts_between(
        session, members={me.person_id: me.agency_id}, agency_ids={agency_return.agency_id}
    ):
        me = None
    coordinating = panel.partnership_id in coordinated_by(person)
    if me is None and not coordinating:
        return None
    return PanelReturn(
        view=returns_service.view_of(session, agency_return),
        panel=panel,
        slot=slot,
        is_member=me is not None,
        is_chair=me is not None and me.is_chair,
        members=members,
    )


def returns_to_read(
    session: Session, *, person: Person, cycle: Cycle, partnership: Partnership
) -> dict[int, bool]:
    """The returns booked into the partnership's sessions of the cycle that the person sits
    on, less any agency they have an interest in, each with whether they may see colleagues'
    scores of it yet (the rule of `sees_colleagues`, for many returns at once)."""
    rows = session.execute(
        select(PanelSlot, PanelSession, PanelMember.agency_id, AgencyReturn.agency_id)
        .join(PanelSession, PanelSession.id == PanelSlot.session_id)
        .join(
            PanelMember,
            (PanelMember.session_id == PanelSession.id) & (PanelMember.person_id == person.id),
        )
        .join(AgencyReturn, AgencyReturn.id == PanelSlot.return_id)
        .where(
            PanelSession.cycle_id == cycle.id,
            PanelSession.partnership_id == partnership.id,
            PanelSession.cancelled_at.is_(None),
        )
    ).all()
    if not rows:
        return {}
    # A member may sit for different agencies in different sessions: their interests differ.
    conflicted: set[tuple[int | None, int]] = set()
    for sits_for in {row[2] for row in rows}:
        found = conflicts_between(
            session,
            members={person.id: sits_for},
            agency_ids={row[3] for row in rows if row[2] == sits_for},
        )
        conflicted |= {(sits_for, c.agency_id) for c in found}
    submitted = set(
        session.scalars(
            select(ScoreSheet.return_id).where(
                ScoreSheet.person_id == person.id,
                ScoreSheet.return_id.in_([row[0].return_id for row in rows]),
            )
        )
    )
    return {
        slot.return_id: meeting_started(panel, slot) or slot.return_id in submitted
        for slot, panel, sits_for, agency_id in rows
        if (sits_for, agency_id) not in conflicted
    }


def last_years_agreed(session: Session, target: PanelReturn) -> dict[str, str]:
    """Last cycle's agreed rating of each item scored again, as its label."""
    last = last_year.previous_return(session, view=target.view)
    if last is None:
        return {}
    then = {item.key: item for item in scored_items(last)}
    shown = {}
    for agreed in session.scalars(
        select(AgreedRating).where(AgreedRating.return_id == last.agency_return.id)
    ):
        level = then[agreed.item].level(agreed.rating) if agreed.item in then else None
        if level is not None:
            shown[agreed.item] = level.label
    return shown
