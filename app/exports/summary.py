"""The chair's summary of a round: returns received by sector, red ratings, recommendations
by theme and the change from last year. Never counts a return that was not submitted."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, String, case, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.actions.models import Recommendation
from app.cycle_models import Cycle, CyclePartnership
from app.cycles import listing as round_listing
from app.cycles import progress as round_progress
from app.directory.models import Agency, AgencySector, SchoolPhase, SchoolType
from app.exports.gather import (
    Plan,
    gather_answers,
    plans_of,
    question_key,
    returns_of,
    sections_of,
)
from app.exports.scope import Reader, Scope, in_scope, partnership_names
from app.listing import Listing, Page, page_of_list, read_listing
from app.panels.models import AgreedRating, Feedback
from app.questionnaires.rules import is_shown, questions_read
from app.questionnaires.schema import LevelColour, QuestionBase
from app.returns.models import AgencyReturn, Answer


@dataclass(frozen=True)
class SectorLine:
    label: str
    invited: int
    received: int
    total: bool = False  # a subtotal or the total, not a sector

    @property
    def waiting(self) -> int:
        return self.invited - self.received

    @property
    def percent(self) -> int:
        return round(100 * self.received / self.invited) if self.invited else 0


@dataclass(frozen=True)
class Band:
    """A level of a scale, as charts and tables group ratings by it."""

    label: str
    colour: LevelColour


@dataclass(frozen=True)
class Distribution:
    """How many ratings fell at each level, section by section."""

    bands: list[Band]
    rows: list[tuple[str, list[int]]]  # section title, count at each band

    @property
    def most(self) -> int:
        return max((sum(counts) for _title, counts in self.rows), default=0)


@dataclass(frozen=True)
class AgencyReds:
    agency: str
    sector: str
    red: int
    agreed: int


@dataclass(frozen=True)
class RecommendationTable:
    priorities: list[str]
    themes: list[str]
    counts: dict[tuple[str, str], int]

    def count(self, priority: str, theme: str) -> int:
        return self.counts.get((priority, theme), 0)

    def by_priority(self, priority: str) -> int:
        return sum(n for (p, _t), n in self.counts.items() if p == priority)

    def by_theme(self, theme: str) -> int:
        return sum(n for (_p, t), n in self.counts.items() if t == theme)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Change:
    """Agreed ratings compared with last cycle's: of those given both years, how many rose,
    held or fell on the scale."""

    name: str
    detail: str  # the agency's sector, or "" for a question
    compared: int
    improved: int
    same: int
    declined: int
    average_then: float | None = None
    average_now: float | None = None


@dataclass(frozen=True)
class YearOnYear:
    previous: Cycle
    agencies: list[Change]
    questions: list[Change]


@dataclass(frozen=True)
class RoundSummary:
    cycle: Cycle
    partnership: str
    received: list[SectorLine]
    agreed: Distribution
    self_rated: Distribution
    most_red: list[AgencyReds]
    recommendations: RecommendationTable
    year_on_year: YearOnYear | None
    returns: int  # received, and so in the figures below the first table


MOST_RED_SHOWN = 10
CHANGE_SORTS = {"name": "Agency name", "declined": "Most declined", "improved": "Most improved"}


def read_change_listing(params: Mapping[str, str]) -> Listing:
    return read_listing(
        params,
        choices=round_listing.choices({"sector"}),
        sorts=tuple(CHANGE_SORTS),
        default_sort="name",
    )


def change_by_agency(year_on_year: YearOnYear, listing: Listing) -> Page[Change]:
    """One page of the agencies' change since last cycle: a round of hundreds is paged."""
    sector = AgencySector(listing.filters["sector"]).label if "sector" in listing.filters else ""
    needle = listing.search.casefold()
    rows = [
        change
        for change in year_on_year.agencies
        if needle in change.name.casefold() and (not sector or change.detail == sector)
    ]
    if listing.sort == "declined":
        rows.sort(key=lambda c: (-c.declined, c.name.casefold()))
    elif listing.sort == "improved":
        rows.sort(key=lambda c: (-c.improved, c.name.casefold()))
    if listing.descending:
        rows.reverse()
    return page_of_list(rows, listing)


# The summary aggregates in SQL (GROUP BY) rather than keeping summary rows: agreed ratings
# and answers are written all through the round by many hands (autosave, moderation), and a
# summary row would have to follow every one of those writes, while the chair reads it a few
# times a meeting. Grouped, the rows Python sees are levels and items, not returns: the page
# costs the same at 40 returns and at 6,000.


@dataclass(frozen=True)
class _Facts:
    """An agency's attributes as the show_if rules read them, from a grouped row."""

    sector: AgencySector
    school_type: SchoolType | None
    school_phase: SchoolPhase | None


def _visible_agreed(scope: Scope) -> Select[tuple[int]]:
    """The returns whose agreed ratings the reader sees: an agency only once feedback is out."""
    query = in_scope(scope)
    if scope.reader is Reader.AGENCY:
        query = query.where(AgencyReturn.id.in_(select(Feedback.return_id)))
    return query


def round_summary(session: Session, *, scope: Scope) -> RoundSummary:
    """The chair's summary of a round, in a fixed number of queries whose rows do not grow
    with the number of returns."""
    received_ids = in_scope(scope)
    version_ids = set(
        session.scalars(
            select(AgencyReturn.questionnaire_version_id)
            .where(AgencyReturn.id.in_(received_ids))
            .distinct()
        )
    )
    plans = plans_of(session, version_ids | {scope.cycle.questionnaire_version_id})
    sections = sections_of(plans, scope.cycle.questionnaire_version_id)
    section_titles = {sid: section.title for sid, section, _plan in sections}
    agreed_counts: dict[str, Counter[str]] = {sid: Counter() for sid in section_titles}
    self_counts: dict[str, Counter[str]] = {sid: Counter() for sid in section_titles}

    for version_id, item, rating, number in session.execute(
        select(
            AgencyReturn.questionnaire_version_id,
            AgreedRating.item,
            AgreedRating.rating,
            func.count(),
        )
        .join(AgencyReturn, AgencyReturn.id == AgreedRating.return_id)
        .where(AgreedRating.return_id.in_(_visible_agreed(scope)))
        .group_by(AgencyReturn.questionnaire_version_id, AgreedRating.item, AgreedRating.rating)
    ):
        plan = plans[version_id]
        level, section = plan.level(item, rating), plan.section_of(item)
        if level is not None and section is not None:
            agreed_counts[section.id][level.label] += number

    for plan, question, value, number in _self_ratings(session, scope, plans):
        level = plan.level(question_key(question.id), value)
        section = plan.section_of(question_key(question.id))
        if level is not None and section is not None:
            self_counts[section.id][level.label] += number

    def distribution(
        counts: dict[str, Counter[str]], keys: Callable[[Plan], list[str]]
    ) -> Distribution:
        # Every level of the scales involved, weakest first, whether or not anyone gave it.
        bands: dict[str, Band] = {}
        for plan in plans.values():
            for key in keys(plan):
                for level in plan.levels[key]:
                    bands.setdefault(level.label, Band(level.label, level.colour))
        return Distribution(
            list(bands.values()),
            [
                (section_titles[sid], [counts[sid][label] for label in bands])
                for sid in section_titles
                if sum(counts[sid].values())
            ],
        )

    return RoundSummary(
        cycle=scope.cycle,
        partnership=partnership_names(session, scope),
        received=_received(session, scope),
        agreed=distribution(agreed_counts, Plan.scored_keys),
        self_rated=distribution(self_counts, Plan.self_rated_keys),
        most_red=_most_red(session, scope, plans),
        recommendations=_recommendations(session, scope),
        year_on_year=_year_on_year(session, scope, plans),
        returns=session.scalar(select(func.count()).select_from(received_ids.subquery())) or 0,
    )


def _most_red(session: Session, scope: Scope, plans: dict[int, Plan]) -> list[AgencyReds]:
    """The agencies with the most red agreed ratings, counted and ranked in SQL."""
    reds = []
    for version_id, plan in plans.items():
        for key, levels in plan.levels.items():
            red = [lv.value for lv in levels if lv.colour is LevelColour.RED]
            if red and plan.section_of(key) is not None:
                reds.append(
                    (AgencyReturn.questionnaire_version_id == version_id)
                    & (AgreedRating.item == key)
                    & AgreedRating.rating.in_(red)
                )
    if not reds:
        return []
    red = func.sum(case((or_(*reds), 1), else_=0))
    rows = session.execute(
        select(Agency.name, Agency.sector, red, func.count())
        .select_from(AgreedRating)
        .join(AgencyReturn, AgencyReturn.id == AgreedRating.return_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(AgreedRating.return_id.in_(_visible_agreed(scope)))
        .group_by(AgreedRating.return_id, Agency.name, Agency.sector)
        .having(red > 0)
        .order_by(red.desc(), Agency.name)
        .limit(MOST_RED_SHOWN)
    )
    return [AgencyReds(name, sector.label, n, agreed) for name, sector, n, agreed in rows]


def _self_ratings(
    session: Session, scope: Scope, plans: dict[int, Plan]
) -> Iterator[tuple[Plan, QuestionBase, Any, int]]:
    """(plan, rating question, value, how many returns gave it) for every self-rating shown
    to its agency. A question shown whatever the other answers (or by the agency's sector
    alone) is counted by GROUP BY; one shown by another answer is read return by return,
    with only the answers its rule needs."""
    simple: dict[int, dict[str, QuestionBase]] = {}
    wanted: set[str] = set()
    for version_id, plan in plans.items():
        for _section, question in plan.questionnaire.questions():
            if getattr(question, "type", "") != "rating":
                continue
            read = questions_read(question.show_if)
            if read:
                wanted |= {question.id, *read}
            else:
                simple.setdefault(version_id, {})[question.id] = question
    simple_ids = sorted({qid for found in simple.values() for qid in found})
    if simple_ids:
        # Cast to text to group: PostgreSQL's json has no equality operator.
        value = cast(Answer.value, String)
        grouped = (
            AgencyReturn.questionnaire_version_id,
            Agency.sector,
            Agency.school_type,
            Agency.school_phase,
            Answer.question_id,
            value,
        )
        for version_id, sector, school_type, phase, question_id, text, number in session.execute(
            select(*grouped, func.count())
            .join(AgencyReturn, AgencyReturn.id == Answer.return_id)
            .join(Agency, Agency.id == AgencyReturn.agency_id)
            .where(Answer.return_id.in_(in_scope(scope)), Answer.question_id.in_(simple_ids))
            .group_by(*grouped)
        ):
            question = simple.get(version_id, {}).get(question_id)
            facts = _Facts(sector, school_type, phase)
            if question is None or text is None or not is_shown(question, agency=facts, values={}):
                continue
            yield plans[version_id], question, json.loads(text), number
    if not wanted:
        return
    returns = returns_of(session, scope)
    for each in gather_answers(session, scope, returns, plans, question_ids=wanted, files=False):
        for section in each.plan.questionnaire.sections:
            for question in each.shown(section):
                counted_above = question.id in simple.get(each.row.version_id, {})
                if getattr(question, "type", "") == "rating" and not counted_above:
                    value = each.answers.get(question.id, (None, None))[0]
                    yield each.plan, question, value, 1


def _received(session: Session, scope: Scope) -> list[SectorLine]:
    """Returns received against invited, by sector; the voluntary sector on its own line
    after the others, then the statutory agencies together and everyone."""
    counts: dict[AgencySector, list[int]] = {}
    for sector, status, number in session.execute(
        select(Agency.sector, AgencyReturn.status, func.count())
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(AgencyReturn.id.in_(in_scope(scope, any_status=True)))
        .group_by(Agency.sector, AgencyReturn.status)
    ):
        invited_received = counts.setdefault(sector, [0, 0])
        invited_received[0] += number
        if status in round_progress.SUBMITTED:
            invited_received[1] += number
    others = sorted((s for s in counts if s is not AgencySector.VOLUNTARY), key=lambda s: s.label)
    lines = [SectorLine(s.label, *counts[s]) for s in others]
    voluntary = counts.get(AgencySector.VOLUNTARY, [0, 0])
    lines.append(SectorLine(AgencySector.VOLUNTARY.label, *voluntary))
    statutory = [sum(counts[s][i] for s in others) for i in (0, 1)]
    lines.append(SectorLine("All statutory and other agencies", *statutory, total=True))
    lines.append(
        SectorLine("All agencies", statutory[0] + voluntary[0], statutory[1] + voluntary[1], True)
    )
    return lines


def _recommendations(session: Session, scope: Scope) -> RecommendationTable:
    counts = {
        (priority, theme): number
        for priority, theme, number in session.execute(
            select(Recommendation.priority, Recommendation.theme, func.count())
            .where(Recommendation.return_id.in_(in_scope(scope)))
            .group_by(Recommendation.priority, Recommendation.theme)
        )
    }
    # The cycle's own lists, in its order, then any a recommendation uses that it no longer has.
    priorities = list(scope.cycle.priorities)
    themes = list(scope.cycle.themes)
    priorities += sorted({p for p, _t in counts} - set(priorities))
    themes += sorted({t for _p, t in counts} - set(themes))
    return RecommendationTable(priorities, themes, counts)


def previous_cycle(session: Session, *, scope: Scope) -> Cycle | None:
    """The latest earlier cycle of the same partnership (for the command line, of any of the
    cycle's partnerships), as a return's previous one is found."""
    partnerships = (
        [scope.partnership.id]
        if scope.partnership is not None
        else select(CyclePartnership.partnership_id).where(
            CyclePartnership.cycle_id == scope.cycle.id
        )
    )
    return session.scalar(
        select(Cycle)
        .where(
            Cycle.deadline_on < scope.cycle.deadline_on,
            Cycle.id.in_(
                select(CyclePartnership.cycle_id).where(
                    CyclePartnership.partnership_id.in_(partnerships)
                )
            ),
        )
        .order_by(Cycle.deadline_on.desc())
        .limit(1)
    )


def _year_on_year(session: Session, scope: Scope, plans: dict[int, Plan]) -> YearOnYear | None:
    """Each agency's and each item's agreed ratings against the previous cycle's, where both
    years rated it on the same item (question ids stay the same across versions): one join
    of this year's agreed ratings to last year's, whose rows are the pairs compared."""
    previous = previous_cycle(session, scope=scope)
    if previous is None:
        return None
    then_scope = replace(scope, cycle=previous, return_ids=None, scores_hidden=frozenset())
    then_plans = plans_of(
        session,
        set(
            session.scalars(
                select(AgencyReturn.questionnaire_version_id)
                .where(AgencyReturn.id.in_(in_scope(then_scope)))
                .distinct()
            )
        ),
    )
    now_return, then_return = aliased(AgencyReturn), aliased(AgencyReturn)
    now_agreed, then_agreed = aliased(AgreedRating), aliased(AgreedRating)
    # An agency's latest return of last cycle, as a return's previous one is found; a derived
    # table, read once (as an IN list SQLite re-ran it for every pair).
    latest_then = (
        select(AgencyReturn.agency_id, func.max(AgencyReturn.id).label("return_id"))
        .where(AgencyReturn.id.in_(in_scope(then_scope)))
        .group_by(AgencyReturn.agency_id)
        .subquery()
    )
    visible = _visible_agreed(scope).subquery()
    pairs = session.execute(
        select(
            now_return.id,
            Agency.name,
            Agency.sector,
            now_return.questionnaire_version_id,
            then_return.questionnaire_version_id,
            now_agreed.item,
            now_agreed.rating,
            then_agreed.rating,
        )
        .select_from(visible)
        .join(now_return, now_return.id == visible.c.id)
        .join(now_agreed, now_agreed.return_id == now_return.id)
        .join(Agency, Agency.id == now_return.agency_id)
        .join(latest_then, latest_then.c.agency_id == now_return.agency_id)
        .join(then_return, then_return.id == latest_then.c.return_id)
        .join(
            then_agreed,
            (then_agreed.return_id == then_return.id) & (then_agreed.item == now_agreed.item),
        )
        .order_by(Agency.name, now_return.id)
    )
    moves_of: dict[int, tuple[str, str, list[int]]] = {}
    by_item: dict[str, list[tuple[int, int, float, float]]] = {}
    titles: dict[str, str] = {}
    for return_id, name, sector, now_version, then_version, key, rating, before in pairs:
        plan = plans.get(now_version)
        then_plan = then_plans.get(then_version)
        if plan is None or then_plan is None:
            continue
        position_now = plan.position(key, rating)
        position_then = then_plan.position(key, before)
        if position_now is None or position_then is None:
            continue
        moves_of.setdefault(return_id, (name, sector.label, []))[2].append(
            position_now - position_then
        )
        by_item.setdefault(key, []).append(
            (position_then, position_now, float(before), float(rating))
        )
        titles.setdefault(key, plan.item_title(key))
    agencies = [_change(name, sector, moves) for name, sector, moves in moves_of.values()]
    questions = []
    for key, found in by_item.items():
        moves = [now_at - then_at for then_at, now_at, _b, _a in found]
        change = _change(titles[key], "", moves)
        questions.append(
            replace(
                change,
                average_then=sum(p[2] for p in found) / len(found),
                average_now=sum(p[3] for p in found) / len(found),
            )
        )
    agencies.sort(key=lambda c: c.name)
    return YearOnYear(previous, agencies, questions)


def _change(name: str, detail: str, moves: list[int]) -> Change:
    return Change(
        name,
        detail,
        len(moves),
        sum(1 for m in moves if m > 0),
        sum(1 for m in moves if m == 0),
        sum(1 for m in moves if m < 0),
    )
