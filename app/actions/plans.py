"""An agency's action plan: writing it, submitting it, the coordinator's review and progress
through the year. Never lets anyone but the agency's lead change a plan being written."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy import update as update_rows
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.actions.models import (
    Action,
    ActionPlan,
    ActionSource,
    ActionUpdate,
    PlanReview,
    PlanStatus,
    Recommendation,
)
from app.actions.progress import (
    LONGEST,
    ActionDraft,
    ActionError,
    Progress,
    Upload,
    latest_notes,
    record_action_event,
    record_progress,
    start_history,
)
from app.actions.recommendations import recommendations_of
from app.audit import service as audit_service
from app.db import utcnow
from app.directory import service as directory_service
from app.directory.models import Partnership, Person
from app.notifications.mail import Email
from app.returns import service as returns_service
from app.returns.models import ReturnStatus
from app.storage.backends import Storage

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
    start_history(session, action, actor)
    record_action_event(session, actor, "action_added", action, recommendation_id=recommendation_id)
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
    record_action_event(session, actor, "action_changed", action)


def remove_action(session: Session, *, plan: PlanView, action: Action, actor: Person) -> None:
    _must_be_editable(session, plan)
    record_action_event(
        session, actor, "action_removed", action, description=action.description[:200]
    )
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
    storage: Storage,
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
        storage=storage,
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
