"""The rules of recommendations, agency action plans and the partnership's Composite Action Plan:
who writes and agrees a plan, how progress is recorded, and what was open at any past date."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy import update as update_rows
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.actions.models import (
    Action,
    ActionEvidence,
    ActionPlan,
    ActionSource,
    ActionStatus,
    ActionUpdate,
    PlanReview,
    PlanStatus,
    Recommendation,
)
from app.audit import service as audit_service
from app.cycles.models import Cycle, CyclePartnership
from app.db import aware, utcnow
from app.directory import service as directory_service
from app.directory.models import Agency, Partnership, PartnershipAgency, Person, Role
from app.notifications.mail import Email
from app.returns import evidence
from app.returns import service as returns_service
from app.returns.models import AgencyReturn, ReturnStatus

LONGEST = 4000
LONDON = ZoneInfo("Europe/London")


class ActionError(ValueError):
    """A change to a plan or an action that the rules refuse, with a sentence saying why and
    the form field it is about."""

    def __init__(self, message: str, field: str = "status") -> None:
        super().__init__(message)
        self.field = field


# Recommendations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecommendationDraft:
    worry_statement: str = ""
    safety_goal: str = ""
    next_steps: str = ""
    priority: str = ""
    theme: str = ""
    item: str = ""  # the scored item it answers, or "" for the return as a whole


def _text_problem(text: str, words: str) -> str | None:
    if not text.strip():
        return f"Enter {words}"
    if len(text.strip()) > LONGEST:
        return f"Keep it to {LONGEST:,} characters or fewer"
    return None


def check_recommendation(
    draft: RecommendationDraft, *, priorities: list[str], themes: list[str], items: set[str]
) -> dict[str, str]:
    """Each problem with a recommendation, by field; empty when it may be saved."""
    errors = {}
    for name, words in (
        ("worry_statement", "the worry statement: what worries the panel"),
        ("safety_goal", "the safety goal: what will be happening when the worry has gone"),
        ("next_steps", "the next steps the agency will take"),
    ):
        if problem := _text_problem(getattr(draft, name), words):
            errors[name] = problem
    if draft.priority not in priorities:
        errors["priority"] = "Select the partnership priority it belongs to"
    if draft.theme not in themes:
        errors["theme"] = "Select the Composite Action Plan theme it belongs to"
    if draft.item and draft.item not in items:
        errors["item"] = "Select what in the return it is about"
    return errors


def add_recommendation(
    session: Session, *, return_id: int, draft: RecommendationDraft, actor: Person
) -> Recommendation:
    recommendation = Recommendation(
        return_id=return_id,
        item=draft.item or None,
        worry_statement=draft.worry_statement.strip(),
        safety_goal=draft.safety_goal.strip(),
        next_steps=draft.next_steps.strip(),
        priority=draft.priority,
        theme=draft.theme,
        created_by_id=actor.id,
    )
    session.add(recommendation)
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="recommendation_added",
        object_type="return",
        object_id=return_id,
        detail={"recommendation_id": recommendation.id, "priority": draft.priority},
    )
    return recommendation


def remove_recommendation(
    session: Session, *, return_id: int, recommendation_id: int, actor: Person
) -> bool:
    removed = session.execute(
        delete(Recommendation).where(
            Recommendation.id == recommendation_id, Recommendation.return_id == return_id
        )
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        return False
    audit_service.record_event(
        session,
        actor=actor,
        action="recommendation_removed",
        object_type="return",
        object_id=return_id,
        detail={"recommendation_id": recommendation_id},
    )
    return True


def recommendations_of(session: Session, *, return_id: int) -> list[Recommendation]:
    return list(
        session.scalars(
            select(Recommendation)
            .where(Recommendation.return_id == return_id)
            .order_by(Recommendation.id)
        )
    )


# Actions and their progress ---------------------------------------------------------------------


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
    if problem := _text_problem(draft.description, "what the agency will do"):
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
    if problem := _text_problem(draft.success_measure, "how success will be shown"):
        errors["success_measure"] = problem
    return errors


def _record(
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


def _first_update(session: Session, action: Action, actor: Person) -> None:
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
    directory: Path | None = None,  # where an upload is kept, and its largest size
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
        assert directory is not None, "an upload needs somewhere to be kept"
        try:
            stored = evidence.store_upload(
                upload.source,
                claimed_name=upload.claimed_name,
                directory=directory,
                max_bytes=max_bytes,
            )
        except evidence.EvidenceRefused as refused:
            raise ActionError(
                f"{returns_service.shown_name(upload.claimed_name)}: {refused}", "evidence"
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
    _record(
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


# An agency's plan -------------------------------------------------------------------------------

AFTER_FEEDBACK = (
    ReturnStatus.FEEDBACK_ISSUED,
    ReturnStatus.ACTION_PLAN_AGREED,
    ReturnStatus.CLOSED,
)


@dataclass
class PlanView:
    """A return's action plan as one page shows it, for callers that decided who may see it."""

    view: returns_service.ReturnView
    plan: ActionPlan | None
    recommendations: list[Recommendation]
    actions: dict[int, list[Action]]  # by recommendation
    reviews: list[PlanReview]
    latest: dict[int, ActionUpdate] = field(default_factory=dict)  # newest note of each action

    @property
    def status(self) -> PlanStatus:
        return self.plan.status if self.plan else PlanStatus.DRAFT

    @property
    def open(self) -> bool:
        """A plan is written once the panel's feedback is issued. With no recommendations it
        has no actions, and is submitted and agreed all the same, so the return can close."""
        return self.view.agency_return.status in AFTER_FEEDBACK

    @property
    def editable(self) -> bool:
        return self.open and self.status.editable

    @property
    def takes_progress(self) -> bool:
        """Progress is recorded on the plan the partnership agreed, not on a draft."""
        return self.status is PlanStatus.AGREED

    @property
    def missing(self) -> list[Recommendation]:
        """Recommendations with no action yet: a plan cannot be submitted with any."""
        return [r for r in self.recommendations if not self.actions.get(r.id)]

    def action(self, action_id: int) -> Action | None:
        return next(
            (a for group in self.actions.values() for a in group if a.id == action_id), None
        )

    def recommendation(self, recommendation_id: int) -> Recommendation | None:
        return next((r for r in self.recommendations if r.id == recommendation_id), None)

    @property
    def returned_comments(self) -> PlanReview | None:
        """The coordinator's comments, while the plan waits for the agency to answer them."""
        if self.status is PlanStatus.RETURNED and self.reviews:
            return self.reviews[0]
        return None


def _first_plan(session: Session, return_id: int) -> ActionPlan:
    """The return's plan, made now; if a colleague made it a moment ago, theirs."""
    plan = ActionPlan(return_id=return_id)
    try:
        with session.begin_nested():
            session.add(plan)
    except IntegrityError:
        found = session.scalar(select(ActionPlan).where(ActionPlan.return_id == return_id))
        assert found is not None
        return found
    return plan


def plan_view(session: Session, *, view: returns_service.ReturnView) -> PlanView:
    return_id = view.agency_return.id
    plan = session.scalar(select(ActionPlan).where(ActionPlan.return_id == return_id))
    recommendations = recommendations_of(session, return_id=return_id)
    actions: dict[int, list[Action]] = defaultdict(list)
    reviews: list[PlanReview] = []
    if plan is not None:
        for action in session.scalars(
            select(Action).where(Action.plan_id == plan.id).order_by(Action.due_on, Action.id)
        ):
            assert action.recommendation_id is not None
            actions[action.recommendation_id].append(action)
        reviews = list(
            session.scalars(
                select(PlanReview)
                .where(PlanReview.plan_id == plan.id)
                .order_by(PlanReview.reviewed_at.desc(), PlanReview.id.desc())
            )
        )
    pv = PlanView(view, plan, recommendations, dict(actions), reviews)
    pv.latest = latest_notes(session, [a.id for group in pv.actions.values() for a in group])
    return pv


NOT_EDITABLE = (
    "This action plan has been submitted: its actions can change again only if it is "
    "returned with comments"
)


def _must_be_editable(session: Session, plan: PlanView) -> None:
    """Refuse a change unless the plan is still the agency's to change, and hold the plan row
    until the change commits, so that a submission or a review cannot pass it mid-way."""
    if not plan.open:
        raise ActionError("The action plan opens when the panel's feedback has been issued")
    if plan.plan is None:
        return
    held = session.execute(
        update_rows(ActionPlan)
        .where(
            ActionPlan.id == plan.plan.id,
            ActionPlan.status.in_([PlanStatus.DRAFT, PlanStatus.RETURNED]),
        )
        .values(status=ActionPlan.status)
        .execution_options(synchronize_session=False)
    )
    if held.rowcount != 1:  # type: ignore[attr-defined]
        raise ActionError(NOT_EDITABLE)


def _move_plan(
    session: Session, plan: ActionPlan, was: PlanStatus, to: PlanStatus, **values: object
) -> bool:
    """Move the plan on only if it is still where this request saw it; False if another
    request (a double click, a second coordinator) moved it first."""
    moved = session.execute(
        update_rows(ActionPlan)
        .where(ActionPlan.id == plan.id, ActionPlan.status == was)
        .values(status=to, **values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    for name, value in {"status": to, **values}.items():
        set_committed_value(plan, name, value)
    return True


def add_action(
    session: Session, *, plan: PlanView, recommendation_id: int, draft: ActionDraft, actor: Person
) -> Action:
    _must_be_editable(session, plan)
    if plan.recommendation(recommendation_id) is None:
        raise ActionError("Choose one of the panel's recommendations for this action")
    assert draft.due_on is not None
    if plan.plan is None:
        plan.plan = _first_plan(session, plan.view.agency_return.id)
        if not plan.plan.status.editable:
            raise ActionError(NOT_EDITABLE)
    action = Action(
        cycle_id=plan.view.cycle.id,
        plan_id=plan.plan.id,
        recommendation_id=recommendation_id,
        source=ActionSource.SECTION_11,
        description=draft.description.strip(),
        owner=draft.owner.strip(),
        due_on=draft.due_on,
        success_measure=draft.success_measure.strip(),
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    session.add(action)
    session.flush()
    _first_update(session, action, actor)
    _record(session, actor, "action_added", action, recommendation_id=recommendation_id)
    plan.actions.setdefault(recommendation_id, []).append(action)
    return action


def change_action(
    session: Session, *, plan: PlanView, action: Action, draft: ActionDraft, actor: Person
) -> None:
    _must_be_editable(session, plan)
    assert draft.due_on is not None
    action.description = draft.description.strip()
    action.owner = draft.owner.strip()
    action.due_on = draft.due_on
    action.success_measure = draft.success_measure.strip()
    session.flush()
    _record(session, actor, "action_changed", action)


def remove_action(session: Session, *, plan: PlanView, action: Action, actor: Person) -> None:
    _must_be_editable(session, plan)
    _record(session, actor, "action_removed", action, description=action.description[:200])
    session.delete(action)
    session.flush()
    for group in plan.actions.values():
        if action in group:
            group.remove(action)


def submit_plan(session: Session, *, plan: PlanView, actor: Person) -> bool:
    """Send the plan to the partnership for agreement; only the agency's lead may. Submitting
    twice (a double click, the back button) submits once: the second returns False."""
    if not plan.view.is_lead:
        raise ActionError("Only the agency's safeguarding lead can submit the action plan")
    if plan.status is PlanStatus.SUBMITTED:
        return False
    if not plan.open:
        raise ActionError("The action plan opens when the panel's feedback has been issued")
    if not plan.status.editable:
        raise ActionError(NOT_EDITABLE)
    if plan.missing:
        raise ActionError(
            f"Add at least one action for each recommendation: {len(plan.missing)} "
            f"{'has' if len(plan.missing) == 1 else 'have'} none yet"
        )
    if plan.plan is None:  # no recommendations, so no actions: an empty plan to agree
        plan.plan = _first_plan(session, plan.view.agency_return.id)
    if not _move_plan(
        session,
        plan.plan,
        plan.plan.status,
        PlanStatus.SUBMITTED,
        submitted_at=utcnow(),
        submitted_by_id=actor.id,
    ):
        return False
    audit_service.record_event(
        session,
        actor=actor,
        action="action_plan_submitted",
        object_type="return",
        object_id=plan.view.agency_return.id,
        detail={"plan_id": plan.plan.id},
    )
    return True


def review_plan(
    session: Session,
    *,
    plan: PlanView,
    agree: bool,
    comments: str,
    actor: Person,
    partnership: Partnership,
    base_url: str,
) -> list[Email]:
    """Agree the plan (the return moves to action plan agreed) or return it with comments;
    returns the emails telling the agency's leads. Deciding twice decides once."""
    if plan.plan is None or plan.status is not PlanStatus.SUBMITTED:
        raise ActionError("Only a submitted action plan can be agreed or returned", "decision")
    comments = comments.strip()
    if not agree and not comments:
        raise ActionError("Enter comments saying what the agency should change", "comments")
    if len(comments) > LONGEST:
        raise ActionError(f"Keep the comments to {LONGEST:,} characters or fewer", "comments")
    agency_return = plan.view.agency_return
    to = PlanStatus.AGREED if agree else PlanStatus.RETURNED
    moved = _move_plan(
        session, plan.plan, PlanStatus.SUBMITTED, to, **({"agreed_at": utcnow()} if agree else {})
    )
    if not moved:
        raise ActionError("Someone has just decided on this plan: read it again", "decision")
    review = PlanReview(
        plan_id=plan.plan.id, agreed=agree, comments=comments, reviewed_by_id=actor.id
    )
    session.add(review)
    if agree and agency_return.status is ReturnStatus.FEEDBACK_ISSUED:
        returns_service.move_return(
            session, agency_return=agency_return, to=ReturnStatus.ACTION_PLAN_AGREED, actor=actor
        )
    session.flush()
    plan.reviews.insert(0, review)
    audit_service.record_event(
        session,
        actor=actor,
        action="action_plan_agreed" if agree else "action_plan_returned",
        object_type="return",
        object_id=agency_return.id,
        detail={"plan_id": plan.plan.id},
    )
    link = f"{base_url.rstrip('/')}/returns/{agency_return.id}/action-plan"
    view = plan.view
    if agree:
        subject = f"Action plan agreed: {view.agency.name}, {view.cycle.name}"
        body = (
            f"The partnership has agreed {view.agency.name}'s action plan for {view.cycle.name}."
            f"{chr(10) * 2 + 'Comments: ' + comments if comments else ''}\n\n"
            f"Record progress on each action through the year: {link}\n"
        )
    else:
        subject = f"Action plan returned with comments: {view.agency.name}, {view.cycle.name}"
        body = (
            f"The partnership has returned {view.agency.name}'s action plan for {view.cycle.name} "
            f"with these comments:\n\n{comments}\n\nChange the plan and submit it again: {link}\n"
        )
    return [
        Email(to=address, subject=subject, body=f"Dear {name},\n\n{body}")
        for name, address in directory_service.leads_of(
            session, partnership_id=partnership.id, agency_id=view.agency.id
        )
    ]


def record_plan_progress(
    session: Session,
    *,
    plan: PlanView,
    action: Action,
    progress: Progress,
    actor: Person,
    upload: Upload | None = None,
    directory: Path,
    max_bytes: int,
) -> ActionUpdate:
    """Progress on an action of the agency's own plan, once the partnership has agreed it."""
    if not plan.takes_progress:
        raise ActionError("Progress is recorded once the partnership has agreed the plan")
    return record_progress(
        session,
        action=action,
        progress=progress,
        actor=actor,
        upload=upload,
        directory=directory,
        max_bytes=max_bytes,
    )


def plan_of_return(
    session: Session, *, return_id: int
) -> tuple[ActionPlan | None, list[tuple[Action, Recommendation]]]:
    """A return's plan and its actions with the recommendation each answers, for callers that
    decided who may see them (the agency's own workbook)."""
    plan = session.scalar(select(ActionPlan).where(ActionPlan.return_id == return_id))
    if plan is None:
        return None, []
    rows = session.execute(
        select(Action, Recommendation)
        .join(Recommendation, Recommendation.id == Action.recommendation_id)
        .where(Action.plan_id == plan.id)
        .order_by(Recommendation.id, Action.due_on, Action.id)
    )
    return plan, [(action, recommendation) for action, recommendation in rows]


# Closing the loop: last year's actions in this year's return -----------------------------------


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
    returns_service.previous_return finds it), for a final update in this one."""
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


def give_final_update(
    session: Session,
    *,
    view: returns_service.ReturnView,
    action_id: int,
    progress: Progress,
    actor: Person,
    upload: Upload | None = None,
    directory: Path,
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
                session, view=view, last=returns_service.previous_return(session, view=view)
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
        directory=directory,
        max_bytes=max_bytes,
        return_id=view.agency_return.id,
    )
    if view.agency_return.status is ReturnStatus.NOT_STARTED:
        returns_service.move_return(
            session, agency_return=view.agency_return, to=ReturnStatus.IN_PROGRESS, actor=actor
        )
    return update


# The partnership's view: Composite Action Plan and what needs attention -------------------------


def follows_action_plans(person: Person, partnership: Partnership | None) -> bool:
    """Coordinators and the independent chair follow every agency's plan in their partnership."""
    if partnership is None:
        return False
    return person.is_admin or any(
        m.role in (Role.COORDINATOR, Role.CHAIR) and m.partnership_id == partnership.id
        for m in person.memberships
    )


def _section_11_actions(partnership: Partnership):  # type: ignore[no-untyped-def]
    """Actions of agreed plans of this partnership's agencies, in cycles it takes part in: a
    plan not yet agreed is still the agency's draft, not part of the partnership's plan."""
    return (
        select(Action, Recommendation, Agency, AgencyReturn.id, ActionPlan.agreed_at)
        .join(ActionPlan, ActionPlan.id == Action.plan_id)
        .join(Recommendation, Recommendation.id == Action.recommendation_id)
        .join(AgencyReturn, AgencyReturn.id == Recommendation.return_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .join(
            CyclePartnership,
            (CyclePartnership.cycle_id == AgencyReturn.cycle_id)
            & (CyclePartnership.partnership_id == partnership.id),
        )
        .where(
            ActionPlan.status == PlanStatus.AGREED,
            Agency.id.in_(
                select(PartnershipAgency.agency_id).where(
                    PartnershipAgency.partnership_id == partnership.id
                )
            ),
        )
    )


@dataclass(frozen=True)
class PlanItem:
    """One line of the Composite Action Plan: an action, where it came from and whose it is."""

    action: Action
    theme: str
    priority: str
    agency: Agency | None  # None for an item from another source
    recommendation: Recommendation | None
    return_id: int | None
    starts_at: datetime  # in the partnership's plan from: its plan's agreement, or its adding

    @classmethod
    def of_agency(cls, row) -> PlanItem:  # type: ignore[no-untyped-def]
        action, recommendation, agency, return_id, agreed_at = row
        return cls(
            action,
            recommendation.theme,
            recommendation.priority,
            agency,
            recommendation,
            return_id,
            agreed_at or action.created_at,
        )

    @classmethod
    def of_partnership(cls, action: Action) -> PlanItem:
        return cls(
            action, action.theme or "", action.priority or "", None, None, None, action.created_at
        )


@dataclass
class CompositePlan:
    cycle: Cycle
    items: list[PlanItem]
    recommendations: list[tuple[Recommendation, Agency, list[PlanItem]]]  # Section 11
    others: list[PlanItem]  # from other sources
    latest: dict[int, ActionUpdate]


def composite_plan(session: Session, *, cycle: Cycle, partnership: Partnership) -> CompositePlan:
    """Every Section 11 recommendation of the cycle with its actions, and every item the
    partnership added from other sources. A fixed number of statements, whatever the size."""
    recommendations = list(
        session.execute(
            select(Recommendation, Agency)
            .join(AgencyReturn, AgencyReturn.id == Recommendation.return_id)
            .join(Agency, Agency.id == AgencyReturn.agency_id)
            .where(
                AgencyReturn.cycle_id == cycle.id,
                AgencyReturn.status.in_(AFTER_FEEDBACK),  # agreed, not still being drafted
                Agency.id.in_(
                    select(PartnershipAgency.agency_id).where(
                        PartnershipAgency.partnership_id == partnership.id
                    )
                ),
            )
            .order_by(Recommendation.theme, Agency.name, Recommendation.id)
        )
    )
    by_recommendation: dict[int, list[PlanItem]] = defaultdict(list)
    items: list[PlanItem] = []
    for row in session.execute(
        _section_11_actions(partnership)
        .where(AgencyReturn.cycle_id == cycle.id)
        .order_by(Action.due_on, Action.id)
    ):
        item = PlanItem.of_agency(row)
        assert item.recommendation is not None
        by_recommendation[item.recommendation.id].append(item)
        items.append(item)
    others = [
        PlanItem.of_partnership(action)
        for action in session.scalars(
            select(Action)
            .where(
                Action.cycle_id == cycle.id,
                Action.partnership_id == partnership.id,
                Action.plan_id.is_(None),
            )
            .order_by(Action.theme, Action.due_on, Action.id)
        )
    ]
    items.extend(others)
    return CompositePlan(
        cycle,
        items,
        [(r, agency, by_recommendation.get(r.id, [])) for r, agency in recommendations],
        others,
        latest_notes(session, [item.action.id for item in items]),
    )


def cycle_of(session: Session, action: Action) -> Cycle:
    cycle = session.get(Cycle, action.cycle_id)
    assert cycle is not None
    return cycle


def default_dates(cycle: Cycle, today: date) -> list[date]:
    """Where nobody chose dates: the end of the panels, every six months after, and today,
    like the columns of a Composite Action Plan taken to the partnership through the year."""
    start = cycle.panel_ends_on or cycle.deadline_on
    dates = [start + timedelta(days=182 * step) for step in range(3)]
    return [day for day in dates if day < today] + [today]


@dataclass(frozen=True)
class ThemeCounts:
    theme: str
    open_at: list[int]  # open actions at each chosen date, in order


def open_by_theme(
    session: Session, *, plan: CompositePlan, dates: list[date]
) -> tuple[list[ThemeCounts], list[int]]:
    """How many actions were open under each theme at the end of each date, read from the
    recorded history: an action is open from when it was added until an update completes it."""
    ids = [item.action.id for item in plan.items]
    history: dict[int, list[ActionUpdate]] = defaultdict(list)
    if ids:
        for update in session.scalars(
            select(ActionUpdate)
            .where(ActionUpdate.action_id.in_(ids))
            .order_by(ActionUpdate.made_at, ActionUpdate.id)
        ):
            history[update.action_id].append(update)
    themes = list(dict.fromkeys([*plan.cycle.themes, *(item.theme for item in plan.items)]))
    counts = {theme: [0] * len(dates) for theme in themes}
    for index, day in enumerate(dates):
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=LONDON)  # a UK day
        for item in plan.items:
            if aware(item.starts_at) >= end:
                continue
            said = [u for u in history.get(item.action.id, []) if aware(u.made_at) < end]
            if not said or said[-1].status is not ActionStatus.COMPLETE:
                counts[item.theme][index] += 1
    rows = [ThemeCounts(theme, counts[theme]) for theme in themes]
    totals = [sum(row.open_at[i] for row in rows) for i in range(len(dates))]
    return rows, totals


@dataclass(frozen=True)
class ItemDraft:
    source: str = ""
    description: str = ""
    theme: str = ""
    priority: str = ""
    owner: str = ""
    due_on: date | None = None
    success_measure: str = ""

    @property
    def action(self) -> ActionDraft:
        return ActionDraft(self.description, self.owner, self.due_on, self.success_measure)


OTHER_SOURCES = [source for source in ActionSource if source is not ActionSource.SECTION_11]


def check_item(
    draft: ItemDraft, *, cycle: Cycle, today: date, due_error: str | None = None
) -> dict[str, str]:
    errors = {}
    if draft.source not in {source.value for source in OTHER_SOURCES}:
        errors["source"] = "Select where the item comes from"
    errors.update(check_action(draft.action, today=today, due_error=due_error))
    if draft.theme not in cycle.themes:
        errors["theme"] = "Select the Composite Action Plan theme it belongs to"
    if draft.priority not in cycle.priorities:
        errors["priority"] = "Select the partnership priority it belongs to"
    return errors


def add_item(
    session: Session, *, cycle: Cycle, partnership: Partnership, draft: ItemDraft, actor: Person
) -> Action:
    """An item from another source (an audit, a scrutiny, a review), in the partnership's plan."""
    assert draft.due_on is not None
    action = Action(
        cycle_id=cycle.id,
        partnership_id=partnership.id,
        source=ActionSource(draft.source),
        theme=draft.theme,
        priority=draft.priority,
        description=draft.description.strip(),
        owner=draft.owner.strip(),
        due_on=draft.due_on,
        success_measure=draft.success_measure.strip(),
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    session.add(action)
    session.flush()
    _first_update(session, action, actor)
    _record(session, actor, "composite_item_added", action, source=draft.source)
    return action


def item_for(session: Session, *, partnership: Partnership, action_id: int) -> Action | None:
    """An item the partnership added from another source; any other id finds nothing."""
    return session.scalar(
        select(Action).where(
            Action.id == action_id,
            Action.partnership_id == partnership.id,
            Action.plan_id.is_(None),
        )
    )


@dataclass(frozen=True)
class Attention:
    item: PlanItem
    shown: Shown
    cycle: Cycle
    latest: ActionUpdate | None


def needing_attention(
    session: Session, *, partnership: Partnership, today: date
) -> list[Attention]:
    """Every overdue or at-risk action across the partnership's agencies and its own items,
    overdue first, the longest overdue at the top."""
    cycles = {
        cycle.id: cycle
        for cycle in session.scalars(
            select(Cycle)
            .join(CyclePartnership, CyclePartnership.cycle_id == Cycle.id)
            .where(CyclePartnership.partnership_id == partnership.id)
        )
    }
    worrying = (Action.status == ActionStatus.AT_RISK) | (Action.due_on < today)
    items = [
        PlanItem.of_agency(row)
        for row in session.execute(
            _section_11_actions(partnership).where(Action.status != ActionStatus.COMPLETE, worrying)
        )
    ]
    items += [
        PlanItem.of_partnership(action)
        for action in session.scalars(
            select(Action).where(
                Action.partnership_id == partnership.id,
                Action.plan_id.is_(None),
                Action.status != ActionStatus.COMPLETE,
                worrying,
            )
        )
    ]
    latest = latest_notes(session, [item.action.id for item in items])
    result = [
        Attention(
            item,
            shown_status(item.action, today),
            cycles[item.action.cycle_id],
            latest.get(item.action.id),
        )
        for item in items
        if item.action.cycle_id in cycles
    ]
    result.sort(key=lambda a: (a.shown.key != "overdue", a.item.action.due_on, a.item.action.id))
    return result
