"""The rules of a return: saving answers without ever losing a word, and moving its status.

A save names the version it was based on; if someone else saved since, it is refused with
both texts, never applied over theirs. Services flush; the request commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.db import utcnow
from app.directory.models import Person
from app.questionnaires.schema import Questionnaire
from app.returns.models import ALLOWED_MOVES, AgencyReturn, Answer, AnswerRevision, ReturnStatus


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
        select(Answer).where(
            Answer.return_id == agency_return.id, Answer.question_id == question_id
        )
    )
    now = utcnow()
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
        # Only succeeds if nobody has saved since: the database, not this process, decides.
        moved = session.execute(
            update(Answer)
            .where(Answer.id == current.id, Answer.version == based_on_version)
            .values(value=value, version=Answer.version + 1, updated_by_id=actor.id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:
            session.expire(current)
            return _conflict(session, agency_return, question_id, value)
        session.expire(current)
        answer = current
    session.add(
        AnswerRevision(
            answer_id=answer.id,
            version=answer.version,
            old_value=old_value,
            new_value=value,
            changed_by_id=actor.id,
            changed_at=now,
        )
    )
    if agency_return.status is ReturnStatus.NOT_STARTED:
        move_return(session, agency_return=agency_return, to=ReturnStatus.IN_PROGRESS, actor=actor)
    session.flush()
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


def answers_of(session: Session, *, agency_return: AgencyReturn) -> dict[str, Answer]:
    return {
        answer.question_id: answer
        for answer in session.scalars(select(Answer).where(Answer.return_id == agency_return.id))
    }


def history_of(session: Session, *, answer: Answer) -> list[AnswerRevision]:
    return list(
        session.scalars(
            select(AnswerRevision)
            .where(AnswerRevision.answer_id == answer.id)
            .order_by(AnswerRevision.version)
        )
    )
