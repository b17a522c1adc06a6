"""Saving answers without ever losing a word: a save names the version it was based on; if
someone else saved since, it is refused with both texts, never applied over theirs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app import metrics
from app.db import utcnow
from app.directory.models import Person
from app.questionnaires.schema import Questionnaire
from app.returns.models import AgencyReturn, Answer, AnswerRevision, ReturnStatus
from app.returns.service import ReturnError, ReturnView, answers_of, move_return


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
    source: str | None = None,
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
            "source": source,
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
    metrics.CONFLICTS.inc()  # every refused save passes here, typed or autosaved
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
