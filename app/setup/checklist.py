"""The set-up checklist a coordinator of a new partnership sees until its first cycle opens:
agencies, people, a questionnaire, the first cycle; each done or not, worked out, never ticked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.auth.models import Invitation
from app.cycle_models import Cycle, CyclePartnership
from app.directory.models import Membership, Partnership, PartnershipAgency, Role
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion


@dataclass(frozen=True)
class Task:
    title: str
    href: str
    hint: str
    done: bool


def checklist_for(
    session: Session, *, partnership: Partnership, today: date | None = None
) -> list[Task] | None:
    """The tasks, or None once a cycle of the partnership has opened (set-up is over)."""
    today = today or date.today()
    cycles = (
        select(Cycle)
        .join(CyclePartnership)
        .where(CyclePartnership.partnership_id == partnership.id)
    )
    if session.scalar(select(exists(cycles.where(Cycle.opens_on <= today)))):
        return None
    agencies = session.scalar(
        select(
            exists().where(
                PartnershipAgency.partnership_id == partnership.id,
                PartnershipAgency.archived_at.is_(None),
            )
        )
    )
    leads = session.scalar(
        select(
            exists().where(
                Membership.partnership_id == partnership.id, Membership.role == Role.AGENCY_LEAD
            )
            | exists().where(
                Invitation.partnership_id == partnership.id,
                Invitation.role == Role.AGENCY_LEAD,
                Invitation.cancelled_at.is_(None),
            )
        )
    )
    questionnaire = session.scalar(
        select(
            exists().where(
                QuestionnaireVersion.audience == "agency_return",
                questionnaire_service.visible_to(partnership.id),
            )
        )
    )
    cycle = session.scalar(select(exists(cycles)))
    return [
        Task(
            "Add your agencies",
            "/agencies",
            "By hand or from a spreadsheet; kept from year to year",
            bool(agencies),
        ),
        Task(
            "Invite people",
            "/people",
            "Each agency's safeguarding lead, panel members and the independent chair",
            bool(leads),
        ),
        Task(
            "Publish a questionnaire",
            "/questionnaires",
            "Upload your own, or pick one from the library shipped with s11",
            bool(questionnaire),
        ),
        Task(
            "Set up the first cycle and send invitations",
            "/round/cycles",
            "The year's round: dates, questionnaire and the agencies taking part",
            bool(cycle),
        ),
    ]
