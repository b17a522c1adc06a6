"""Running a cycle's frontline survey: opening it with a link per agency, replacing a leaked
link, closing it, and keeping a response. Never records who answered or from where."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.cycle_models import Cycle, CyclePartnership
from app.cycles import service as cycles_service
from app.db import utcnow
from app.directory.models import Agency, Partnership, Person
from app.params import whole_number_from
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.schema import Audience, Questionnaire
from app.returns import service as returns_service
from app.returns.models import AgencyReturn
from app.surveys.models import (
    AMBER_BELOW,
    GREEN_BELOW,
    MINIMUM_GROUP,
    Survey,
    SurveyAnswer,
    SurveyLink,
    SurveyResponse,
)


class SurveyError(ValueError):
    """A coordinator's request about the survey that cannot be done, with the reason."""


class LinkState(StrEnum):
    OPEN = "open"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"
    REPLACED = "replaced"


@dataclass(frozen=True)
class OpenLink:
    """A link as a respondent meets it."""

    link: SurveyLink
    survey: Survey
    agency: Agency | None  # None: the general link, which asks for the agency
    state: LinkState
    questionnaire: Questionnaire


def questionnaire_of(session: Session, survey: Survey) -> Questionnaire:
    """The survey's questionnaire as published (parsed once per process by its fingerprint)."""
    version = session.get(QuestionnaireVersion, survey.questionnaire_version_id)
    assert version is not None
    return questionnaire_service.snapshot(version)


def own_agency_ids(session: Session, *, partnership: Partnership) -> set[int]:
    """The partnership's agencies: in a joint round each partnership reads only its own."""
    return set(session.scalars(cycles_service.own_agencies(partnership)))


def agencies_of_returns(session: Session, *, return_ids: Collection[int]) -> set[int]:
    """The agencies of these returns: a panel member reads the figures of those they score."""
    if not return_ids:
        return set()
    return set(
        session.scalars(
            select(AgencyReturn.agency_id).where(AgencyReturn.id.in_(sorted(return_ids)))
        )
    )


def survey_of(session: Session, *, cycle: Cycle) -> Survey | None:
    survey = session.scalar(select(Survey).where(Survey.cycle_id == cycle.id))
    return survey


def survey_versions(session: Session, *, partnership_id: int | None) -> list[QuestionnaireVersion]:
    """The published frontline survey questionnaires the partnership may use."""
    return list(
        session.scalars(
            select(QuestionnaireVersion)
            .where(
                questionnaire_service.visible_to(partnership_id),
                QuestionnaireVersion.audience == Audience.FRONTLINE_SURVEY.value,
            )
            .order_by(QuestionnaireVersion.published_at.desc())
        )
    )


def threshold_of(session: Session, *, cycle: Cycle) -> int:
    """k for the cycle: the strictest of its partnerships' choices, never below 5."""
    chosen = session.scalar(
        select(func.max(Partnership.survey_threshold))
        .join(CyclePartnership, CyclePartnership.partnership_id == Partnership.id)
        .where(CyclePartnership.cycle_id == cycle.id)
    )
    return max(MINIMUM_GROUP, chosen or MINIMUM_GROUP)


def accepting(survey: Survey, today: date | None = None) -> LinkState:
    today = today or date.today()
    if survey.closed_at is not None or today > survey.closes_on:
        return LinkState.CLOSED
    if today < survey.opens_on:
        return LinkState.NOT_YET_OPEN
    return LinkState.OPEN


def _new_link(survey: Survey, agency_id: int | None, staff_number: int | None = None) -> SurveyLink:
    # 32 random bytes: a link nobody can guess or work out from another agency's.
    return SurveyLink(
        survey_id=survey.id,
        agency_id=agency_id,
        token=secrets.token_urlsafe(32),
        staff_number=staff_number,
    )


def open_survey(
    session: Session,
    *,
    cycle: Cycle,
    partnership: Partnership,
    version_id: int | None,
    opens_on: date | None,
    closes_on: date | None,
    actor: Person | None,
    green_below: int = GREEN_BELOW,
    amber_below: int = AMBER_BELOW,
) -> Survey:
    """Open the cycle's survey: a link for each agency in the cycle, and the general link."""
    if survey_of(session, cycle=cycle) is not None:
        raise SurveyError("This round already has a frontline survey")
    version = next(
        (v for v in survey_versions(session, partnership_id=partnership.id) if v.id == version_id),
        None,
    )
    if version is None:
        raise SurveyError("Choose a published frontline survey questionnaire")
    if opens_on is None or closes_on is None:
        raise SurveyError("Enter the dates the survey opens and closes")
    if closes_on < opens_on:
        raise SurveyError("The survey must close on or after the day it opens")
    if not (0 <= amber_below <= 100 and 0 <= green_below <= 100):
        raise SurveyError("Give each divergence threshold as a percentage from 0 to 100")
    survey = Survey(
        cycle_id=cycle.id,
        questionnaire_version_id=version.id,
        opens_on=opens_on,
        closes_on=closes_on,
        green_below=green_below,
        amber_below=amber_below,
    )
    session.add(survey)
    session.flush()
    agency_ids = sorted(cycles_service.agency_ids_in(session, cycle=cycle))
    session.add_all([_new_link(survey, None)] + [_new_link(survey, a) for a in agency_ids])
    session.flush()
    audit_service.record_event(
        session, actor=actor, action="survey.open", object_type="survey", object_id=survey.id
    )
    return survey


MAXIMUM_GROUP = 100  # a k past this would hide every agency's figures in any real round


def change_settings(
    session: Session,
    *,
    partnership: Partnership,
    survey: Survey,
    threshold: int,
    green_below: int,
    amber_below: int,
    actor: Person | None,
) -> None:
    """Change the partnership's k (never below 5) and the survey's divergence thresholds;
    the figures shown follow at once, and the change is audited."""
    if not MINIMUM_GROUP <= threshold <= MAXIMUM_GROUP:
        raise SurveyError(
            f"Give the smallest group shown as a whole number from {MINIMUM_GROUP} to "
            f"{MAXIMUM_GROUP}: below {MINIMUM_GROUP}, a person could be picked out"
        )
    if not (0 <= amber_below <= 100 and 0 <= green_below <= 100):
        raise SurveyError("Give each divergence threshold as a percentage from 0 to 100")
    before = (partnership.survey_threshold, survey.green_below, survey.amber_below)
    partnership.survey_threshold = threshold
    survey.green_below, survey.amber_below = green_below, amber_below
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="survey.settings",
        object_type="survey",
        object_id=survey.id,
        detail={
            "before": dict(zip(("k", "green_below", "amber_below"), before, strict=True)),
            "after": {"k": threshold, "green_below": green_below, "amber_below": amber_below},
        },
    )


def links_of(
    session: Session, *, survey: Survey, agency_ids: set[int]
) -> list[tuple[SurveyLink, Agency | None, int]]:
    """The survey's working links for these agencies, the general one first, each with its
    responses so far (the general link's: all of these agencies')."""
    counts = {
        agency_id: n
        for agency_id, n in response_counts(session, survey=survey).items()
        if agency_id in agency_ids
    }
    rows = session.execute(
        select(SurveyLink, Agency)
        .outerjoin(Agency, Agency.id == SurveyLink.agency_id)
        .where(SurveyLink.survey_id == survey.id, SurveyLink.replaced_at.is_(None))
        .order_by(SurveyLink.agency_id.is_not(None), Agency.name)
    ).all()
    return [
        (link, agency, counts.get(agency.id, 0) if agency else sum(counts.values()))
        for link, agency in rows
        if agency is None or agency.id in agency_ids
    ]


def response_counts(session: Session, *, survey: Survey) -> dict[int, int]:
    """Responses so far per agency."""
    rows = session.execute(
        select(SurveyResponse.agency_id, func.count())
        .where(SurveyResponse.survey_id == survey.id)
        .group_by(SurveyResponse.agency_id)
    )
    return {agency_id: count for agency_id, count in rows}


def replace_link(session: Session, *, survey: Survey, link_id: int, actor: Person) -> SurveyLink:
    """A new link in place of one that leaked: the old one stops working at once."""
    old = session.scalar(
        select(SurveyLink).where(
            SurveyLink.id == link_id,
            SurveyLink.survey_id == survey.id,
            SurveyLink.replaced_at.is_(None),
        )
    )
    if old is None:
        raise SurveyError("That link has already been replaced")
    old.replaced_at = utcnow()
    new = _new_link(survey, old.agency_id, old.staff_number)
    session.add(new)
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="survey.replace_link",
        object_type="survey",
        object_id=survey.id,
    )
    return new


def close_survey(session: Session, *, survey: Survey, actor: Person) -> None:
    if survey.closed_at is None:
        survey.closed_at = utcnow()
        audit_service.record_event(
            session, actor=actor, action="survey.close", object_type="survey", object_id=survey.id
        )
        session.flush()


def link_for(session: Session, *, token: str) -> OpenLink | None:
    """The link a token names, with whether it takes answers; None for a token nobody made."""
    if not 20 <= len(token) <= 64:
        return None
    row = session.execute(
        select(SurveyLink, Survey, Agency)
        .join(Survey, Survey.id == SurveyLink.survey_id)
        .outerjoin(Agency, Agency.id == SurveyLink.agency_id)
        .where(SurveyLink.token == token)
    ).first()
    if row is None:
        return None
    link, survey, agency = row
    state = LinkState.REPLACED if link.replaced_at is not None else accepting(survey)
    questionnaire = questionnaire_of(session, survey)
    return OpenLink(link, survey, agency, state, questionnaire)


def agencies_taking_part(session: Session, *, survey: Survey) -> list[Agency]:
    """The agencies a respondent on the general link may say they work for."""
    return list(
        session.scalars(
            select(Agency)
            .join(AgencyReturn, AgencyReturn.agency_id == Agency.id)
            .where(AgencyReturn.cycle_id == survey.cycle_id)
            .order_by(Agency.name)
        )
    )


def record_response(
    session: Session,
    *,
    survey: Survey,
    questionnaire: Questionnaire,
    agency_id: int,
    values: dict[str, Any],
) -> None:
    """Keep one response: its agency, the day, and each answer. Nothing about the person."""
    response = SurveyResponse(survey_id=survey.id, agency_id=agency_id, submitted_on=date.today())
    session.add(response)
    session.flush()
    free_text = {
        q.id
        for section in questionnaire.sections
        for q in section.questions
        if getattr(q, "type", "") in ("text", "long_text")
    }
    answers = []
    for question_id, value in values.items():
        if value is None:
            continue
        chosen = value if isinstance(value, list) else [value]
        for one in chosen:
            if isinstance(one, str) and question_id in free_text:
                answers.append(
                    SurveyAnswer(response_id=response.id, question_id=question_id, text=one)
                )
            else:
                answers.append(
                    SurveyAnswer(response_id=response.id, question_id=question_id, choice=str(one))
                )
    session.add_all(answers)
    session.flush()


@dataclass(frozen=True)
class AgencyLink:
    """What an agency's lead sees of the survey on their task list."""

    token: str
    responses: int
    state: LinkState
    closes_on: date
    staff_number: int | None


def link_of_agency(session: Session, *, cycle_id: int, agency_id: int) -> AgencyLink | None:
    row = session.execute(
        select(SurveyLink, Survey)
        .join(Survey, Survey.id == SurveyLink.survey_id)
        .where(
            Survey.cycle_id == cycle_id,
            SurveyLink.agency_id == agency_id,
            SurveyLink.replaced_at.is_(None),
        )
    ).first()
    if row is None:
        return None
    link, survey = row
    count = session.scalar(
        select(func.count()).where(
            SurveyResponse.survey_id == survey.id, SurveyResponse.agency_id == agency_id
        )
    )
    return AgencyLink(
        link.token, count or 0, accepting(survey), survey.closes_on, link.staff_number
    )


def set_staff_number(session: Session, *, person: Person, return_id: int, text: str) -> bool:
    """The agency's count of frontline staff (the lead's, or a colleague's on the return) on its
    survey link; False when the person does not work on that return or there is no survey."""
    view = returns_service.return_for(session, person=person, return_id=return_id)
    if view is None:
        return False
    link = session.scalar(
        select(SurveyLink)
        .join(Survey, Survey.id == SurveyLink.survey_id)
        .where(
            Survey.cycle_id == view.cycle.id,
            SurveyLink.agency_id == view.agency.id,
            SurveyLink.replaced_at.is_(None),
        )
    )
    if link is None:
        return False
    number = whole_number_from(text.strip().replace(",", ""))
    link.staff_number = number if number else None
    session.flush()
    return True
