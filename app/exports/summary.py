"""The chair's summary of a round: returns received by sector, red ratings, recommendations
by theme and the change from last year. Never counts a return that was not submitted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.actions.models import Recommendation
from app.cycle_models import Cycle, CyclePartnership
from app.cycles import listing as round_listing
from app.cycles import progress as round_progress
from app.directory.models import Agency, AgencySector
from app.exports.gather import (
    Gathered,
    Plan,
    gather_answers,
    plans_of,
    question_key,
    returns_of,
    sections_of,
)
from app.exports.scope import Scope, in_scope, partnership_names
from app.listing import Listing, Page, page_of_list, read_listing
from app.panels.models import AgreedRating
from app.questionnaires.rules import questions_read
from app.questionnaires.schema import LevelColour
from app.returns.models import AgencyReturn


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


def round_summary(session: Session, *, scope: Scope) -> RoundSummary:
    """The chair's summary of a round, in a fixed number of queries."""
    returns = returns_of(session, scope)
    plans = plans_of(
        session, {r.version_id for r in returns} | {scope.cycle.questionnaire_version_id}
    )
    sections = sections_of(plans, scope.cycle.questionnaire_version_id)
    # Self-ratings need only the rating questions' answers and those their show_if reads.
    wanted: set[str] = set()
    for plan in plans.values():
        for _section, question in plan.questionnaire.questions():
            if getattr(question, "type", "") == "rating":
                wanted |= {question.id, *questions_read(question.show_if)}
    gathered = list(
        gather_answers(session, scope, returns, plans, question_ids=wanted, files=False)
    )

    section_titles = {sid: section.title for sid, section, _plan in sections}
    agreed_counts: dict[str, Counter[str]] = {sid: Counter() for sid in section_titles}
    self_counts: dict[str, Counter[str]] = {sid: Counter() for sid in section_titles}
    reds = []
    for each in gathered:
        plan, red = each.plan, 0
        for key, rating in each.agreed.items():
            level, section = plan.level(key, rating), plan.section_of(key)
            if level is None or section is None:
                continue
            agreed_counts[section.id][level.label] += 1
            red += level.colour is LevelColour.RED
        if red:
            reds.append(AgencyReds(each.row.agency, each.row.sector.label, red, len(each.agreed)))
        for section in plan.questionnaire.sections:
            for question in each.shown(section):
                if getattr(question, "type", "") != "rating":
                    continue
                value = each.answers.get(question.id, (None, None))[0]
                level = plan.level(question_key(question.id), value)
                if level is not None:
                    self_counts[section.id][level.label] += 1

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

    reds.sort(key=lambda r: (-r.red, r.agency))
    return RoundSummary(
        cycle=scope.cycle,
        partnership=partnership_names(session, scope),
        received=_received(session, scope),
        agreed=distribution(agreed_counts, Plan.scored_keys),
        self_rated=distribution(self_counts, Plan.self_rated_keys),
        most_red=reds[:MOST_RED_SHOWN],
        recommendations=_recommendations(session, scope),
        year_on_year=_year_on_year(session, scope, gathered),
        returns=len(returns),
    )


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


def _year_on_year(session: Session, scope: Scope, now: list[Gathered]) -> YearOnYear | None:
    """Each agency's and each item's agreed ratings against the previous cycle's, where both
    years rated it on the same item (question ids stay the same across versions)."""
    previous = previous_cycle(session, scope=scope)
    if previous is None:
        return None
    then_scope = replace(scope, cycle=previous, return_ids=None, scores_hidden=frozenset())
    then_returns = returns_of(session, then_scope)
    then_plans = plans_of(session, {r.version_id for r in then_returns})
    then_agreed: dict[int, dict[str, int]] = {}
    for return_id, item, rating in session.execute(
        select(AgreedRating.return_id, AgreedRating.item, AgreedRating.rating).where(
            AgreedRating.return_id.in_(in_scope(then_scope))
        )
    ):
        then_agreed.setdefault(return_id, {})[item] = rating
    then_by_agency = {r.agency_id: r for r in then_returns}
    agencies: list[Change] = []
    by_item: dict[str, list[tuple[int, int, float, float]]] = {}
    titles: dict[str, str] = {}
    for each in now:
        last = then_by_agency.get(each.row.agency_id)
        if last is None:
            continue
        then_plan = then_plans[last.version_id]
        moves = []
        for key, rating in each.agreed.items():
            before = then_agreed.get(last.id, {}).get(key)
            position_now = each.plan.position(key, rating)
            position_then = then_plan.position(key, before)
            if position_now is None or position_then is None:
                continue
            moves.append(position_now - position_then)
            by_item.setdefault(key, []).append(
                (position_then, position_now, float(before), float(rating))  # type: ignore[arg-type]
            )
            titles.setdefault(key, each.plan.item_title(key))
        if moves:
            agencies.append(_change(each.row.agency, each.row.sector.label, moves))
    questions = []
    for key, pairs in by_item.items():
        moves = [now_at - then_at for then_at, now_at, _b, _a in pairs]
        change = _change(titles[key], "", moves)
        questions.append(
            replace(
                change,
                average_then=sum(p[2] for p in pairs) / len(pairs),
                average_now=sum(p[3] for p in pairs) / len(pairs),
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
