"""Demo data for `s11 demo`: a Norfolk-style partnership so every feature can be explored,
running this year's round jointly with Suffolk.

Idempotent: every row is found by its natural key before it is created. People are fictional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cycles import service as cycles_service
from app.db import utcnow
from app.directory import service as directory_service
from app.directory.models import (
    Agency,
    AgencyDuty,
    AgencySector,
    Membership,
    Partnership,
    Person,
    Role,
)
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.rendering import levels_for
from app.questionnaires.schema import QuestionBase, Questionnaire
from app.returns import service as returns_service
from app.returns.models import ALLOWED_MOVES, AgencyReturn, ReturnStatus

S = AgencySector
S11 = AgencyDuty.SECTION_11
EQUIVALENT = AgencyDuty.EQUIVALENT_STANDARDS

# 38 agencies, 13 of them voluntary sector, as in Norfolk's 2020 round.
NORFOLK_AGENCIES: list[tuple[str, AgencySector, AgencyDuty]] = [
    ("Norfolk County Council Children's Services", S.CHILDRENS_SERVICES, S11),
    ("Norfolk Constabulary", S.POLICE, S11),
    ("British Transport Police", S.POLICE, S11),
    ("Norfolk and Norwich University Hospitals NHS Foundation Trust", S.HEALTH_PROVIDER, S11),
    ("James Paget University Hospitals NHS Foundation Trust", S.HEALTH_PROVIDER, S11),
    ("The Queen Elizabeth Hospital King's Lynn NHS Foundation Trust", S.HEALTH_PROVIDER, S11),
    ("Norfolk and Suffolk NHS Foundation Trust", S.HEALTH_PROVIDER, S11),
    ("Norfolk Community Health and Care NHS Trust", S.HEALTH_PROVIDER, S11),
    ("East of England Ambulance Service NHS Trust", S.HEALTH_PROVIDER, S11),
    ("Cambridgeshire Community Services NHS Trust", S.HEALTH_PROVIDER, S11),
    ("NHS Norfolk and Waveney Integrated Care Board", S.HEALTH_COMMISSIONER, S11),
    ("City College Norwich", S.EDUCATION, EQUIVALENT),
    ("College of West Anglia", S.EDUCATION, EQUIVALENT),
    ("Norfolk County Council Early Years and Childcare", S.EARLY_YEARS, S11),
    ("Breckland Council", S.DISTRICT_COUNCIL, S11),
    ("Broadland District Council", S.DISTRICT_COUNCIL, S11),
    ("Great Yarmouth Borough Council", S.DISTRICT_COUNCIL, S11),
    ("Borough Council of King's Lynn and West Norfolk", S.DISTRICT_COUNCIL, S11),
    ("North Norfolk District Council", S.DISTRICT_COUNCIL, S11),
    ("Norwich City Council", S.DISTRICT_COUNCIL, S11),
    ("South Norfolk Council", S.DISTRICT_COUNCIL, S11),
    ("Probation Service, East of England", S.PROBATION, S11),
    ("Norfolk Youth Justice Service", S.YOUTH_JUSTICE, S11),
    ("Flagship Housing Group", S.HOUSING, EQUIVALENT),
    ("Norfolk Fire and Rescue Service", S.OTHER, EQUIVALENT),
    ("Barnardo's", S.VOLUNTARY, EQUIVALENT),
    ("NSPCC", S.VOLUNTARY, EQUIVALENT),
    ("Action for Children", S.VOLUNTARY, EQUIVALENT),
    ("The Children's Society", S.VOLUNTARY, EQUIVALENT),
    ("Leeway Domestic Violence and Abuse Services", S.VOLUNTARY, EQUIVALENT),
    ("YMCA Norfolk", S.VOLUNTARY, EQUIVALENT),
    ("Nelson's Journey", S.VOLUNTARY, EQUIVALENT),
    ("The Matthew Project", S.VOLUNTARY, EQUIVALENT),
    ("Break", S.VOLUNTARY, EQUIVALENT),
    ("The Benjamin Foundation", S.VOLUNTARY, EQUIVALENT),
    ("Future Projects", S.VOLUNTARY, EQUIVALENT),
    ("Home-Start Norfolk", S.VOLUNTARY, EQUIVALENT),
    ("Diocese of Norwich", S.VOLUNTARY, EQUIVALENT),
]

# Agencies that also answer to a neighbouring partnership: one agency, two partnerships.
SHARED_WITH_SUFFOLK = [
    "Norfolk and Suffolk NHS Foundation Trust",
    "East of England Ambulance Service NHS Trust",
    "Probation Service, East of England",
]

# Suffolk's own agencies, in the joint round: Norfolk's coordinators never see their returns.
SUFFOLK_AGENCIES: list[tuple[str, AgencySector, AgencyDuty]] = [
    ("Suffolk County Council Children and Young People's Services", S.CHILDRENS_SERVICES, S11),
    ("Suffolk Constabulary", S.POLICE, S11),
    ("East Suffolk and North Essex NHS Foundation Trust", S.HEALTH_PROVIDER, S11),
    ("Ipswich Borough Council", S.DISTRICT_COUNCIL, S11),
]

FIRST_NAMES = [
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Ellen",
    "Farid",
    "Grace",
    "Harvey",
    "Isla",
    "Jonah",
    "Kiran",
    "Leah",
    "Marcus",
    "Nadia",
    "Owen",
    "Pippa",
    "Quentin",
    "Rosa",
    "Samir",
    "Tess",
]
LAST_NAMES = [
    "Ashby",
    "Barker",
    "Cole",
    "Dunmore",
    "Ellis",
    "Fenn",
    "Gill",
    "Hart",
    "Ingram",
    "Joyce",
    "Khan",
    "Lowe",
    "Mercer",
    "Nash",
    "Oakes",
    "Patel",
    "Quinn",
    "Rowe",
    "Shaw",
    "Thorne",
]


@dataclass(frozen=True)
class DemoSummary:
    partnerships: int
    agencies: int
    voluntary_agencies: int


def _email_domain(agency_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", agency_name.lower())[:40].strip("-")
    return f"{slug}.example.org"


def _person_name(index: int) -> tuple[str, str]:
    # The extra step each time the first names wrap round keeps every full name different.
    last = (index * 7 + 3 + index // len(FIRST_NAMES)) % len(LAST_NAMES)
    return FIRST_NAMES[index % len(FIRST_NAMES)], LAST_NAMES[last]


def load_demo(session: Session) -> DemoSummary:
    norfolk = directory_service.ensure_partnership(
        session,
        slug="norfolk",
        name="Norfolk Safeguarding Children Partnership",
        short_name="NSCP",
        colour="#4c2c92",
    )
    suffolk = directory_service.ensure_partnership(
        session,
        slug="suffolk",
        name="Suffolk Safeguarding Partnership",
        short_name="SSP",
        colour="#00703c",
    )

    def person(
        email: str, name: str, partnership: Partnership, role: Role, agency: Agency | None = None
    ) -> None:
        someone = directory_service.ensure_person(session, email=email, name=name)
        directory_service.ensure_membership(
            session, person=someone, partnership=partnership, role=role, agency=agency
        )

    person("coordinator@nscp.example.org", "Priya Shah", norfolk, Role.COORDINATOR)
    person("chair@nscp.example.org", "Jonathan Ellery", norfolk, Role.CHAIR)
    person("coordinator@ssp.example.org", "Harriet Moss", suffolk, Role.COORDINATOR)

    for index, (name, sector, duty) in enumerate(NORFOLK_AGENCIES):
        agency = directory_service.ensure_agency(
            session, name=name, sector=sector, duty=duty, partnership=norfolk
        )
        first, last = _person_name(index)
        domain = _email_domain(name)
        email = f"{first}.{last}@{domain}".lower()
        person(email, f"{first} {last}", norfolk, Role.AGENCY_LEAD, agency)
        if name in SHARED_WITH_SUFFOLK:
            directory_service.ensure_agency(
                session, name=name, sector=sector, duty=duty, partnership=suffolk
            )
            person(email, f"{first} {last}", suffolk, Role.AGENCY_LEAD, agency)
        if index < 3:  # a colleague helping the lead, for the contributor's view
            contributor = _person_name(index + 50)
            person(
                f"{contributor[0]}.{contributor[1]}@{domain}".lower(),
                f"{contributor[0]} {contributor[1]}",
                norfolk,
                Role.CONTRIBUTOR,
                agency,
            )
        if index in (1, 3, 14):  # steering group members come from different agencies
            member_first, member_last = _person_name(index + 80)
            person(
                f"panel.{member_first}.{member_last}@{domain}".lower(),
                f"{member_first} {member_last}",
                norfolk,
                Role.PANEL_MEMBER,
            )

    for index, (name, sector, duty) in enumerate(SUFFOLK_AGENCIES, start=100):
        agency = directory_service.ensure_agency(
            session, name=name, sector=sector, duty=duty, partnership=suffolk
        )
        first, last = _person_name(index)
        email = f"{first}.{last}@{_email_domain(name)}".lower()
        person(email, f"{first} {last}", suffolk, Role.AGENCY_LEAD, agency)

    versions = {
        (v.questionnaire_id, v.version): v for v in questionnaire_service.publish_shipped(session)
    }
    today = date.today()
    _last_years_round(session, norfolk, versions[("norfolk-section11", "2020")], today)
    cycle = cycles_service.ensure_cycle(
        session,
        slug="s11-2021",
        name="Section 11 2021",
        version=versions[("norfolk-section11", "2021")],
        partnerships=[norfolk, suffolk],
        opens_on=today - timedelta(days=30),
        deadline_on=today + timedelta(days=45),
    )
    # Run jointly: an agency working with both partnerships has one return, which both see.
    agencies = {
        agency.id: agency
        for partnership in (norfolk, suffolk)
        for agency in directory_service.agencies_of(session, partnership=partnership)
    }
    cycle_returns = cycles_service.open_returns(
        session, cycle=cycle, agencies=list(agencies.values())
    )
    _returns_in_each_state(session, cycle_returns)
    # The leads were invited when the round opened; one agency has been given longer.
    for agency_return in cycle_returns:
        agency_return.invited_at = agency_return.invited_at or utcnow() - timedelta(days=30)
    housing, _lead = _agency_and_lead(session, DEMO_EXTENSION)
    extended = next(r for r in cycle_returns if r.agency_id == housing.id)
    if extended.deadline_extended_to is None:
        extended.deadline_extended_to = cycle.deadline_on + timedelta(days=21)
        extended.extension_reason = "Restructure of the safeguarding team"
    session.flush()

    counts = directory_service.count_agencies_by_sector(session, partnership=norfolk)
    return DemoSummary(
        partnerships=2,
        agencies=sum(counts.values()),
        voluntary_agencies=counts.get(AgencySector.VOLUNTARY, 0),
    )


def _demo_value(question: QuestionBase, questionnaire: Questionnaire) -> object:
    """A plausible answer of the right shape for any question type."""
    kind = getattr(question, "type", "")
    if kind == "rating":
        levels = levels_for(questionnaire, question)
        return levels[min(2, len(levels) - 1)].value
    if kind == "yes_no":
        return "yes"
    if kind == "single_choice":
        return question.options[0].value  # type: ignore[attr-defined]
    if kind == "multiple_choice":
        return [option.value for option in question.options[:2]]  # type: ignore[attr-defined]
    if kind == "number":
        return int(question.min or 0) + 5  # type: ignore[attr-defined]
    if kind == "date":
        return (date.today() - timedelta(days=40)).isoformat()
    if kind == "table":
        return [
            {column.id: "" for column in question.columns} | {question.columns[0].id: "Demo row"}
        ]  # type: ignore[attr-defined]
    if kind == "evidence":
        return None
    return "Demo answer: our designated safeguarding lead reviews this every quarter."


def _fill_in(session: Session, *, lead: Person, return_id: int, sections: int | None) -> None:
    """Answer the first `sections` sections (None: all) of a demo return as its lead."""
    view = returns_service.return_for(session, person=lead, return_id=return_id)
    if view is None or not view.agency_return.status.editable:
        return
    for progress in view.sections()[:sections]:
        answered_more = True
        while answered_more:  # an answer can reveal follow-up questions in the same section
            answered_more = False
            for question in view.shown(progress.section):
                value = _demo_value(question, view.questionnaire)
                if question.id in view.answers or value is None:
                    continue
                returns_service.save_answer(
                    session,
                    agency_return=view.agency_return,
                    questionnaire=view.questionnaire,
                    question_id=question.id,
                    value=value,
                    based_on_version=0,
                    actor=lead,
                )
                answered_more = True
            view.answers = returns_service.answers_of(session, agency_return=view.agency_return)


DEMO_EXTENSION = "Norfolk Community Health and Care NHS Trust"


def _returns_in_each_state(session: Session, cycle_returns: list[AgencyReturn]) -> None:
    """Most returns not started; a few in progress; two submitted (the rest is panels' work)."""
    by_agency = {r.agency_id: r for r in cycle_returns}
    plans = {
        "Norfolk and Norwich University Hospitals NHS Foundation Trust": 2,
        "NSPCC": 1,
        "Break": None,
        "Norwich City Council": None,
    }
    for agency_name, sections in plans.items():
        agency, lead = _agency_and_lead(session, agency_name)
        agency_return = by_agency[agency.id]
        _fill_in(session, lead=lead, return_id=agency_return.id, sections=sections)
        if sections is None and agency_return.status.editable:
            view = returns_service.return_for(session, person=lead, return_id=agency_return.id)
            returns_service.submit_return(session, view=view, actor=lead)


def _agency_and_lead(session: Session, agency_name: str) -> tuple[Agency, Person]:
    agency = session.scalars(select(Agency).where(Agency.name == agency_name)).one()
    lead_id = session.scalar(
        select(Membership.person_id).where(
            Membership.agency_id == agency.id, Membership.role == Role.AGENCY_LEAD
        )
    )
    return agency, directory_service.get_person(session, person_id=lead_id)


# Agencies that took part last year, so this year's return can start from last year's answers.
LAST_YEAR = [
    "Norfolk County Council Children's Services",
    "Norfolk Constabulary",
    "NSPCC",
    "Break",
    "Norwich City Council",
]


def _last_years_round(
    session: Session, norfolk: Partnership, version: QuestionnaireVersion, today: date
) -> None:
    """Section 11 2020 on the Norfolk 2020 tool, answered in full and closed."""
    cycle = cycles_service.ensure_cycle(
        session,
        slug="s11-2020",
        name="Section 11 2020",
        version=version,
        partnerships=[norfolk],
        opens_on=today - timedelta(days=400),
        deadline_on=today - timedelta(days=320),
    )
    agencies = [_agency_and_lead(session, name) for name in LAST_YEAR]
    returns = cycles_service.open_returns(session, cycle=cycle, agencies=[a for a, _ in agencies])
    for (_agency, lead), agency_return in zip(agencies, returns, strict=True):
        _fill_in(session, lead=lead, return_id=agency_return.id, sections=None)
        if agency_return.status.editable:
            view = returns_service.return_for(session, person=lead, return_id=agency_return.id)
            returns_service.submit_return(session, view=view, actor=lead)
        # Panels and action plans are later modules; last year's returns went through them.
        for status in (
            ReturnStatus.AT_PANEL,
            ReturnStatus.FEEDBACK_ISSUED,
            ReturnStatus.ACTION_PLAN_AGREED,
            ReturnStatus.CLOSED,
        ):
            if status in ALLOWED_MOVES[agency_return.status]:
                returns_service.move_return(
                    session, agency_return=agency_return, to=status, actor=None
                )
