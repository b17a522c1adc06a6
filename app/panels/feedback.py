"""Feedback to the agency: what must be agreed before it is issued, what the agency then
sees and the emails that tell it. Never shows an agency a rating before feedback is issued."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.actions import recommendations as action_recommendations
from app.actions.models import Recommendation
from app.directory import service as directory_service
from app.directory.models import Person
from app.notifications.mail import Email
from app.panels.models import AgreedRating, Feedback
from app.panels.moderation import ModerationRow, agreed_of
from app.panels.reading import PanelReturn, ScoredItem, scored_items
from app.panels.sessions import PanelError
from app.returns import service as returns_service
from app.returns.models import ReturnStatus


def feedback_problems(session: Session, target: PanelReturn) -> list[str]:
    """What must be settled before feedback goes: every item agreed, and a recommendation
    for every item agreed as not met."""
    agreed = agreed_of(session, return_id=target.view.agency_return.id)
    rows = [ModerationRow(item, [], None, agreed.get(item.key)) for item in target.items]
    linked = {
        r.item
        for r in action_recommendations.recommendations_of(
            session, return_id=target.view.agency_return.id
        )
    }
    problems = [f"Agree a rating for {row.item.title}" for row in rows if row.agreed is None]
    problems += [
        f"{row.item.title} is agreed as {row.item.level(row.agreed.rating).label}: "  # type: ignore[union-attr]
        "add at least one recommendation for it"
        for row in rows
        if row.needs_recommendation and row.item.key not in linked
    ]
    return problems


def issue_feedback(
    session: Session, *, target: PanelReturn, strengths: str, actor: Person, base_url: str
) -> list[Email]:
    """Send the agency what the panel agreed; the return moves to feedback issued. Issuing
    twice (a double click, a retry) issues it once."""
    agency_return = target.view.agency_return
    if session.get(Feedback, agency_return.id) is not None:
        return []
    problems = feedback_problems(session, target)
    if problems:
        raise PanelError(problems[0])
    if not strengths.strip():
        raise PanelError("Enter the strengths the panel saw, for the agency to read")
    session.add(
        Feedback(return_id=agency_return.id, strengths=strengths.strip(), issued_by_id=actor.id)
    )
    returns_service.move_return(
        session, agency_return=agency_return, to=ReturnStatus.FEEDBACK_ISSUED, actor=actor
    )
    return _feedback_emails(session, target, base_url)


@dataclass(frozen=True)
class FeedbackView:
    feedback: Feedback
    ratings: list[tuple[ScoredItem, AgreedRating]]
    recommendations: list[Recommendation]
    items: dict[str, ScoredItem]


def feedback_of(session: Session, *, view: returns_service.ReturnView) -> FeedbackView | None:
    """The feedback issued on a return, for callers that have decided who may see it."""
    feedback = session.get(Feedback, view.agency_return.id)
    if feedback is None:
        return None
    items = scored_items(view)
    agreed = agreed_of(session, return_id=view.agency_return.id)
    return FeedbackView(
        feedback,
        [(item, agreed[item.key]) for item in items if item.key in agreed],
        action_recommendations.recommendations_of(session, return_id=view.agency_return.id),
        {item.key: item for item in items},
    )


def _feedback_emails(session: Session, target: PanelReturn, base_url: str) -> list[Email]:
    view = target.view
    shown = feedback_of(session, view=view)
    assert shown is not None
    lines = []
    for item, agreed in shown.ratings:
        level = item.level(agreed.rating)
        lines.append(f"- {item.title}: {level.label if level else agreed.rating}")
    recommendations = [
        f"{index}. Worry: {r.worry_statement}\n   Safety goal: {r.safety_goal}\n"
        f"   Next steps: {r.next_steps}\n   Priority: {r.priority}; theme: {r.theme}"
        for index, r in enumerate(shown.recommendations, start=1)
    ]
    link = f"{base_url.rstrip('/')}/returns/{view.agency_return.id}/feedback"
    emails = []
    for name, address in directory_service.leads_of(
        session, partnership_id=target.panel.partnership_id, agency_id=view.agency.id
    ):
        body = (
            f"Hello {name},\n\nThank you for meeting the challenge and support panel. "
            f"This is its feedback on {view.agency.name}'s return for {view.cycle.name}.\n\n"
            "Agreed ratings:\n" + "\n".join(lines) + "\n\n"
            f"Strengths the panel saw:\n{shown.feedback.strengths}\n\n"
            "Recommendations:\n" + ("\n".join(recommendations) or "None.") + "\n\n"
            f"Read it online, and turn the recommendations into your action plan, at {link}\n"
        )
        emails.append(
            Email(
                to=address,
                subject=f"{view.cycle.name}: the panel's feedback to {view.agency.name}",
                body=body,
            )
        )
    return emails
