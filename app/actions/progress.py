"""Actions and their progress: checking an action, recording progress with its evidence and
history, and last year's actions closed in this year's return. Never rewrites history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.actions.models import (
    Action,
    ActionEvidence,
    ActionPlan,
    ActionStatus,
    ActionUpdate,
    PlanStatus,
    Recommendation,
)
from app.audit import service as audit_service
from app.directory.models import Person
from app.returns import attachments, evidence, last_year
from app.returns import service as returns_service
from app.returns.models import ReturnStatus
from app.storage.backends import Storage, StorageUnavailable

LONGEST = 4000


class ActionError(ValueError):
    """A change to a plan or an action that the rules refuse, with a sentence saying why and
    the form field it is about."""

    def __init__(self, message: str, field: str = "status") -> None:
        super().__init__(message)
        self.field = field


def text_problem(text: str, words: str) -> str | None:
    if not text.strip():
        return f"Enter {words}"
    if len(text.strip()) > LONGEST:
        return f"Keep it to {LONGEST:,} characters or fewer"
    return None


@dataclass(frozen=True)
class Shown:
    """How an action's status is shown: the words and the RAG colour of its tag."""

    key: str
    label: str
    colour: str  # the RAG name, said in words beside the tag where colour matters
    tag_class: str


SHOWN = {
    "not_started": Shown("not_started", "Not started", "Grey", "govuk-tag--grey"),
    "on_track": Shown("on_track", "On track", "Green", "govuk-tag--green"),
    "at_risk": Shown("at_risk", "At risk", "Amber", "govuk-tag--yellow"),
    "overdue": Shown("overdue", "Overdue", "Red", "govuk-tag--red"),
    "complete": Shown("complete", "Complete", "Blue", "govuk-tag--blue"),
}


def shown_status(action: Action, today: date) -> Shown:
    """An action not complete by its due date is overdue, whatever was last said of it."""
    if action.status is not ActionStatus.COMPLETE and action.due_on < today:
        return SHOWN["overdue"]
    return SHOWN[action.status.value]


@dataclass(frozen=True)
class ActionDraft:
    description: str = ""
    owner: str = ""
    due_on: date | None = None
    success_measure: str = ""


def check_action(
    draft: ActionDraft, *, today: date, due_error: str | None = None
) -> dict[str, str]:
    """Each problem with an action as typed, by field; `due_error` is a date that could not
    be read at all."""
    errors = {}
    if problem := text_problem(draft.description, "what the agency will do"):
        errors["description"] = problem
    if not draft.owner.strip():
        errors["owner"] = "Enter who owns the action: a name or a role"
    elif len(draft.owner.strip()) > 200:
        errors["owner"] = "Keep the owner to 200 characters or fewer"
    if due_error:
        errors["due"] = due_error
    elif draft.due_on is None:
        errors["due"] = "Enter the date the action is due"
    elif draft.due_on < today:
        errors["due"] = "The due date must be today or later"
    if problem := text_problem(draft.success_measure, "how success will be shown"):
        errors["success_measure"] = problem
    return errors


def record_action_event(
    session: Session, actor: Person, action: str, action_row: Action, **detail: object
) -> None:
    audit_service.record_event(
        session,
        actor=actor,
        action=action,
        object_type="action",
        object_id=action_row.id,
        detail={"plan_id": action_row.plan_id, **detail},
    )


def start_history(session: Session, action: Action, actor: Person) -> None:
    # The history starts when the action does, so counts at past dates see it from then.
    session.add(
        ActionUpdate(
            action_id=action.id,
            status=action.status,
            note="",
            made_by_id=actor.id,
            made_at=action.created_at,
        )
    )


@dataclass(frozen=True)
class Progress:
    status: str = ""
    note: str = ""


def check_progress(action: Action, progress: Progress) -> dict[str, str]:
    errors = {}
    if progress.status not in {status.value for status in ActionStatus}:
        errors["status"] = "Select how the action is going"
    elif progress.status == action.status.value and not progress.note.strip():
        errors["note"] = "Enter a progress note, or choose a new status"
    if len(progress.note.strip()) > LONGEST:
        errors["note"] = f"Keep the note to {LONGEST:,} characters or fewer"
    return errors


@dataclass(frozen=True)
class Upload:
    source: BinaryIO
    claimed_name: str


def record_progress(
    session: Session,
    *,
    action: Action,
    progress: Progress,
    actor: Person,
    upload: Upload | None = None,
    storage: Storage | None = None,  # where an upload is kept, and its largest size
    max_bytes: int = 0,
    return_id: int | None = None,
) -> ActionUpdate:
    """A dated update: the status now, what was done, and a file showing it if there is one.
    The file is checked before anything is written, so a refused file loses nothing saved."""
    problems = check_progress(action, progress)
    if problems:
        field, message = next(iter(problems.items()))
        raise ActionError(message, field)
    stored = None
    if upload is not None:
        assert storage is not None, "an upload needs somewhere to be kept"
        try:
            stored = evidence.store_upload(
                upload.source,
                claimed_name=upload.claimed_name,
                storage=storage,
                max_bytes=max_bytes,
            )
        except evidence.EvidenceRefused as refused:
            raise ActionError(
                f"{attachments.shown_name(upload.claimed_name)}: {refused}", "evidence"
            ) from None
        except StorageUnavailable:
            raise ActionError(
                attachments.STORE_DOWN.format(name=attachments.shown_name(upload.claimed_name)),
                "evidence",
            ) from None
    action.status = ActionStatus(progress.status)
    update = ActionUpdate(
        action_id=action.id,
        status=action.status,
        note=progress.note.strip(),
        return_id=return_id,
        made_by_id=actor.id,
    )
    session.add(update)
    session.flush()
    if stored is not None:
        session.add(
            ActionEvidence(
                action_id=action.id,
                update_id=update.id,
                stored_name=stored.stored_name,
                file_name=stored.file_name,
                kind=stored.kind.name,
                size=stored.size,
                sha256=stored.sha256,
                uploaded_by_id=actor.id,
            )
        )
    record_action_event(
        session,
        actor,
        "action_progress",
        action,
        status=progress.status,
        file=stored.file_name if stored else None,
        in_return=return_id,
    )
    return update


@dataclass(frozen=True)
class HistoryEntry:
    update: ActionUpdate
    by: str | None
    files: list[ActionEvidence]


def history_of(session: Session, *, action: Action) -> list[HistoryEntry]:
    """Every update of the action, newest first, with who made it and the files given."""
    files: dict[int | None, list[ActionEvidence]] = defaultdict(list)
    for file in session.scalars(
        select(ActionEvidence)
        .where(ActionEvidence.action_id == action.id)
        .order_by(ActionEvidence.uploaded_at, ActionEvidence.id)
    ):
        files[file.update_id].append(file)
    rows = session.execute(
        select(ActionUpdate, Person.name)
        .outerjoin(Person, Person.id == ActionUpdate.made_by_id)
        .where(ActionUpdate.action_id == action.id)
        .order_by(ActionUpdate.made_at.desc(), ActionUpdate.id.desc())
    )
    return [HistoryEntry(update, name, files.get(update.id, [])) for update, name in rows]


def evidence_of_action(
    session: Session, *, action: Action, evidence_id: int
) -> ActionEvidence | None:
    return session.scalar(
        select(ActionEvidence).where(
            ActionEvidence.id == evidence_id, ActionEvidence.action_id == action.id
        )
    )


def latest_notes(session: Session, action_ids: list[int]) -> dict[int, ActionUpdate]:
    """The newest update with a note, for each action."""
    latest: dict[int, ActionUpdate] = {}
    if not action_ids:
        return latest
    for update in session.scalars(
        select(ActionUpdate)
        .where(ActionUpdate.action_id.in_(action_ids), ActionUpdate.note != "")
        .order_by(ActionUpdate.made_at, ActionUpdate.id)
    ):
        latest[update.action_id] = update
    return latest


@dataclass(frozen=True)
class CarriedAction:
    action: Action
    recommendation: Recommendation
    latest: ActionUpdate | None  # the newest note given on it
    this_year: ActionUpdate | None  # the update given in this return, if any


def last_years_actions(
    session: Session,
    *,
    view: returns_service.ReturnView,
    last: returns_service.ReturnView | None,
) -> list[CarriedAction]:
    """The actions of the agency's agreed plan in its previous return (`last`, as
    last_year.previous_return finds it), for a final update in this one."""
    if last is None:
        return []
    rows = list(
        session.execute(
            select(Action, Recommendation)
            .join(ActionPlan, ActionPlan.id == Action.plan_id)
            .join(Recommendation, Recommendation.id == Action.recommendation_id)
            .where(
                ActionPlan.return_id == last.agency_return.id,
                ActionPlan.status == PlanStatus.AGREED,
            )
            .order_by(Recommendation.id, Action.due_on, Action.id)
        )
    )
    ids = [action.id for action, _ in rows]
    latest = latest_notes(session, ids)
    given: dict[int, ActionUpdate] = {}
    if ids:
        for update in session.scalars(
            select(ActionUpdate)
            .where(
                ActionUpdate.action_id.in_(ids),
                ActionUpdate.return_id == view.agency_return.id,
            )
            .order_by(ActionUpdate.made_at, ActionUpdate.id)
        ):
            given[update.action_id] = update
    return [
        CarriedAction(action, recommendation, latest.get(action.id), given.get(action.id))
        for action, recommendation in rows
    ]


def carried_forward(
    session: Session, view: returns_service.ReturnView, last: returns_service.ReturnView | None
) -> dict[str, object]:
    """What the section that carries last year's action plan forward shows of it."""
    return {
        "carried": last_years_actions(session, view=view, last=last),
        "action_statuses": list(ActionStatus),
        "shown": shown_status,
    }


def give_final_update(
    session: Session,
    *,
    view: returns_service.ReturnView,
    action_id: int,
    progress: Progress,
    actor: Person,
    upload: Upload | None = None,
    storage: Storage,
    max_bytes: int,
) -> ActionUpdate:
    """Record progress on one of last year's actions from this year's return."""
    if not any(section.carry_forward == "action_plan" for section in view.questionnaire.sections):
        raise ActionError("This year's return does not ask about last year's action plan")
    if not view.agency_return.status.editable:
        raise ActionError("This return has been submitted: its answers can no longer change")
    carried = next(
        (
            c
            for c in last_years_actions(
                session, view=view, last=last_year.previous_return(session, view=view)
            )
            if c.action.id == action_id
        ),
        None,
    )
    if carried is None:
        raise ActionError("That action is not in last year's action plan")
    update = record_progress(
        session,
        action=carried.action,
        progress=progress,
        actor=actor,
        upload=upload,
        storage=storage,
        max_bytes=max_bytes,
        return_id=view.agency_return.id,
    )
    if view.agency_return.status is ReturnStatus.NOT_STARTED:
        returns_service.move_return(
            session, agency_return=view.agency_return, to=ReturnStatus.IN_PROGRESS, actor=actor
        )
    return update
