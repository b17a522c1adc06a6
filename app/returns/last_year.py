"""Last year's return beside this year's: its answers shown, and starting from them where
they still fit the questionnaire. Never copies over anything already typed this year."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.cycle_models import Cycle, CyclePartnership
from app.directory.models import Person
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.rendering import answer_text, levels_for
from app.questionnaires.schema import QuestionBase, Questionnaire
from app.returns import evidence
from app.returns.answers import SaveConflict, save_answer
from app.returns.models import AgencyReturn, EvidenceFile, ReturnStatus
from app.returns.service import (
    ReturnError,
    ReturnView,
    answers_of,
    move_return,
    takes_evidence,
    view_of,
)
from app.storage.backends import Storage, StorageUnavailable


def _copy(storage: Storage, stored_name: str) -> str:
    try:
        return evidence.copy_stored(storage, stored_name)
    except StorageUnavailable:
        raise ReturnError(
            "Last year's files could not be copied just now: the file store is not answering. "
            "Nothing was copied; try again in a few minutes"
        ) from None


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
    session: Session, *, view: ReturnView, last: ReturnView, actor: Person, storage: Storage
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
                    stored_name=_copy(storage, file.stored_name),
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
