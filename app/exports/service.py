"""Workbooks of a cycle (scored returns, the chair's summary, an agency's return), the chair's
summary on screen and who may have each: never a draft, or a draft score, to anyone else.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import IO, Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.actions import composite, progress
from app.actions import plans as action_plans
from app.actions import recommendations as action_recommendations
from app.actions.models import Recommendation
from app.audit import service as audit_service
from app.cycles import service as cycles_service
from app.cycles.models import Cycle, CyclePartnership
from app.db import aware, utcnow
from app.directory.models import (
    Agency,
    AgencySector,
    Partnership,
    PartnershipAgency,
    Person,
    Role,
)
from app.exports.workbook import Book, Column, Rated, fit
from app.panels import reading
from app.panels.models import AgreedRating, Feedback, PanelScore, ScoreSheet
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.rendering import answer_text, levels_for
from app.questionnaires.rules import counts_as_answered, is_shown, questions_read
from app.questionnaires.schema import (
    Level,
    LevelColour,
    QuestionBase,
    Questionnaire,
    Section,
    TableQuestion,
)
from app.returns import service as returns_service
from app.returns.models import AgencyReturn, Answer, EvidenceFile, ReturnStatus

LONDON = ZoneInfo("Europe/London")
RECEIVED = sorted(cycles_service.SUBMITTED)  # submitted, or further on: at panel, feedback…
STREAM_BATCH = 2000  # rows fetched at a time from each query of a large export


class ExportError(ValueError):
    """An export that cannot be made, with a message for the person who asked."""


# Who may have what ------------------------------------------------------------------------


class Reader(StrEnum):
    """Whose eyes a workbook is for: it holds what they may see, and nothing more."""

    PARTNERSHIP = "partnership"  # its coordinators and independent chair: its agencies' returns
    PANEL = "panel"  # a panel member: the returns booked into the sessions they sit on
    AGENCY = "agency"  # an agency's own people: their own return, as it stands
    OPERATOR = "operator"  # whoever runs the s11 command on the server: every agency


@dataclass(frozen=True)
class Scope:
    """What one reader may have of one cycle; made only by the *_scope functions below."""

    cycle: Cycle
    reader: Reader
    generated_by: str
    actor: Person | None = None
    partnership: Partnership | None = None  # only its agencies' returns
    return_ids: frozenset[int] | None = None  # only these returns
    scores_hidden: frozenset[int] = frozenset()  # returns whose colleagues' scores wait
    agency_id: int | None = None  # only this agency's return

    @property
    def sees_drafts(self) -> bool:
        """A return not yet submitted is its own agency's business alone."""
        return self.reader is Reader.AGENCY

    def sees_scores(self, return_id: int) -> bool:
        """Each panel member's own rating: never for the agency; for a panel member once they
        have submitted their own scores or the meeting has started."""
        return self.reader is not Reader.AGENCY and return_id not in self.scores_hidden

    def sees_agreed(self, return_id: int, feedback_issued: set[int]) -> bool:
        """The agency reads the panel's agreed ratings in its feedback, once that is issued."""
        return self.reader is not Reader.AGENCY or return_id in feedback_issued


def reads_round(person: Person, partnership: Partnership | None) -> bool:
    """The partnership's coordinators and independent chair read all of its round; site
    administrators read every partnership's."""
    if partnership is None:
        return False
    return person.is_admin or any(
        m.partnership_id == partnership.id and m.role in (Role.COORDINATOR, Role.CHAIR)
        for m in person.memberships
    )


def _by(person: Person) -> str:
    return f"{person.name} ({person.email})"


def round_scope(
    session: Session, *, person: Person, partnership: Partnership | None, slug: str
) -> Scope | None:
    """A cycle of the partnership, for its coordinators and chair; anyone else finds nothing."""
    if partnership is None or not reads_round(person, partnership):
        return None
    cycle = cycles_service.cycle_for(session, partnership=partnership, slug=slug)
    if cycle is None:
        return None
    return Scope(cycle, Reader.PARTNERSHIP, _by(person), actor=person, partnership=partnership)


def export_scope(
    session: Session, *, person: Person, partnership: Partnership | None, slug: str
) -> Scope | None:
    """The round's readers have the whole round; a panel member, the returns booked into the
    sessions of the cycle they sit on (less any agency they have an interest in)."""
    scope = round_scope(session, person=person, partnership=partnership, slug=slug)
    if scope is not None or partnership is None:
        return scope
    cycle = cycles_service.cycle_for(session, partnership=partnership, slug=slug)
    if cycle is None:
        return None
    readable = reading.returns_to_read(session, person=person, cycle=cycle, partnership=partnership)
    if not readable:
        return None
    return Scope(
        cycle,
        Reader.PANEL,
        _by(person),
        actor=person,
        partnership=partnership,
        return_ids=frozenset(readable),
        scores_hidden=frozenset(r for r, sees in readable.items() if not sees),
    )


def agency_scope(session: Session, *, person: Person, return_id: int) -> Scope | None:
    """A return for its own agency's lead and contributors; another agency's is not found."""
    rows = returns_service.returns_for(session, person=person)
    found = next((row for row in rows if row[0].id == return_id), None)
    if found is None:
        return None
    agency_return, cycle, agency = found
    return Scope(
        cycle,
        Reader.AGENCY,
        _by(person),
        actor=person,
        return_ids=frozenset({agency_return.id}),
        agency_id=agency.id,
    )


def operator_scope(session: Session, *, slug: str, generated_by: str) -> Scope | None:
    """The whole cycle, for the `s11 export` command run on the server."""
    cycle = session.scalar(select(Cycle).where(Cycle.slug == slug))
    return Scope(cycle, Reader.OPERATOR, generated_by) if cycle is not None else None


def _in_scope(scope: Scope, *, any_status: bool = False) -> Select[tuple[int]]:
    """The ids of the returns the scope holds, as a subquery."""
    query = select(AgencyReturn.id).where(AgencyReturn.cycle_id == scope.cycle.id)
    if not (scope.sees_drafts or any_status):
        query = query.where(AgencyReturn.status.in_(RECEIVED))
    if scope.partnership is not None:
        query = query.where(
            AgencyReturn.agency_id.in_(
                select(PartnershipAgency.agency_id).where(
                    PartnershipAgency.partnership_id == scope.partnership.id
                )
            )
        )
    if scope.return_ids is not None:
        query = query.where(AgencyReturn.id.in_(sorted(scope.return_ids)))
    if scope.agency_id is not None:
        query = query.where(AgencyReturn.agency_id == scope.agency_id)
    return query


# The returns and questionnaires in a workbook ----------------------------------------------


@dataclass(frozen=True)
class ReturnRow:
    id: int
    agency_id: int
    agency: str
    sector: AgencySector
    status: ReturnStatus
    submitted_at: datetime | None
    version_id: int


def _returns(session: Session, scope: Scope) -> list[ReturnRow]:
    rows = session.execute(
        select(
            AgencyReturn.id,
            AgencyReturn.agency_id,
            Agency.name,
            Agency.sector,
            AgencyReturn.status,
            AgencyReturn.submitted_at,
            AgencyReturn.questionnaire_version_id,
        )
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(AgencyReturn.id.in_(_in_scope(scope)))
        .order_by(Agency.name, AgencyReturn.id)
    )
    return [ReturnRow(*row) for row in rows]


def question_key(question_id: str) -> str:
    return f"question:{question_id}"  # the panels' key for a scored question


def section_key(section_id: str) -> str:
    return f"section:{section_id}"


@dataclass(frozen=True)
class Plan:
    """How to read one questionnaire version's ratings: each rated item's levels, in the
    scale's order (weakest first, as every scale lists them)."""

    version: QuestionnaireVersion
    questionnaire: Questionnaire
    levels: dict[str, list[Level]]  # item key → levels
    # Each rating as a cell shows it, by item key and value: a large export asks millions of times.
    cells: dict[str, dict[int, Rated]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, levels in self.levels.items():
            self.cells[key] = {level.value: Rated(level.label, level.colour) for level in levels}

    def level(self, key: str, value: object) -> Level | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        return next((level for level in self.levels.get(key, ()) if level.value == value), None)

    def rated(self, key: str, value: object) -> Rated | str | None:
        """A rating as its label in its colour; a value off the scale as it is."""
        if value is None:
            return None
        found = self.cells.get(key, {}).get(value) if type(value) is int else None  # type: ignore[call-overload]
        return found if found is not None else str(value)

    def position(self, key: str, value: object) -> int | None:
        """Where a rating stands on its scale, for comparing; levels that never count (such as
        Don't know) have none."""
        level = self.level(key, value)
        if level is None or not level.scored:
            return None
        return [lv.value for lv in self.levels[key] if lv.scored].index(level.value)

    def item_title(self, key: str) -> str:
        kind, _, item_id = key.partition(":")
        if kind == "section":
            section = next((s for s in self.questionnaire.sections if s.id == item_id), None)
            return section.title if section else item_id
        question = self.questionnaire.question(item_id)
        return question.label if question else item_id

    def section_of(self, key: str) -> Section | None:
        kind, _, item_id = key.partition(":")
        for section in self.questionnaire.sections:
            if kind == "section" and section.id == item_id:
                return section
            if kind == "question" and any(q.id == item_id for q in section.questions):
                return section
        return None

    def scored_keys(self) -> list[str]:
        """The items the panel rates: sections and questions marked scored_by_panel."""
        keys = []
        for section in self.questionnaire.sections:
            if section.scored_by_panel and section_key(section.id) in self.levels:
                keys.append(section_key(section.id))
            keys += [question_key(q.id) for q in self.rated_in(section)]
        return keys

    def self_rated_keys(self) -> list[str]:
        """The questions an agency answers by rating itself."""
        return [
            question_key(q.id)
            for _section, q in self.questionnaire.questions()
            if getattr(q, "type", "") == "rating" and question_key(q.id) in self.levels
        ]

    def rated_in(self, section: Section) -> list[QuestionBase]:
        """The section's questions the panel rates."""
        return [
            q for q in section.questions if q.scored_by_panel and question_key(q.id) in self.levels
        ]


def _plans(session: Session, version_ids: set[int]) -> dict[int, Plan]:
    plans = {}
    for version in session.scalars(
        select(QuestionnaireVersion).where(QuestionnaireVersion.id.in_(sorted(version_ids)))
    ):
        questionnaire = questionnaire_service.snapshot(version)
        levels: dict[str, list[Level]] = {}
        for section in questionnaire.sections:
            if section.scale in questionnaire.scales:
                levels[section_key(section.id)] = questionnaire.scales[section.scale].all_levels()
            for question in section.questions:
                found = levels_for(questionnaire, question)
                if found:
                    levels[question_key(question.id)] = found
        plans[version.id] = Plan(version, questionnaire, levels)
    return plans


def _sections(plans: dict[int, Plan], first: int) -> list[tuple[str, Section, Plan]]:
    """Every section in the workbook, the cycle's own questionnaire first; a sector's
    questionnaire adds its sections that the cycle's does not have."""
    seen: dict[str, tuple[str, Section, Plan]] = {}
    for version_id in sorted(plans, key=lambda v: (v != first, v)):
        plan = plans[version_id]
        for section in plan.questionnaire.sections:
            seen.setdefault(section.id, (section.id, section, plan))
    return list(seen.values())


# Streaming a cycle's answers, a return at a time ----------------------------------------------


class _Rows:
    """One streamed query's rows, in the returns' order, taken a return at a time."""

    def __init__(self, session: Session, query: Select[Any]) -> None:
        self._rows = iter(session.execute(query.execution_options(yield_per=STREAM_BATCH)))
        self._next = next(self._rows, None)

    def take(self, return_id: int) -> list[Any]:
        taken = []
        while self._next is not None and self._next[0] == return_id:
            taken.append(self._next)
            self._next = next(self._rows, None)
        return taken

    def finish(self) -> None:
        if self._next is not None:  # every query orders by the same columns: a bug if not
            raise RuntimeError("an export's rows came back in a different order")


def _ordered(query: Select[Any], return_id: Any, scope: Scope, *then: Any) -> Select[Any]:
    """A query of rows belonging to returns, in the workbook's order of returns."""
    return (
        query.join(AgencyReturn, AgencyReturn.id == return_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(return_id.in_(_in_scope(scope)))
        .order_by(Agency.name, AgencyReturn.id, *then)
    )


@dataclass
class Gathered:
    """One return with all a workbook shows of it (what the reader may see)."""

    row: ReturnRow
    plan: Plan
    answers: dict[str, tuple[Any, datetime]]  # question id → (value, when it last changed)
    files: dict[str, list[tuple[str, datetime]]]  # question id → (file name, uploaded at)
    agreed: dict[str, int]  # item key → the panel's agreed rating
    scores: dict[str, dict[int, int]]  # item key → person id → their submitted rating
    feedback_issued: bool

    @cached_property
    def values(self) -> dict[str, Any]:
        return returns_service.answer_values(
            self.plan.questionnaire,
            {qid: value for qid, (value, _at) in self.answers.items()},
            {qid: [name for name, _at in files] for qid, files in self.files.items()},
        )

    @cached_property
    def _shown(self) -> dict[str, list[QuestionBase]]:
        values, sector = self.values, self.row.sector
        return {
            section.id: [q for q in section.questions if is_shown(q, sector=sector, values=values)]
            for section in self.plan.questionnaire.sections
        }

    def shown(self, section: Section) -> list[QuestionBase]:
        return self._shown.get(section.id, [])


def _gather(
    session: Session,
    scope: Scope,
    returns: list[ReturnRow],
    plans: dict[int, Plan],
    *,
    question_ids: set[str] | None = None,
    files: bool = True,
) -> Iterator[Gathered]:
    """Each return in turn, from a fixed number of streamed queries whatever the number of
    returns and questions: a large cycle never sits in memory at once."""
    answers_query = select(Answer.return_id, Answer.question_id, Answer.value, Answer.updated_at)
    if question_ids is not None:
        answers_query = answers_query.where(Answer.question_id.in_(sorted(question_ids)))
    streams = {
        "answers": _Rows(session, _ordered(answers_query, Answer.return_id, scope)),
        "agreed": _Rows(
            session,
            _ordered(
                select(AgreedRating.return_id, AgreedRating.item, AgreedRating.rating),
                AgreedRating.return_id,
                scope,
            ),
        ),
    }
    if files:
        streams["files"] = _Rows(
            session,
            _ordered(
                select(
                    EvidenceFile.return_id,
                    EvidenceFile.question_id,
                    EvidenceFile.file_name,
                    EvidenceFile.uploaded_at,
                ),
                EvidenceFile.return_id,
                scope,
                EvidenceFile.uploaded_at,
                EvidenceFile.id,
            ),
        )
    if scope.reader is not Reader.AGENCY:
        # Only scores their member has submitted: a draft is nobody else's business.
        submitted = select(PanelScore.return_id, PanelScore.item, PanelScore.person_id).join(
            ScoreSheet,
            (ScoreSheet.return_id == PanelScore.return_id)
            & (ScoreSheet.person_id == PanelScore.person_id),
        )
        streams["scores"] = _Rows(
            session,
            _ordered(submitted.add_columns(PanelScore.rating), PanelScore.return_id, scope),
        )
    issued = set(
        session.scalars(select(Feedback.return_id).where(Feedback.return_id.in_(_in_scope(scope))))
    )
    for row in returns:
        taken = {name: stream.take(row.id) for name, stream in streams.items()}
        scores: dict[str, dict[int, int]] = {}
        if scope.sees_scores(row.id):
            for _rid, item, person_id, rating in taken.get("scores", []):
                if rating is not None:
                    scores.setdefault(item, {})[person_id] = rating
        attached: dict[str, list[tuple[str, datetime]]] = {}
        for _rid, question_id, name, uploaded_at in taken.get("files", []):
            attached.setdefault(question_id, []).append((name, uploaded_at))
        sees_agreed = scope.sees_agreed(row.id, issued)
        yield Gathered(
            row=row,
            plan=plans[row.version_id],
            answers={qid: (value, at) for _rid, qid, value, at in taken["answers"]},
            files=attached,
            agreed={item: rating for _rid, item, rating in taken["agreed"]} if sees_agreed else {},
            scores=scores,
            feedback_issued=row.id in issued,
        )
    for stream in streams.values():
        stream.finish()


def uk_time(moment: datetime | None) -> datetime | None:
    """A stored moment in UK time, without its zone (Excel cannot hold one)."""
    return aware(moment).astimezone(LONDON).replace(tzinfo=None) if moment else None


def _answer(questionnaire: Questionnaire, question: QuestionBase, value: Any) -> str:
    """An answer as text for a cell: a table row by row, files left to their own column."""
    kind = getattr(question, "type", "")
    if value is None or value == "" or value == [] or kind == "evidence":
        return ""
    if isinstance(question, TableQuestion) and isinstance(value, list):
        labels = {column.id: column.label for column in question.columns}
        options = {
            column.id: {o.value: o.label for o in column.options or []}
            for column in question.columns
        }
        lines = []
        for number, table_row in enumerate(value, start=1):
            if isinstance(table_row, dict):
                cells = [
                    f"{labels.get(cid, cid)}: {options.get(cid, {}).get(v, v)}"
                    for cid, v in table_row.items()
                    if v not in (None, "")
                ]
                lines.append(f"{number}. " + "; ".join(cells))
        return "\n".join(lines)
    return answer_text(questionnaire, question, value)


class Line(NamedTuple):
    """One question (or a scored section as a whole) of one return, as a row shows it."""

    question: str
    self_rating: Rated | str | None
    agreed: Rated | str | None
    members: dict[int, Rated | str | None]
    not_applicable: str
    answer: str
    files: str
    changed: datetime | None


def lines_of(gathered: Gathered, section: Section) -> Iterator[Line]:
    """A section of one return, row by row: the section as a whole where the panel rates it,
    then each question shown to the agency."""
    plan, agreed, scores = gathered.plan, gathered.agreed, gathered.scores
    if section.scored_by_panel and section_key(section.id) in plan.levels:
        key = section_key(section.id)
        given = scores.get(key)
        yield Line(
            f"{section.title}: the section as a whole",
            None,
            plan.rated(key, agreed.get(key)),
            {p: plan.rated(key, r) for p, r in given.items()} if given else {},
            "",
            "",
            "",
            None,
        )
    for question in gathered.shown(section):
        key = question_key(question.id)
        value, changed = gathered.answers.get(question.id, UNANSWERED)
        attached, files = gathered.files.get(question.id), ""
        if attached:
            files = "\n".join(name for name, _at in attached)
            moments = [m for m in (changed, *(at for _name, at in attached)) if m is not None]
            changed = max(moments, key=aware)
        not_applicable, self_rating, answer = "", None, ""
        if isinstance(value, dict) and value.get("not_applicable"):
            not_applicable, answer = str(value.get("reason") or ""), "Not applicable"
        elif getattr(question, "type", "") == "rating":
            self_rating = plan.rated(key, value)
        else:
            answer = _answer(plan.questionnaire, question, value)
        given = scores.get(key)
        yield Line(
            question.label,
            self_rating,
            plan.rated(key, agreed.get(key)),
            {p: plan.rated(key, r) for p, r in given.items()} if given else {},
            not_applicable,
            answer,
            files,
            uk_time(changed),
        )


UNANSWERED = (None, None)


# The workbooks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of workbook: `s11 export NAME`, and /exports/<cycle>/NAME on the web."""

    name: str
    title: str
    readers: frozenset[Reader]
    write: Callable[[Session, Scope, Book], WorkbookFacts]
    by_agency: bool = False  # asks which agency (--agency ID, ?agency=ID)


@dataclass(frozen=True)
class WorkbookFacts:
    """What a kind's writer tells the cover sheet and the audit log."""

    returns: int
    versions: list[QuestionnaireVersion]
    agency: str | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)


def _member_names(session: Session, scope: Scope) -> list[tuple[int, str]]:
    """The panel members whose submitted ratings the reader may see, by name."""
    if scope.reader is Reader.AGENCY:
        return []
    query = (
        select(Person.id, Person.name)
        .join(ScoreSheet, ScoreSheet.person_id == Person.id)
        .where(ScoreSheet.return_id.in_(_in_scope(scope)))
    )
    if scope.scores_hidden:
        query = query.where(ScoreSheet.return_id.not_in(sorted(scope.scores_hidden)))
    rows = session.execute(query.distinct().order_by(Person.name, Person.id))
    return [(person_id, name) for person_id, name in rows]


def _rating_width(plans: dict[int, Plan], header: str) -> float:
    labels = [lv.label for plan in plans.values() for ls in plan.levels.values() for lv in ls]
    return fit([header, *labels], at_most=24)


def _write_scored_returns(session: Session, scope: Scope, book: Book) -> WorkbookFacts:
    """A sheet per section with a row per agency and question, and a summary sheet with a row
    per agency and a column per section."""
    returns = _returns(session, scope)
    plans = _plans(
        session, {r.version_id for r in returns} | {scope.cycle.questionnaire_version_id}
    )
    sections = _sections(plans, scope.cycle.questionnaire_version_id)
    members = _member_names(session, scope)
    agency_width = fit([r.agency for r in returns], at_least=12, at_most=40)
    sector_width = fit([r.sector.label for r in returns], at_least=10, at_most=28)

    summary_columns = [
        Column("Agency", agency_width, wrap=True),
        Column("Sector", sector_width, wrap=True),
        Column("Status", fit([s.label for s in ReturnStatus], at_most=26)),
        Column("Submitted", 14),
    ]
    for _sid, section, plan in sections:
        measure = _summary_measure(section, plan)
        summary_columns.append(Column(f"{section.title}: {measure}", 24, wrap=True))
    summary = book.sheet("Summary", summary_columns)

    rating_width = _rating_width(plans, "Agreed panel rating")
    columns = [
        Column("Agency", agency_width, wrap=True),
        Column("Sector", sector_width, wrap=True),
        Column("Question", 60, wrap=True),
        Column("Self rating", rating_width),
        Column("Agreed panel rating", rating_width),
        *(
            Column(f"Rating by {name}", max(rating_width, fit([name], at_most=24)), wrap=True)
            for _id, name in members
        ),
        Column("Not applicable because", 40, wrap=True),
        Column("Answer", 80, wrap=True),
        Column("Evidence files", 36, wrap=True),
        Column("Last changed (UK time)", 18),
    ]
    sheets = {sid: book.sheet(section.title, columns) for sid, section, _plan in sections}
    member_ids = [person_id for person_id, _name in members]
    unrated = [None] * len(member_ids)
    for gathered in _gather(session, scope, returns, plans):
        row = gathered.row
        cells: list[object] = [
            row.agency,
            row.sector.label,
            row.status.label,
            uk_time(row.submitted_at),
        ]
        for sid, _section, _plan in sections:
            own = next((s for s in gathered.plan.questionnaire.sections if s.id == sid), None)
            cells.append(_summary_cell(gathered, own) if own else "Not asked")
            if own is None:
                continue
            sheet = sheets[sid]
            for line in lines_of(gathered, own):
                by_member = line.members
                sheet.add(
                    [row.agency, row.sector.label, line.question, line.self_rating, line.agreed]
                    + ([by_member.get(p) for p in member_ids] if by_member else unrated)
                    + [line.not_applicable, line.answer, line.files, line.changed]
                )
        summary.add(cells)
    return WorkbookFacts(len(returns), [p.version for p in plans.values()])


def _summary_measure(section: Section, plan: Plan) -> str:
    if section.scored_by_panel and section_key(section.id) in plan.levels:
        return "agreed rating"
    if plan.rated_in(section):
        return "lowest agreed rating"
    return "questions answered"


def _summary_cell(gathered: Gathered, section: Section) -> object:
    """A section of one return in a cell: its agreed rating; or, where the panel rates its
    questions, the lowest of those agreed (the weakest standard is what needs attention);
    or, where nothing in it is rated, how much was answered."""
    plan = gathered.plan
    if section.scored_by_panel and section_key(section.id) in plan.levels:
        key = section_key(section.id)
        return plan.rated(key, gathered.agreed.get(key)) or "Not agreed yet"
    rated = [q for q in plan.rated_in(section) if q in gathered.shown(section)]
    if rated:
        keys = [question_key(q.id) for q in rated]
        placed = [
            (position, key)
            for key in keys
            if (position := plan.position(key, gathered.agreed.get(key))) is not None
        ]
        if not placed:
            return "Not agreed yet"
        _position, key = min(placed)
        return plan.rated(key, gathered.agreed[key])
    shown = gathered.shown(section)
    values = gathered.values
    answered = sum(1 for q in shown if counts_as_answered(q, values.get(q.id)))
    return f"{answered} of {len(shown)}"


def _write_one_return(session: Session, scope: Scope, book: Book) -> WorkbookFacts:
    """One agency's return for its own records: a sheet per section, and the panel's feedback
    once it has been issued."""
    [row] = _returns(session, scope)
    plans = _plans(session, {row.version_id})
    plan = plans[row.version_id]
    rating_width = _rating_width(plans, "Agreed panel rating")
    columns = [
        Column("Question", 60, wrap=True),
        Column("Answer", 80, wrap=True),
        Column("Self rating", rating_width),
        Column("Agreed panel rating", rating_width),
        Column("Not applicable because", 40, wrap=True),
        Column("Evidence files", 36, wrap=True),
        Column("Last changed (UK time)", 18),
    ]
    sheets = {s.id: book.sheet(s.title, columns) for s in plan.questionnaire.sections}
    [gathered] = list(_gather(session, scope, [row], plans))
    for section in plan.questionnaire.sections:
        for line in lines_of(gathered, section):
            sheets[section.id].add(
                [
                    line.question,
                    line.answer,
                    line.self_rating,
                    line.agreed,
                    line.not_applicable,
                    line.files,
                    line.changed,
                ]
            )
    notes = [("Status", row.status.label)]
    if row.submitted_at:
        notes.append(("Submitted", f"{uk_time(row.submitted_at):%-d %B %Y at %H:%M}"))
    feedback = session.get(Feedback, row.id) if gathered.feedback_issued else None
    if feedback is not None:
        sheet = book.sheet(
            "Panel feedback",
            [
                Column("About", 40, wrap=True),
                Column("Worry statement", 50, wrap=True),
                Column("Safety goal", 50, wrap=True),
                Column("Next steps", 50, wrap=True),
                Column("Priority", 28, wrap=True),
                Column("Theme", 28, wrap=True),
            ],
        )
        sheet.add(["Strengths the panel saw", feedback.strengths, "", "", "", ""])
        for recommendation in action_recommendations.recommendations_of(session, return_id=row.id):
            about = plan.item_title(recommendation.item) if recommendation.item else "The return"
            sheet.add(
                [
                    about,
                    recommendation.worry_statement,
                    recommendation.safety_goal,
                    recommendation.next_steps,
                    recommendation.priority,
                    recommendation.theme,
                ]
            )
        notes.append(("Feedback issued", f"{uk_time(feedback.issued_at):%-d %B %Y}"))
        notes += _own_action_plan(session, book, row.id)
    return WorkbookFacts(1, [plan.version], agency=row.agency, notes=notes)


def _own_action_plan(session: Session, book: Book, return_id: int) -> list[tuple[str, str]]:
    """The agency's action plan, as it stands, on a sheet of its own."""
    plan, actions = action_plans.plan_of_return(session, return_id=return_id)
    if plan is None or not actions:
        return []
    today = date.today()
    latest = progress.latest_notes(session, [action.id for action, _ in actions])
    sheet = book.sheet(
        "Action plan",
        [
            Column("Worry statement", 50, wrap=True),
            Column("Action", 50, wrap=True),
            Column("Owner", 28, wrap=True),
            Column("Due", 12),
            Column("Status", 14),
            Column("How success will be shown", 40, wrap=True),
            Column("Latest progress note", 50, wrap=True),
        ],
    )
    for action, recommendation in actions:
        note = latest.get(action.id)
        sheet.add(
            [
                recommendation.worry_statement,
                action.description,
                action.owner,
                action.due_on,
                _status_cell(action, today),
                action.success_measure,
                note.note if note else "",
            ]
        )
    return [("Action plan", plan.status.label)]


# The chair's summary, on screen and in a workbook ------------------------------------------


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


def round_summary(session: Session, *, scope: Scope) -> RoundSummary:
    """The chair's summary of a round, in a fixed number of queries."""
    returns = _returns(session, scope)
    plans = _plans(
        session, {r.version_id for r in returns} | {scope.cycle.questionnaire_version_id}
    )
    sections = _sections(plans, scope.cycle.questionnaire_version_id)
    # Self-ratings need only the rating questions' answers and those their show_if reads.
    wanted: set[str] = set()
    for plan in plans.values():
        for _section, question in plan.questionnaire.questions():
            if getattr(question, "type", "") == "rating":
                wanted |= {question.id, *questions_read(question.show_if)}
    gathered = list(_gather(session, scope, returns, plans, question_ids=wanted, files=False))

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
        partnership=_partnership_names(session, scope),
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
        .where(AgencyReturn.id.in_(_in_scope(scope, any_status=True)))
        .group_by(Agency.sector, AgencyReturn.status)
    ):
        invited_received = counts.setdefault(sector, [0, 0])
        invited_received[0] += number
        if status in cycles_service.SUBMITTED:
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
            .where(Recommendation.return_id.in_(_in_scope(scope)))
            .group_by(Recommendation.priority, Recommendation.theme)
        )
    }
    # The cycle's own lists, in its order, then any a recommendation uses that it no longer has.
    priorities = list(scope.cycle.priorities)
    themes = list(scope.cycle.themes)
    priorities += sorted({p for p, _t in counts} - set(priorities))
    themes += sorted({t for _p, t in counts} - set(themes))
    return RecommendationTable(priorities, themes, counts)


def _partnership_names(session: Session, scope: Scope) -> str:
    if scope.partnership is not None:
        return scope.partnership.name
    names = session.scalars(
        select(Partnership.name)
        .join(CyclePartnership, CyclePartnership.partnership_id == Partnership.id)
        .where(CyclePartnership.cycle_id == scope.cycle.id)
        .order_by(Partnership.name)
    )
    return " and ".join(names)


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
    then_returns = _returns(session, then_scope)
    then_plans = _plans(session, {r.version_id for r in then_returns})
    then_agreed: dict[int, dict[str, int]] = {}
    for return_id, item, rating in session.execute(
        select(AgreedRating.return_id, AgreedRating.item, AgreedRating.rating).where(
            AgreedRating.return_id.in_(_in_scope(then_scope))
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


def _write_summary(session: Session, scope: Scope, book: Book) -> WorkbookFacts:
    """The chair's summary: returns received by sector, ratings by section with charts, the
    agencies with most red ratings, recommendations by priority and theme, and year on year."""
    summary = round_summary(session, scope=scope)
    received = book.sheet(
        "Returns received",
        [
            Column("Sector", fit([line.label for line in summary.received], at_most=40)),
            Column("Invited", 10),
            Column("Received", 10),
            Column("Not yet received", 12, wrap=True),
            Column("Per cent received", 12, wrap=True),
        ],
    )
    for line in summary.received:
        received.add([line.label, line.invited, line.received, line.waiting, line.percent])
    sectors = sum(1 for line in summary.received if not line.total)
    received.bar_chart(
        "Returns received against invited, by sector",
        first_row=2,
        last_row=sectors + 1,
        series=[(3, LevelColour.BLUE), (4, LevelColour.GREY)],
        anchor="G2",
        axis_title="Returns",
    )
    for title, distribution in (
        ("Agreed ratings", summary.agreed),
        ("Self ratings", summary.self_rated),
    ):
        _distribution_sheet(book, title, distribution)
    red = book.sheet(
        "Most red ratings",
        [
            Column("Agency", fit([r.agency for r in summary.most_red], at_least=12), wrap=True),
            Column("Sector", fit([r.sector for r in summary.most_red], at_least=10), wrap=True),
            Column("Agreed ratings in red", 14, wrap=True),
            Column("Agreed ratings in all", 14, wrap=True),
        ],
    )
    for reds in summary.most_red:
        red.add([reds.agency, reds.sector, reds.red, reds.agreed])
    table = summary.recommendations
    recommendations = book.sheet(
        "Recommendations",
        [
            Column("Priority", fit(table.priorities, at_least=12), wrap=True),
            *(Column(theme, fit([theme], at_most=20), wrap=True) for theme in table.themes),
            Column("All themes", 10, wrap=True),
        ],
    )
    for priority in table.priorities:
        recommendations.add(
            [
                priority,
                *(table.count(priority, theme) for theme in table.themes),
                table.by_priority(priority),
            ]
        )
    recommendations.add(
        ["All priorities", *(table.by_theme(theme) for theme in table.themes), table.total]
    )
    notes = []
    change = summary.year_on_year
    if change is None:
        notes.append(("Year on year", "There is no earlier cycle of this partnership to compare."))
    else:
        notes.append(("Year on year", f"Agreed ratings compared with {change.previous.name}."))
        _change_sheet(book, f"Change since {change.previous.name}", "Agency", change.agencies)
        _change_sheet(book, "Change by question", "Question", change.questions)
    versions = [p.version for p in _plans(session, {scope.cycle.questionnaire_version_id}).values()]
    return WorkbookFacts(summary.returns, versions, notes=notes)


def _distribution_sheet(book: Book, title: str, distribution: Distribution) -> None:
    sheet = book.sheet(
        title,
        [
            Column("Section", fit([t for t, _c in distribution.rows], at_least=12), wrap=True),
            *(
                Column(band.label, fit([band.label], at_most=16), wrap=True)
                for band in distribution.bands
            ),
            Column("All ratings", 10),
        ],
    )
    for section, counts in distribution.rows:
        sheet.add([section, *counts, sum(counts)])
    if distribution.rows and distribution.bands:
        sheet.bar_chart(
            f"{title} by section",
            first_row=2,
            last_row=len(distribution.rows) + 1,
            series=[(index + 2, band.colour) for index, band in enumerate(distribution.bands)],
            anchor=f"A{len(distribution.rows) + 4}",
            axis_title="Ratings",
        )


def _change_sheet(book: Book, title: str, name: str, changes: list[Change]) -> None:
    questions = name == "Question"
    sheet = book.sheet(
        title,
        [
            Column(
                name, 60 if questions else fit([c.name for c in changes], at_least=12), wrap=True
            ),
            *([] if questions else [Column("Sector", fit([c.detail for c in changes]), wrap=True)]),
            Column("Ratings compared", 12, wrap=True),
            Column("Improved", 10),
            Column("Same", 10),
            Column("Declined", 10),
            *(
                [Column("Average then", 10, wrap=True), Column("Average now", 10, wrap=True)]
                if questions
                else []
            ),
        ],
    )
    for change in changes:
        sheet.add(
            [
                change.name,
                *([] if questions else [change.detail]),
                change.compared,
                change.improved,
                change.same,
                change.declined,
                *(
                    [round(change.average_then or 0, 2), round(change.average_now or 0, 2)]
                    if questions
                    else []
                ),
            ]
        )


# Action plans and the Composite Action Plan -------------------------------------------------

# Each status's tag colour on screen (progress.SHOWN), as the cell's fill.
STATUS_COLOURS = {
    "not_started": LevelColour.GREY,
    "on_track": LevelColour.GREEN,
    "at_risk": LevelColour.AMBER,
    "overdue": LevelColour.RED,
    "complete": LevelColour.BLUE,
}


def _composite_plans(
    session: Session, scope: Scope
) -> list[tuple[Partnership, composite.CompositePlan]]:
    """The reader's partnership's plan; on the server, every partnership's in the cycle."""
    if scope.partnership is not None:
        partnerships = [scope.partnership]
    else:
        partnerships = list(
            session.scalars(
                select(Partnership)
                .join(CyclePartnership, CyclePartnership.partnership_id == Partnership.id)
                .where(CyclePartnership.cycle_id == scope.cycle.id)
                .order_by(Partnership.name)
            )
        )
    return [
        (p, composite.composite_plan(session, cycle=scope.cycle, partnership=p))
        for p in partnerships
    ]


def _status_cell(action: Any, today: date) -> Rated:
    shown = progress.shown_status(action, today)
    return Rated(shown.label, STATUS_COLOURS[shown.key])


def _latest(plan: composite.CompositePlan, action_id: int) -> tuple[str, object]:
    update = plan.latest.get(action_id)
    return (update.note, uk_time(update.made_at)) if update else ("", None)


def _cycle_versions(session: Session, scope: Scope) -> list[QuestionnaireVersion]:
    version = session.get(QuestionnaireVersion, scope.cycle.questionnaire_version_id)
    return [version] if version is not None else []


def _write_action_plans(session: Session, scope: Scope, book: Book) -> WorkbookFacts:
    """Every action of every agreed agency plan, with the recommendation it answers."""
    today = date.today()
    sheet = book.sheet(
        "Action plans",
        [
            Column("Agency", 36, wrap=True),
            Column("Worry statement", 50, wrap=True),
            Column("Safety goal", 50, wrap=True),
            Column("Next steps", 50, wrap=True),
            Column("Priority", 28, wrap=True),
            Column("Theme", 28, wrap=True),
            Column("Action", 50, wrap=True),
            Column("Owner", 28, wrap=True),
            Column("Due", 12),
            Column("Status", 14),
            Column("How success will be shown", 40, wrap=True),
            Column("Latest progress note", 50, wrap=True),
            Column("Note given (UK time)", 18),
        ],
    )
    returns: set[int] = set()
    for _partnership, plan in _composite_plans(session, scope):
        for recommendation, agency, items in plan.recommendations:
            for item in items:
                returns.add(recommendation.return_id)
                note, when = _latest(plan, item.action.id)
                sheet.add(
                    [
                        agency.name,
                        recommendation.worry_statement,
                        recommendation.safety_goal,
                        recommendation.next_steps,
                        recommendation.priority,
                        recommendation.theme,
                        item.action.description,
                        item.action.owner,
                        item.action.due_on,
                        _status_cell(item.action, today),
                        item.action.success_measure,
                        note,
                        when,
                    ]
                )
    notes = [
        ("Plans", "Agreed by the partnership; plans still being written or agreed are left out.")
    ]
    return WorkbookFacts(len(returns), _cycle_versions(session, scope), notes=notes)


def _write_composite_plan(session: Session, scope: Scope, book: Book) -> WorkbookFacts:
    """The partnership's plan: Section 11 actions and items from other sources, then the
    open actions by theme at the dates the page offers first, read from the history."""
    today = date.today()
    dates = composite.default_dates(scope.cycle, today)
    plans = _composite_plans(session, scope)
    sheet = book.sheet(
        "Composite Action Plan",
        [
            Column("Partnership", 30, wrap=True),
            Column("Source", 22, wrap=True),
            Column("Agency", 30, wrap=True),
            Column("Recommendation or item", 50, wrap=True),
            Column("Action", 50, wrap=True),
            Column("Theme", 28, wrap=True),
            Column("Priority", 28, wrap=True),
            Column("Owner", 28, wrap=True),
            Column("Due", 12),
            Column("Status", 14),
            Column("Latest progress note", 50, wrap=True),
        ],
    )
    returns: set[int] = set()
    for partnership, plan in plans:
        for item in plan.items:
            action = item.action
            if item.recommendation is not None:
                returns.add(item.recommendation.return_id)
            note, _when = _latest(plan, action.id)
            sheet.add(
                [
                    partnership.name,
                    action.source.label,
                    item.agency.name if item.agency else "",
                    item.recommendation.worry_statement if item.recommendation else "",
                    action.description,
                    item.theme,
                    item.priority,
                    action.owner,
                    action.due_on,
                    _status_cell(action, today),
                    note,
                ]
            )
    counts_sheet = book.sheet(
        "Open by theme",
        [
            Column("Partnership", 30, wrap=True),
            Column("Theme", 36, wrap=True),
            *(Column(f"Open on {day:%-d %b %Y}", 16) for day in dates),
        ],
    )
    for partnership, plan in plans:
        counts, totals = composite.open_by_theme(session, plan=plan, dates=dates)
        for row in counts:
            counts_sheet.add([partnership.name, row.theme or "No theme", *row.open_at])
        counts_sheet.add([partnership.name, "All themes", *totals])
    notes = [
        (
            "Open by theme",
            "Counted from each action's recorded history: open from the day its "
            "plan was agreed (or the item was added) until an update marked it complete.",
        ),
    ]
    return WorkbookFacts(len(returns), _cycle_versions(session, scope), notes=notes)


ACTION_PLANS = Kind(
    "action-plans",
    "Action plans",
    frozenset({Reader.PARTNERSHIP, Reader.OPERATOR}),
    _write_action_plans,
)
COMPOSITE_ACTION_PLAN = Kind(
    "composite-action-plan",
    "Composite Action Plan",
    frozenset({Reader.PARTNERSHIP, Reader.OPERATOR}),
    _write_composite_plan,
)
SCORED_RETURNS = Kind(
    "scored-returns",
    "Scored returns",
    frozenset({Reader.PARTNERSHIP, Reader.PANEL, Reader.OPERATOR}),
    _write_scored_returns,
)
SUMMARY = Kind(
    "summary",
    "The chair's summary",
    frozenset({Reader.PARTNERSHIP, Reader.OPERATOR}),
    _write_summary,
)
ONE_RETURN = Kind(
    "return",
    "An agency's return",
    frozenset(Reader),
    _write_one_return,
    by_agency=True,
)
# Adding a workbook is a writer above and an entry here; the CLI and the web offer each one.
KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (SCORED_RETURNS, ACTION_PLANS, COMPOSITE_ACTION_PLAN, SUMMARY, ONE_RETURN)
}


# Making one -----------------------------------------------------------------------------------

WHAT_IT_HOLDS = {
    Reader.PARTNERSHIP: (
        "Returns of {partnership}'s agencies that have been submitted; returns not yet "
        "submitted are left out. Panel members' ratings only from scores they have submitted."
    ),
    Reader.PANEL: (
        "The returns booked into the panel sessions you sit on, less any agency you have an "
        "interest in. Colleagues' ratings once you have submitted yours or the meeting has "
        "started, and only scores they have submitted."
    ),
    Reader.AGENCY: (
        "Your agency's own return as it stands. The panel's agreed ratings and recommendations "
        "once its feedback has been issued."
    ),
    Reader.OPERATOR: (
        "Every agency's submitted return in the cycle; returns not yet submitted are left out. "
        "Panel members' ratings only from scores they have submitted."
    ),
}


@dataclass(frozen=True)
class Export:
    kind: Kind
    file_name: str
    returns: int


def kind_for(scope: Scope, name: str) -> Kind | None:
    """The kind of workbook asked for, if the scope's reader may have it."""
    kind = KINDS.get(name)
    return kind if kind is not None and scope.reader in kind.readers else None


def export(
    session: Session,
    *,
    scope: Scope,
    kind_name: str,
    target: str | Path | IO[bytes],
    agency_id: int | None = None,
    client_address: str | None = None,
    request_id: str | None = None,
) -> Export | None:
    """Write a workbook of the scope to `target`, and record the export in the audit log.
    None when the reader may not have it, or it would be of a return they may not see."""
    kind = kind_for(scope, kind_name)
    if kind is None:
        return None
    if kind.by_agency:
        if agency_id is None and scope.agency_id is None:
            raise ExportError(f"Say which agency's return: {kind.name} needs an agency")
        if agency_id is not None and scope.agency_id not in (None, agency_id):
            return None
        scope = replace(scope, agency_id=agency_id or scope.agency_id)
        if session.scalar(select(func.count()).select_from(_in_scope(scope).subquery())) != 1:
            return None
    book = Book()
    cover = book.cover()
    facts = kind.write(session, scope, book)
    generated = utcnow()
    partnership = _partnership_names(session, scope)
    cover.write(
        f"{kind.title}: {scope.cycle.name}" + (f", {facts.agency}" if facts.agency else ""),
        [
            ("Partnership", partnership),
            ("Cycle", f"{scope.cycle.name} (deadline {scope.cycle.deadline_on:%-d %B %Y})"),
            *([("Agency", facts.agency)] if facts.agency else []),
            ("Questionnaire", "\n".join(_version_line(v) for v in facts.versions)),
            ("Generated", uk_time(generated)),
            ("Generated by", scope.generated_by),
            ("What it holds", WHAT_IT_HOLDS[scope.reader].format(partnership=partnership)),
            ("Returns in it", facts.returns),
            ("Ratings", "Filled in their scale's colours, with each rating's label in words."),
            *facts.notes,
        ],
    )
    book.save(target)
    audit_service.record_event(
        session,
        actor=scope.actor,
        action="workbook_exported",
        object_type="cycle",
        object_id=scope.cycle.id,
        client_address=client_address,
        request_id=request_id,
        detail={
            "kind": kind.name,
            "reader": scope.reader.value,
            "agency_id": scope.agency_id,
            "returns": facts.returns,
        },
    )
    file_name = _file_name(scope.cycle, kind, facts.agency, generated.date())
    return Export(kind, file_name, facts.returns)


def _version_line(version: QuestionnaireVersion) -> str:
    return f"{version.title}, version {version.version} ({version.questionnaire_id})"


def _file_name(cycle: Cycle, kind: Kind, agency: str | None, day: date) -> str:
    """A name safe on every system and in a Content-Disposition header: a-z, 0-9 and hyphens."""
    parts = [cycle.slug, kind.name, agency or "", day.isoformat()]
    words = "-".join(re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") for part in parts if part)
    return re.sub(r"-+", "-", words)[:120].strip("-") + ".xlsx"


def kinds_for(scope: Scope) -> list[Kind]:
    """The workbooks the scope's reader may download, for the pages to offer."""
    return [kind for kind in KINDS.values() if scope.reader in kind.readers]


def summaries_of(
    session: Session, *, person: Person, partnership: Partnership | None
) -> list[Cycle]:
    """The cycles whose summary the person may read: their partnership's, if they read its
    round."""
    if partnership is None or not reads_round(person, partnership):
        return []
    return cycles_service.cycles_of(session, partnership=partnership)
