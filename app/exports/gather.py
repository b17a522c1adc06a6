"""Gathering a scope's returns, questionnaires, answers and scores, streamed a return at a
time for large rounds. Never writes a workbook and never widens the scope it is given."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.db import aware
from app.directory.models import Agency, AgencySector, SchoolPhase, SchoolType
from app.exports.scope import Reader, Scope, in_scope
from app.panels.models import AgreedRating, Feedback, PanelScore, ScoreSheet
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.rendering import answer_text, levels_for
from app.questionnaires.rules import is_shown
from app.questionnaires.schema import Level, QuestionBase, Questionnaire, Section, TableQuestion
from app.returns import service as returns_service
from app.returns.models import AgencyReturn, Answer, EvidenceFile, ReturnStatus
from app.spreadsheets import Rated

LONDON = ZoneInfo("Europe/London")


STREAM_BATCH = 2000  # rows fetched at a time from each query of a large export


@dataclass(frozen=True)
class ReturnRow:
    id: int
    agency_id: int
    agency: str
    sector: AgencySector
    status: ReturnStatus
    submitted_at: datetime | None
    version_id: int
    school_type: SchoolType | None = None
    school_phase: SchoolPhase | None = None
    school_body: str | None = None
    urn: str | None = None

    @property
    def school_cells(self) -> list[str]:
        """The school columns of a workbook's row: empty for agencies that are not schools."""
        return [
            self.school_type.label if self.school_type else "",
            self.school_phase.label if self.school_phase else "",
            self.school_body or "",
            self.urn or "",
        ]


SCHOOL_HEADINGS = ("School type", "Phase", "Local authority or trust", "URN")


def returns_of(session: Session, scope: Scope) -> list[ReturnRow]:
    rows = session.execute(
        select(
            AgencyReturn.id,
            AgencyReturn.agency_id,
            Agency.name,
            Agency.sector,
            AgencyReturn.status,
            AgencyReturn.submitted_at,
            AgencyReturn.questionnaire_version_id,
            Agency.school_type,
            Agency.school_phase,
            Agency.school_body,
            Agency.urn,
        )
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(AgencyReturn.id.in_(in_scope(scope)))
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


def plans_of(session: Session, version_ids: set[int]) -> dict[int, Plan]:
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


def sections_of(plans: dict[int, Plan], first: int) -> list[tuple[str, Section, Plan]]:
    """Every section in the workbook, the cycle's own questionnaire first; a sector's
    questionnaire adds its sections that the cycle's does not have."""
    seen: dict[str, tuple[str, Section, Plan]] = {}
    for version_id in sorted(plans, key=lambda v: (v != first, v)):
        plan = plans[version_id]
        for section in plan.questionnaire.sections:
            seen.setdefault(section.id, (section.id, section, plan))
    return list(seen.values())


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
        .where(return_id.in_(in_scope(scope)))
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
        values, row = self.values, self.row
        return {
            section.id: [q for q in section.questions if is_shown(q, agency=row, values=values)]
            for section in self.plan.questionnaire.sections
        }

    def shown(self, section: Section) -> list[QuestionBase]:
        return self._shown.get(section.id, [])


def gather_answers(
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
        session.scalars(select(Feedback.return_id).where(Feedback.return_id.in_(in_scope(scope))))
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


def table_questions(sections: list[tuple[str, Section, Plan]]) -> list[TableQuestion]:
    """The table questions of a workbook's sections: each gets a sheet of its own rows."""
    return [q for _sid, s, _plan in sections for q in s.questions if isinstance(q, TableQuestion)]


def table_rows(gathered: Gathered, question_id: str) -> Iterator[list[object]]:
    """One return's rows of a table question, numbered, a cell per column (numbers as
    numbers, choices by their labels); nothing if the question is not shown to the agency."""
    question = gathered.plan.questionnaire.question(question_id)
    section = gathered.plan.section_of(question_key(question_id))
    if not isinstance(question, TableQuestion) or section is None:
        return
    if question not in gathered.shown(section):
        return
    value, _at = gathered.answers.get(question_id, UNANSWERED)
    if not isinstance(value, list):
        return
    for number, row in enumerate(value, start=1):
        if isinstance(row, dict):
            yield [
                number,
                *(_table_cell(column, row.get(column.id)) for column in question.columns),
            ]


def _table_cell(column: Any, value: Any) -> object:
    if value in (None, ""):
        return None
    if column.type == "number":
        try:
            return float(value) if "." in str(value) else int(value)
        except ValueError:
            return str(value)
    if column.type == "yes_no":
        return {"yes": "Yes", "no": "No"}.get(str(value), str(value))
    if column.options:
        return next((o.label for o in column.options if o.value == value), str(value))
    return str(value)


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
