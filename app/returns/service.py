"""The rules of a return: saving answers without ever losing a word, and moving its status.

A save names the version it was based on; if someone else saved since, it is refused with
both texts, never applied over theirs. Services flush; the request commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.audit import service as audit_service
from app.cycles.models import Cycle, CyclePartnership
from app.db import utcnow
from app.directory.models import Agency, PartnershipAgency, Person, Role
from app.notifications.mail import Email
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.rendering import answer_text, levels_for
from app.questionnaires.rules import counts_as_answered, is_shown, questions_read
from app.questionnaires.schema import QuestionBase, Questionnaire, Section
from app.returns import evidence
from app.returns.models import (
    ALLOWED_MOVES,
    AgencyReturn,
    Answer,
    AnswerRevision,
    EvidenceFile,
    ReturnStatus,
)


class ReturnError(ValueError):
    """A change the return's rules refuse, with a message fit for the page."""


@dataclass(eq=False)
class SaveConflict(Exception):
    """Someone saved this answer since the version the person started from."""

    question_id: str
    yours: Any
    current: Any
    current_version: int
    changed_by_id: int | None
    changed_at: datetime


@dataclass(frozen=True)
class SavedAnswer:
    question_id: str
    version: int
    changed: bool
    saved_at: datetime


def move_return(
    session: Session,
    *,
    agency_return: AgencyReturn,
    to: ReturnStatus,
    actor: Person | None,
    reason: str | None = None,
) -> None:
    """Change a return's status, if the status model allows that move."""
    was = agency_return.status
    if to not in ALLOWED_MOVES[was]:
        raise ReturnError(f"A return that is {was.label.lower()} cannot become {to.label.lower()}")
    agency_return.status = to
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="return_status_changed",
        object_type="return",
        object_id=agency_return.id,
        detail={"from": was.value, "to": to.value, "reason": reason},
    )


# An autosave's statements, built once: autosaves come every few seconds while people type,
# and building a statement costs more than SQLite takes to run it. The UPDATE and INSERT go
# straight to the tables: for one row the unit of work's bookkeeping costs more than the row.
_CURRENT_ANSWER = select(Answer).where(
    Answer.return_id == bindparam("return_id"), Answer.question_id == bindparam("question_id")
)
_answers = Answer.__table__.c
# Only moves an answer on from the version the person saw: the database, not this process,
# decides who saved first.
_NEXT_VERSION = (
    update(Answer.__table__)
    .where(_answers.id == bindparam("answer_id"), _answers.version == bindparam("based_on"))
    .values(
        value=bindparam("new_value", type_=_answers.value.type),
        version=_answers.version + 1,
        updated_by_id=bindparam("by_id"),
        updated_at=bindparam("at", type_=_answers.updated_at.type),
    )
)
_REVISION = insert(AnswerRevision.__table__)


def save_answer(
    session: Session,
    *,
    agency_return: AgencyReturn,
    questionnaire: Questionnaire,
    question_id: str,
    value: Any,
    based_on_version: int,
    actor: Person,
) -> SavedAnswer:
    """Save one answer. `based_on_version` is the version the person saw (0: no answer yet)."""
    if not agency_return.status.editable:
        raise ReturnError("This return has been submitted: answers can no longer change")
    if questionnaire.question(question_id) is None:
        raise ReturnError(f"There is no question '{question_id}' in this return")
    current = session.scalar(
        _CURRENT_ANSWER, {"return_id": agency_return.id, "question_id": question_id}
    )
    now = utcnow()
    if current is None and value is None:
        return SavedAnswer(question_id, 0, changed=False, saved_at=now)
    if current is not None and current.value == value:
        return SavedAnswer(question_id, current.version, changed=False, saved_at=now)
    if current is None:
        if based_on_version != 0:
            raise ReturnError(f"There is no saved answer to question '{question_id}' to change")
        answer = _insert_first_answer(session, agency_return, question_id, value, actor, now)
        if answer is None:  # someone else saved the first answer a moment ago
            return _conflict(session, agency_return, question_id, value)
        old_value = None
    else:
        if current.version != based_on_version:
            raise _conflict_from(current, value)
        old_value = current.value
        moved = session.execute(
            _NEXT_VERSION,
            {
                "answer_id": current.id,
                "based_on": based_on_version,
                "new_value": value,
                "by_id": actor.id,
                "at": now,
            },
        )
        if moved.rowcount != 1:
            session.expire(current)
            return _conflict(session, agency_return, question_id, value)
        # The row now holds exactly these; record them as loaded rather than read it back.
        for name, new in (
            ("value", value),
            ("version", based_on_version + 1),
            ("updated_by_id", actor.id),
            ("updated_at", now),
        ):
            set_committed_value(current, name, new)
        answer = current
    session.execute(
        _REVISION,
        {
            "answer_id": answer.id,
            "version": answer.version,
            "old_value": old_value,
            "new_value": value,
            "changed_by_id": actor.id,
            "changed_at": now,
        },
    )
    if agency_return.status is ReturnStatus.NOT_STARTED:
        move_return(session, agency_return=agency_return, to=ReturnStatus.IN_PROGRESS, actor=actor)
    return SavedAnswer(question_id, answer.version, changed=True, saved_at=now)


def _insert_first_answer(
    session: Session,
    agency_return: AgencyReturn,
    question_id: str,
    value: Any,
    actor: Person,
    now: datetime,
) -> Answer | None:
    answer = Answer(
        return_id=agency_return.id,
        question_id=question_id,
        value=value,
        version=1,
        updated_by_id=actor.id,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(answer)
    except IntegrityError:
        return None
    return answer


def _conflict_from(current: Answer, yours: Any) -> SaveConflict:
    return SaveConflict(
        question_id=current.question_id,
        yours=yours,
        current=current.value,
        current_version=current.version,
        changed_by_id=current.updated_by_id,
        changed_at=current.updated_at,
    )


def _conflict(
    session: Session, agency_return: AgencyReturn, question_id: str, yours: Any
) -> SavedAnswer:
    current = session.scalars(
        select(Answer)
        .where(Answer.return_id == agency_return.id, Answer.question_id == question_id)
        .execution_options(populate_existing=True)
    ).one()
    raise _conflict_from(current, yours)


# Built once: every page of a return reads its answers and files (a section page twice, with
# last year's beside them).
_ANSWERS = select(Answer).where(Answer.return_id == bindparam("return_id"))
_FILES = (
    select(EvidenceFile)
    .where(EvidenceFile.return_id == bindparam("return_id"))
    .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
)


def answers_of(session: Session, *, agency_return: AgencyReturn) -> dict[str, Answer]:
    return {
        answer.question_id: answer
        for answer in session.scalars(_ANSWERS, {"return_id": agency_return.id})
    }


def history_of(session: Session, *, answer: Answer) -> list[AnswerRevision]:
    return list(
        session.scalars(
            select(AnswerRevision)
            .where(AnswerRevision.answer_id == answer.id)
            .order_by(AnswerRevision.version)
        )
    )


# Reading a return ---------------------------------------------------------------------------


def answer_values(
    questionnaire: Questionnaire, answers: dict[str, Any], files: dict[str, list[str]]
) -> dict[str, Any]:
    """Each question's value as the rules read it: its saved answer, except that an evidence
    question is answered by the names of its files."""
    values = dict(answers)
    for question_id, names in files.items():
        question = questionnaire.question(question_id)
        if names and getattr(question, "type", "") == "evidence":
            values[question_id] = list(names)  # the answer is files
    return values


@dataclass(frozen=True)
class SectionProgress:
    section: Section
    questions: list[QuestionBase]  # the ones shown to this agency, with these answers
    status: str  # "not started", "in progress" or "completed"


@dataclass
class ReturnView:
    """A return as its agency's people work on it, fetched only through `return_for`."""

    agency_return: AgencyReturn
    cycle: Cycle
    agency: Agency
    questionnaire: Questionnaire
    answers: dict[str, Answer]
    is_lead: bool
    evidence: dict[str, list[EvidenceFile]] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, Any]:
        return answer_values(
            self.questionnaire,
            {qid: answer.value for qid, answer in self.answers.items()},
            {qid: [file.file_name for file in files] for qid, files in self.evidence.items()},
        )

    def shown(self, section: Section) -> list[QuestionBase]:
        values = self.values
        return [
            q for q in section.questions if is_shown(q, sector=self.agency.sector, values=values)
        ]

    def sections(self) -> list[SectionProgress]:
        values = self.values
        result = []
        for section in self.questionnaire.sections:
            questions = self.shown(section)
            answered = [q for q in questions if counts_as_answered(q, values.get(q.id))]
            missing = [q for q in questions if q.required and q not in answered]
            if questions and not answered:
                status = "not started"
            else:
                status = "in progress" if missing else "completed"
            result.append(SectionProgress(section, questions, status))
        return result

    def section_of(self, question_id: str) -> str | None:
        return next((s.id for s, q in self.questionnaire.questions() if q.id == question_id), None)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.questionnaire.sections if s.id == section_id), None)

    @property
    def required_progress(self) -> tuple[int, int]:
        values = self.values
        required = [q for s in self.sections() for q in s.questions if q.required]
        answered = [q for q in required if counts_as_answered(q, values.get(q.id))]
        return len(answered), len(required)


def _agency_roles(person: Person) -> dict[int, set[Role]]:
    roles: dict[int, set[Role]] = {}
    for membership in person.memberships:
        if membership.agency_id is not None:
            roles.setdefault(membership.agency_id, set()).add(membership.role)
    return roles


# The returns of the agencies a person leads or contributes to, in their partnerships. Built
# once, with the person's agencies and partnerships as parameters (`_visible_to`): every page
# of a return and every autosave runs it.
_VISIBLE_RETURNS = (
    select(AgencyReturn, Cycle, Agency)
    .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
    .join(Agency, Agency.id == AgencyReturn.agency_id)
    .where(
        AgencyReturn.agency_id.in_(bindparam("agency_ids", expanding=True)),
        Cycle.id.in_(
            select(CyclePartnership.cycle_id).where(
                CyclePartnership.partnership_id.in_(bindparam("partnership_ids", expanding=True))
            )
        ),
    )
)
_RETURNS_NEWEST_FIRST = _VISIBLE_RETURNS.order_by(Cycle.deadline_on.desc(), Agency.name)
# With its questionnaire version, so that `view_of` finds it in the session (its content is
# deferred: `snapshot` parses it once per process).
_ONE_RETURN = (
    _VISIBLE_RETURNS.add_columns(QuestionnaireVersion)
    .join(QuestionnaireVersion, QuestionnaireVersion.id == AgencyReturn.questionnaire_version_id)
    .where(AgencyReturn.id == bindparam("return_id"))
)


def _visible_to(person: Person, **more: Any) -> dict[str, Any]:
    """The parameters of `_VISIBLE_RETURNS` for this person."""
    return {
        "agency_ids": list(_agency_roles(person)),
        "partnership_ids": list({m.partnership_id for m in person.memberships if m.agency_id}),
        **more,
    }


def returns_for(session: Session, *, person: Person) -> list[tuple[AgencyReturn, Cycle, Agency]]:
    """The returns the person may work on, newest cycle first."""
    visible = _visible_to(person)
    if not visible["agency_ids"]:
        return []
    rows = session.execute(_RETURNS_NEWEST_FIRST, visible)
    return [tuple(row) for row in rows]  # type: ignore[misc]


def return_for(session: Session, *, person: Person, return_id: int) -> ReturnView | None:
    """Fetch a return through the access policy: another agency's return does not exist."""
    row = session.execute(_ONE_RETURN, _visible_to(person, return_id=return_id)).first()
    if row is None:
        return None
    agency_return, _cycle, agency, _version = row
    roles = _agency_roles(person).get(agency.id, set())
    return view_of(session, agency_return, is_lead=Role.AGENCY_LEAD in roles)


@dataclass(frozen=True)
class AnswerToSave:
    agency_return: AgencyReturn
    questionnaire: Questionnaire
    question: QuestionBase


def answer_to_save(
    session: Session, *, person: Person, return_id: int, section_id: str, question_id: str
) -> AnswerToSave | None:
    """For one autosave, the question if the person may answer it there and it is shown.

    Autosaves come every few seconds while people type, so this reads only the answers the
    question's show_if looks at, where `return_for` would load the whole return.
    """
    row = session.execute(_ONE_RETURN, _visible_to(person, return_id=return_id)).first()
    if row is None:
        return None
    agency_return, _cycle, agency, version = row
    questionnaire = questionnaire_service.snapshot(version)
    question = questionnaire.question(question_id)
    section = next((s for s in questionnaire.sections if s.id == section_id), None)
    if section is None or not any(q.id == question_id for q in section.questions):
        return None
    assert question is not None
    values = _values_read_by(session, agency_return, questionnaire, question)
    if not is_shown(question, sector=agency.sector, values=values):
        return None
    return AnswerToSave(agency_return, questionnaire, question)


def _values_read_by(
    session: Session,
    agency_return: AgencyReturn,
    questionnaire: Questionnaire,
    question: QuestionBase,
) -> dict[str, Any]:
    """The answers a question's show_if reads, as `ReturnView.values` gives them."""
    read = questions_read(question.show_if)
    if not read:
        return {}
    values: dict[str, Any] = dict(
        session.execute(  # type: ignore[arg-type]
            select(Answer.question_id, Answer.value).where(
                Answer.return_id == agency_return.id, Answer.question_id.in_(read)
            )
        ).all()
    )
    by_files = [q for q in read if getattr(questionnaire.question(q), "type", "") == "evidence"]
    if by_files:
        files: dict[str, list[str]] = {}
        for question_id, file_name in session.execute(
            select(EvidenceFile.question_id, EvidenceFile.file_name)
            .where(
                EvidenceFile.return_id == agency_return.id,
                EvidenceFile.question_id.in_(by_files),
            )
            .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
        ):
            files.setdefault(question_id, []).append(file_name)
        values.update(files)  # an evidence question is answered by its files
    return values


def view_of(session: Session, agency_return: AgencyReturn, *, is_lead: bool = False) -> ReturnView:
    """The whole return, for callers that have already decided who may see it."""
    cycle = session.get(Cycle, agency_return.cycle_id)
    agency = session.get(Agency, agency_return.agency_id)
    assert cycle is not None and agency is not None
    version = session.get(QuestionnaireVersion, agency_return.questionnaire_version_id)
    assert version is not None
    return ReturnView(
        agency_return=agency_return,
        cycle=cycle,
        agency=agency,
        questionnaire=questionnaire_service.snapshot(version),
        answers=answers_of(session, agency_return=agency_return),
        is_lead=is_lead,
        evidence=evidence_of(session, agency_return=agency_return),
    )


def views_of(
    session: Session, returns: list[AgencyReturn], *, cycle: Cycle
) -> dict[int, ReturnView]:
    """Many returns of one cycle at once, in a fixed number of statements (for dashboards)."""
    ids = [r.id for r in returns]
    answers: dict[int, dict[str, Answer]] = {i: {} for i in ids}
    for answer in session.scalars(select(Answer).where(Answer.return_id.in_(ids))):
        answers[answer.return_id][answer.question_id] = answer
    files: dict[int, dict[str, list[EvidenceFile]]] = {i: {} for i in ids}
    for file in session.scalars(
        select(EvidenceFile)
        .where(EvidenceFile.return_id.in_(ids))
        .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
    ):
        files[file.return_id].setdefault(file.question_id, []).append(file)
    agencies = {
        a.id: a
        for a in session.scalars(
            select(Agency).where(Agency.id.in_({r.agency_id for r in returns}))
        )
    }
    versions = {
        v.id: v
        for v in session.scalars(
            select(QuestionnaireVersion).where(
                QuestionnaireVersion.id.in_({r.questionnaire_version_id for r in returns})
            )
        )
    }
    return {
        r.id: ReturnView(
            agency_return=r,
            cycle=cycle,
            agency=agencies[r.agency_id],
            questionnaire=questionnaire_service.snapshot(versions[r.questionnaire_version_id]),
            answers=answers[r.id],
            is_lead=False,
            evidence=files[r.id],
        )
        for r in returns
    }


@dataclass
class SectionSave:
    saved: list[SavedAnswer]
    conflicts: list[SaveConflict]


def save_section(
    session: Session,
    *,
    view: ReturnView,
    values: dict[str, Any],
    versions: dict[str, int],
    unchanged: set[str],
    actor: Person,
) -> SectionSave:
    """Save each answer the person changed; a conflict on one never stops the others."""
    result = SectionSave(saved=[], conflicts=[])
    for question_id, value in values.items():
        if question_id in unchanged:
            continue  # left as they found it: someone else's newer answer stays
        try:
            result.saved.append(
                save_answer(
                    session,
                    agency_return=view.agency_return,
                    questionnaire=view.questionnaire,
                    question_id=question_id,
                    value=value,
                    based_on_version=versions.get(question_id, 0),
                    actor=actor,
                )
            )
        except SaveConflict as conflict:
            result.conflicts.append(conflict)
    view.answers = answers_of(session, agency_return=view.agency_return)
    return result


# Evidence ----------------------------------------------------------------------------------


def takes_evidence(question: QuestionBase) -> bool:
    """Files can be attached to evidence questions and to each rated standard."""
    return getattr(question, "type", "") in ("evidence", "rating")


def evidence_of(session: Session, *, agency_return: AgencyReturn) -> dict[str, list[EvidenceFile]]:
    files: dict[str, list[EvidenceFile]] = {}
    for file in session.scalars(_FILES, {"return_id": agency_return.id}):
        files.setdefault(file.question_id, []).append(file)
    return files


def attach_evidence(
    session: Session,
    *,
    view: ReturnView,
    question_id: str,
    source: BinaryIO,
    claimed_name: str,
    actor: Person,
    directory: Path,
    max_bytes: int,
    quota_bytes: int,
) -> EvidenceFile:
    """Keep an uploaded file as evidence for one question, if its size and content pass."""
    agency_return = view.agency_return
    if not agency_return.status.editable:
        raise ReturnError("This return has been submitted: its evidence can no longer change")
    question = view.questionnaire.question(question_id)
    if question is None or not takes_evidence(question):
        raise ReturnError("Files cannot be attached to this question")
    try:
        stored = evidence.store_upload(
            source, claimed_name=claimed_name, directory=directory, max_bytes=max_bytes
        )
    except evidence.EvidenceRefused as refused:
        raise ReturnError(f"{shown_name(claimed_name)}: {refused}") from None
    used = session.scalar(
        select(func.coalesce(func.sum(EvidenceFile.size), 0)).where(
            EvidenceFile.return_id == agency_return.id
        )
    )
    if used + stored.size > quota_bytes:
        evidence.path_of(directory, stored.stored_name).unlink(missing_ok=True)
        raise ReturnError(
            f"{shown_name(claimed_name)}: this return can hold {quota_bytes // evidence.MB} MB "
            f"of evidence and has {max(0, quota_bytes - used) // evidence.MB} MB left. "
            "Remove a file or make this one smaller"
        )
    file = EvidenceFile(
        return_id=agency_return.id,
        question_id=question_id,
        stored_name=stored.stored_name,
        file_name=stored.file_name,
        kind=stored.kind.name,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=actor.id,
    )
    session.add(file)
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="evidence_added",
        object_type="return",
        object_id=agency_return.id,
        detail={"question": question_id, "file": stored.file_name, "bytes": stored.size},
    )
    if agency_return.status is ReturnStatus.NOT_STARTED:
        move_return(session, agency_return=agency_return, to=ReturnStatus.IN_PROGRESS, actor=actor)
    view.evidence.setdefault(question_id, []).append(file)
    return file


def shown_name(claimed_name: str) -> str:
    """The uploaded name as a person would recognise it, for messages (escaped when shown)."""
    name = "".join(ch for ch in claimed_name.split("/")[-1].split("\\")[-1] if ch.isprintable())
    return f"“{name[:80]}”" if name else "The file"


def evidence_file(view: ReturnView, *, file_id: int) -> EvidenceFile | None:
    """One of this return's files; another return's file id finds nothing."""
    return next((f for files in view.evidence.values() for f in files if f.id == file_id), None)


def remove_evidence(
    session: Session, *, view: ReturnView, file: EvidenceFile, actor: Person, directory: Path
) -> None:
    if not view.agency_return.status.editable:
        raise ReturnError("This return has been submitted: its evidence can no longer change")
    session.delete(file)
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="evidence_removed",
        object_type="return",
        object_id=view.agency_return.id,
        detail={"question": file.question_id, "file": file.file_name},
    )
    view.evidence[file.question_id].remove(file)
    evidence.path_of(directory, file.stored_name).unlink(missing_ok=True)


# Last year ---------------------------------------------------------------------------------

CLOSED_FOR_EDITING = [
    ReturnStatus.NOT_STARTED,
    ReturnStatus.IN_PROGRESS,
    ReturnStatus.AWAITING_SIGN_OFF,
]


def previous_return(session: Session, *, view: ReturnView) -> ReturnView | None:
    """The agency's submitted return in the latest earlier cycle of the same partnerships."""
    partnerships = select(CyclePartnership.partnership_id).where(
        CyclePartnership.cycle_id == view.cycle.id
    )
    # Its cycle and version come in the same statement, for view_of to find in the session.
    earlier = session.execute(
        select(AgencyReturn, Cycle, QuestionnaireVersion)
        .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
        .join(
            QuestionnaireVersion,
            QuestionnaireVersion.id == AgencyReturn.questionnaire_version_id,
        )
        .where(
            AgencyReturn.agency_id == view.agency.id,
            Cycle.deadline_on < view.cycle.deadline_on,
            Cycle.id.in_(
                select(CyclePartnership.cycle_id).where(
                    CyclePartnership.partnership_id.in_(partnerships)
                )
            ),
            AgencyReturn.status.not_in(CLOSED_FOR_EDITING),
        )
        .order_by(Cycle.deadline_on.desc())
        .limit(1)
    ).first()
    return view_of(session, earlier[0]) if earlier is not None else None


def last_years_answers(view: ReturnView, last: ReturnView | None) -> dict[str, str]:
    """Last year's answer to each question asked again, as text, to show beside it."""
    if last is None:
        return {}
    values = last.values
    shown = {}
    for question_id, value in values.items():
        then = last.questionnaire.question(question_id)
        if then is not None and view.questionnaire.question(question_id) is not None:
            shown[question_id] = answer_text(last.questionnaire, then, value)
    return shown


def _still_fits(questionnaire: Questionnaire, question: QuestionBase, value: Any) -> bool:
    """Whether last year's value is a valid answer to this year's question."""
    if isinstance(value, dict) and value.get("not_applicable"):
        return bool(question.not_applicable)
    kind = getattr(question, "type", "")
    if kind == "rating":
        return value in {level.value for level in levels_for(questionnaire, question)}
    if kind == "single_choice":
        return value in {o.value for o in question.options}  # type: ignore[attr-defined]
    if kind == "multiple_choice":
        options = {o.value for o in question.options}  # type: ignore[attr-defined]
        return isinstance(value, list) and set(value) <= options
    return kind != "evidence"  # evidence is files, copied as files


@dataclass(frozen=True)
class CarriedOver:
    answers: int
    files: int


def start_from_last_year(
    session: Session, *, view: ReturnView, last: ReturnView, actor: Person, directory: Path
) -> CarriedOver:
    """Copy last year's answers and evidence into the questions not answered yet this year,
    matched by question id; nothing already written this year is touched."""
    if not view.is_lead:
        raise ReturnError("Only the agency's safeguarding lead can start from last year's answers")
    if not view.agency_return.status.editable:
        raise ReturnError("This return has been submitted: answers can no longer change")
    answers = files = 0
    for _section, question in view.questionnaire.questions():
        then = last.answers.get(question.id)
        if (
            then is not None
            and question.id not in view.answers
            and _still_fits(view.questionnaire, question, then.value)
        ):
            try:
                save_answer(
                    session,
                    agency_return=view.agency_return,
                    questionnaire=view.questionnaire,
                    question_id=question.id,
                    value=then.value,
                    based_on_version=0,
                    actor=actor,
                )
                answers += 1
            except SaveConflict:
                pass  # a colleague answered it a moment ago: theirs stands
        if takes_evidence(question) and not view.evidence.get(question.id):
            for file in last.evidence.get(question.id, []):
                copy = EvidenceFile(
                    return_id=view.agency_return.id,
                    question_id=question.id,
                    stored_name=evidence.copy_stored(directory, file.stored_name),
                    file_name=file.file_name,
                    kind=file.kind,
                    size=file.size,
                    sha256=file.sha256,
                    uploaded_by_id=actor.id,
                )
                session.add(copy)
                view.evidence.setdefault(question.id, []).append(copy)
                files += 1
    if files and view.agency_return.status is ReturnStatus.NOT_STARTED:
        move_return(
            session, agency_return=view.agency_return, to=ReturnStatus.IN_PROGRESS, actor=actor
        )
    session.flush()
    view.answers = answers_of(session, agency_return=view.agency_return)
    audit_service.record_event(
        session,
        actor=actor,
        action="started_from_last_year",
        object_type="return",
        object_id=view.agency_return.id,
        detail={"from_return": last.agency_return.id, "answers": answers, "files": files},
    )
    return CarriedOver(answers=answers, files=files)


# Submitting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingAnswer:
    section: Section
    question: QuestionBase


def missing_answers(view: ReturnView) -> list[MissingAnswer]:
    """Required questions shown to this agency and not yet answered, in questionnaire order."""
    values = view.values
    return [
        MissingAnswer(progress.section, q)
        for progress in view.sections()
        for q in progress.questions
        if q.required and not counts_as_answered(q, values.get(q.id))
    ]


@dataclass(frozen=True)
class SeniorOfficer:
    """Who will confirm the submission where the cycle asks for senior sign-off."""

    name: str
    role: str
    email: str


def submit_return(
    session: Session, *, view: ReturnView, actor: Person, officer: SeniorOfficer | None = None
) -> bool:
    """Submit once: True when this call submitted it, False when it already was (a double
    click, the back button or a retry never makes a second submission). Where the cycle asks
    for senior sign-off the return waits, locked, for the officer's confirmation."""
    agency_return = view.agency_return
    if not view.is_lead:
        raise ReturnError("Only the agency's safeguarding lead can submit the return")
    if not agency_return.status.editable:
        return False
    missing = missing_answers(view)
    if missing:
        raise ReturnError(f"Answer the {len(missing)} required questions before you submit")
    needs_sign_off = view.cycle.senior_sign_off_required
    if needs_sign_off and officer is None:
        raise ReturnError("Give the senior officer's name, role and email address")
    to = ReturnStatus.AWAITING_SIGN_OFF if needs_sign_off else ReturnStatus.SUBMITTED
    # The conditional UPDATE is the lock: of two submissions at once, one changes the row.
    moved = session.execute(
        update(AgencyReturn)
        .where(
            AgencyReturn.id == agency_return.id,
            AgencyReturn.status.in_([ReturnStatus.NOT_STARTED, ReturnStatus.IN_PROGRESS]),
        )
        .values(status=to, submitted_at=utcnow(), submitted_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    session.expire(agency_return)
    if moved.rowcount != 1:
        if not agency_return.status.editable:
            return False
        raise ReturnError("This return can no longer be submitted")
    audit_service.record_event(
        session,
        actor=actor,
        action="return_status_changed",
        object_type="return",
        object_id=agency_return.id,
        detail={"from": "in_progress", "to": to.value},
    )
    return True


def reopen_return(
    session: Session, *, agency_return: AgencyReturn, reason: str, actor: Person
) -> None:
    """A coordinator sends a submitted return back to the agency to change, saying why."""
    reason = reason.strip()
    if not reason:
        raise ReturnError("Say why the return is being reopened: the agency will read it")
    if len(reason) > 2000:
        raise ReturnError("Use 2,000 characters or fewer for the reason")
    if agency_return.status not in (ReturnStatus.SUBMITTED, ReturnStatus.AWAITING_SIGN_OFF):
        raise ReturnError(
            f"Only a submitted return can be reopened; this one is "
            f"{agency_return.status.label.lower()}"
        )
    move_return(
        session,
        agency_return=agency_return,
        to=ReturnStatus.IN_PROGRESS,
        actor=actor,
        reason=reason,
    )
    agency_return.signed_off_name = agency_return.signed_off_role = None
    agency_return.signed_off_at = None
    session.flush()


def receipt_email(view: ReturnView, *, to: Person, base_url: str) -> Email:
    link = f"{base_url.rstrip('/')}/returns/{view.agency_return.id}"
    agency_return = view.agency_return
    signed_off = (
        f", signed off by {agency_return.signed_off_name}, {agency_return.signed_off_role}"
        if agency_return.signed_off_name
        else ""
    )
    return Email(
        to=to.email,
        subject=f"Received: {view.agency.name}'s return for {view.cycle.name}",
        body=(
            f"Hello {to.name},\n\n"
            f"Thank you: {view.agency.name}'s Section 11 return for {view.cycle.name} was "
            f"submitted on {utcnow():%-d %B %Y at %H:%M} (UTC){signed_off}.\n\n"
            f"You can read it at {link}\n\n"
            "The partnership's business unit will be in touch about the challenge and support "
            "panel.\n"
        ),
    )


def reopened_email(view: ReturnView, *, to: Person, reason: str, base_url: str) -> Email:
    return Email(
        to=to.email,
        subject=f"Reopened: {view.agency.name}'s return for {view.cycle.name}",
        body=(
            f"Hello {to.name},\n\n"
            f"The partnership has reopened {view.agency.name}'s Section 11 return for "
            f"{view.cycle.name} so that it can be changed. The reason given:\n\n{reason}\n\n"
            "Make the changes, then submit it again from "
            f"{base_url.rstrip('/')}/returns/{view.agency_return.id}/check\n"
        ),
    )


def partnership_id_of(session: Session, *, agency_return: AgencyReturn) -> int | None:
    """The partnership whose round the return is in: of the cycle's, the first the agency is
    in; its coordinators see the return's emails."""
    return session.scalar(
        select(CyclePartnership.partnership_id)
        .join(
            PartnershipAgency,
            (PartnershipAgency.partnership_id == CyclePartnership.partnership_id)
            & (PartnershipAgency.agency_id == agency_return.agency_id),
        )
        .where(CyclePartnership.cycle_id == agency_return.cycle_id)
        .order_by(CyclePartnership.partnership_id)
        .limit(1)
    )


def submitter_of(session: Session, *, agency_return: AgencyReturn) -> Person | None:
    if agency_return.submitted_by_id is None:
        return None
    return session.get(Person, agency_return.submitted_by_id)


def people_named(session: Session, *, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())
