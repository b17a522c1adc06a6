"""Demo data for `s11 demo`: a Norfolk-style partnership so every feature can be explored,
running this year's round jointly with Suffolk.

Idempotent: every row is found by its natural key before it is created, and a cycle's panels
are set up only while it has none. People are fictional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.actions import composite, recommendations
from app.actions import plans as action_plans
from app.actions import progress as action_progress
from app.actions.models import ActionSource, ActionStatus, ActionUpdate
from app.cycle_models import Cycle
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
    SchoolType,
)
from app.panels import booking, feedback, moderation, reading, scheduling, scoring, sessions
from app.panels.models import MeetingMode, PanelSession
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.rendering import levels_for
from app.questionnaires.schema import QuestionBase, Questionnaire
from app.returns import answers, submitting
from app.returns import service as returns_service
from app.returns.models import AgencyReturn, ReturnStatus
from app.surveys import answering as survey_answering
from app.surveys import service as surveys_service

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


@dataclass(frozen=True)
class Panels:
    """Who runs the demo's panels: the coordinator books them, and the steering group sits on
    them, each member with the agency they come from (which they never score)."""

    partnership: Partnership
    coordinator: Person
    members: list[tuple[Person, Agency]]


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
    ) -> Person:
        someone = directory_service.ensure_person(session, email=email, name=name)
        directory_service.ensure_membership(
            session, person=someone, partnership=partnership, role=role, agency=agency
        )
        return someone

    coordinator = person("coordinator@nscp.example.org", "Priya Shah", norfolk, Role.COORDINATOR)
    # The installation's site administrator: sets partnerships up, reads none of their returns.
    directory_service.make_admin(session, email="it@council.example.org", name="Council IT")
    person("chair@nscp.example.org", "Jonathan Ellery", norfolk, Role.CHAIR)
    person("coordinator@ssp.example.org", "Harriet Moss", suffolk, Role.COORDINATOR)

    steering_group: list[tuple[Person, Agency]] = []
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
            member = person(
                f"panel.{member_first}.{member_last}@{domain}".lower(),
                f"{member_first} {member_last}",
                norfolk,
                Role.PANEL_MEMBER,
            )
            steering_group.append((member, agency))

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
    # The panel services read each person's roles, which come loaded only with `get_person`.
    panels = Panels(
        norfolk,
        _loaded(session, coordinator),
        [(_loaded(session, member), agency) for member, agency in steering_group],
    )
    _last_years_round(session, panels, versions[("norfolk-section11", "2020")], today)
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
    _this_years_panel(session, panels, cycle, cycle_returns)
    _this_years_survey(
        session, cycle, norfolk, versions[("frontline-practitioner-survey", "2021")], coordinator
    )

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
                answers.save_answer(
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
    """Most returns not started; a few in progress; two submitted and waiting for a panel, and
    the four that Panel 1 meets (`_this_years_panel` books them)."""
    by_agency = {r.agency_id: r for r in cycle_returns}
    plans = {
        "Norfolk and Norwich University Hospitals NHS Foundation Trust": 2,
        "NSPCC": 1,
        "Break": None,
        "Norwich City Council": None,
    } | dict.fromkeys(PANEL_1)
    for agency_name, sections in plans.items():
        agency, lead = _agency_and_lead(session, agency_name)
        agency_return = by_agency[agency.id]
        _fill_in(session, lead=lead, return_id=agency_return.id, sections=sections)
        if sections is None and agency_return.status.editable:
            view = returns_service.return_for(session, person=lead, return_id=agency_return.id)
            submitting.submit_return(session, view=view, actor=lead)


def _loaded(session: Session, person: Person) -> Person:
    found = directory_service.get_person(session, person_id=person.id)
    assert found is not None
    return found


def _agency_and_lead(session: Session, agency_name: str) -> tuple[Agency, Person]:
    agency = session.scalars(select(Agency).where(Agency.name == agency_name)).one()
    lead_id = session.scalar(
        select(Membership.person_id).where(
            Membership.agency_id == agency.id, Membership.role == Role.AGENCY_LEAD
        )
    )
    return agency, directory_service.get_person(session, person_id=lead_id)


# Agencies that took part last year, so this year's return can start from last year's answers
# and the panel reads what was agreed with them last year.
LAST_YEAR = [
    "Norfolk County Council Children's Services",
    "Norfolk Constabulary",
    "NSPCC",
    "Break",
    "Norwich City Council",
    "Great Yarmouth Borough Council",
    "Norfolk Fire and Rescue Service",
]


def _last_years_round(
    session: Session, panels: Panels, version: QuestionnaireVersion, today: date
) -> None:
    """Section 11 2020 on the Norfolk 2020 tool, answered in full, met by its panel, closed."""
    cycle = cycles_service.ensure_cycle(
        session,
        slug="s11-2020",
        name="Section 11 2020",
        version=version,
        partnerships=[panels.partnership],
        opens_on=today - timedelta(days=400),
        deadline_on=today - timedelta(days=320),
    )
    agencies = [_agency_and_lead(session, name) for name in LAST_YEAR]
    returns = cycles_service.open_returns(session, cycle=cycle, agencies=[a for a, _ in agencies])
    for (_agency, lead), agency_return in zip(agencies, returns, strict=True):
        _fill_in(session, lead=lead, return_id=agency_return.id, sections=None)
        if agency_return.status.editable:
            view = returns_service.return_for(session, person=lead, return_id=agency_return.id)
            submitting.submit_return(session, view=view, actor=lead)
    # Only a first load finds them submitted; after that they are closed and the panel met.
    waiting = [r for r in returns if r.status is ReturnStatus.SUBMITTED]
    if waiting:
        _last_years_panel(session, panels, cycle, waiting)
        _last_years_action_plans(session, panels, cycle, returns, today)
        for agency_return in returns:
            if agency_return.status is ReturnStatus.ACTION_PLAN_AGREED:
                returns_service.move_return(
                    session, agency_return=agency_return, to=ReturnStatus.CLOSED, actor=None
                )


# The demo sends no email: the links in the emails the panel services return go nowhere.
BASE_URL = "http://127.0.0.1:8000"

# The agencies this year's Panel 1 meets, in slot order, each further through the panel's work.
PANEL_1 = [
    "Norfolk Youth Justice Service",  # ratings agreed, recommendations made, feedback issued
    "Norfolk Fire and Rescue Service",  # everyone has scored; the chair is agreeing ratings
    "Great Yarmouth Borough Council",  # the chair has submitted scores; the others have drafts
    "City College Norwich",  # nobody has scored it yet
]

# Notes a member might write beside each rating: strengths, worries, lines of enquiry.
NOTES = {
    1: (
        "",
        "Training is described, but nothing shows practice has changed for children.",
        "What do your own case audits say about how well staff recognise this?",
    ),
    2: (
        "A clear policy and a named lead.",
        "Not yet applied in the same way across every team.",
        "How do you know each team understands and uses it?",
    ),
    3: (
        "Good evidence of impact, with audit findings and a case example.",
        "",
        "What would it take to make this outstanding and share it with partners?",
    ),
    4: ("Strong, reflective practice that partners have learnt from.", "", ""),
}

AGREED_NOTES = {
    1: "The agency agreed that practice has not changed yet: see the recommendation.",
    2: "In place, but not yet consistent across teams.",
    3: "Well evidenced; the agency showed the difference it has made.",
    4: "",
}

# Recommendations in the Signs of Safety form: what worries the panel, the safety goal, the
# next steps; the priority and theme are the cycle's (`_recommend` checks them).
NEGLECT_RECOMMENDATION = recommendations.RecommendationDraft(
    worry_statement=(
        "The panel is worried that staff do not recognise the build-up of low-level neglect, "
        "so children may live with neglect for longer before anyone acts."
    ),
    safety_goal=(
        "Staff in every team spot neglect early, use the Graded Care Profile 2 and can say how "
        "the children they work with are better off."
    ),
    next_steps=(
        "Train all frontline staff in the Graded Care Profile 2 within six months; audit 20 "
        "cases and bring the findings to next year's panel."
    ),
    priority="Neglect",
    theme="Professional curiosity",
)
EXPLOITATION_RECOMMENDATION = recommendations.RecommendationDraft(
    worry_statement=(
        "The panel is worried that what staff learn about young people at risk of exploitation "
        "does not reach partners quickly enough to keep them safe."
    ),
    safety_goal=(
        "Concerns about exploitation reach the multi-agency child exploitation meeting within a "
        "week, and every member of staff knows how to share them."
    ),
    next_steps=(
        "Name an exploitation lead who attends the monthly multi-agency meeting; brief every "
        "team manager by the end of the quarter."
    ),
    priority="Child exploitation and vulnerable adolescents",
    theme="Fora for discussion and information sharing",
)
LAST_YEARS_RECOMMENDATION = recommendations.RecommendationDraft(
    worry_statement=(
        "The panel is worried that policies are in place but there is little evidence yet of "
        "the difference they make to children."
    ),
    safety_goal=(
        "Managers can show, from audits and from what children and families say, how practice "
        "has changed."
    ),
    next_steps=(
        "Audit a sample of cases against this standard and report back to next year's panel."
    ),
)


def _this_years_panel(
    session: Session, panels: Panels, cycle: Cycle, cycle_returns: list[AgencyReturn]
) -> None:
    """Panel 1, in the cycle's panel window, with the four agencies of PANEL_1 at four stages:
    feedback issued, being moderated, being scored, not yet read."""
    if cycle.panel_starts_on is None or cycle.panel_ends_on is None:
        # Panels meet in the weeks after the deadline, once the returns are in.
        cycle.panel_starts_on = cycle.deadline_on + timedelta(days=7)
        cycle.panel_ends_on = cycle.deadline_on + timedelta(days=63)
    if session.scalar(select(PanelSession.id).where(PanelSession.cycle_id == cycle.id).limit(1)):
        return  # loaded before: Panel 1 and all it did are there already
    by_agency = {r.agency_id: r for r in cycle_returns}
    met, moderating, scoring, unread = (
        by_agency[_agency_and_lead(session, name)[0].id] for name in PANEL_1
    )
    day = min(cycle.panel_starts_on + timedelta(days=7), cycle.panel_ends_on)
    while day.weekday() >= 5 and day < cycle.panel_ends_on:  # panels meet on weekdays
        day += timedelta(days=1)
    details = scheduling.SessionDetails(
        title="Panel 1",
        day=day,
        starts=time(9, 30),
        ends=time(13, 0),
        slot_minutes=45,
        mode=MeetingMode.IN_PERSON,
        location="County Hall, Martineau Lane, Norwich NR1 2DH",
    )
    # The first steering group member chairs, so signing in as them (as the access tests do)
    # reaches every page a chair uses.
    chair = panels.members[0][0]
    booked = [met, moderating, scoring, unread]
    _session_with(session, panels, cycle, details, panels.members, chair, booked)
    first, second, third = (member for member, _agency in panels.members)

    # Everyone scored the first two; the chair agreed every rating of the first, with a red
    # that needs its recommendation, and the coordinator issued the feedback.
    for member, ratings in ((first, (1, 2, 3, 2)), (second, (2, 2, 3, 3)), (third, (1, 3, 3, 2))):
        _score(session, member, met, ratings, submit=True)
    _agree(session, chair, met, (1, 2, 3, 2))
    _recommend(session, chair, met, 0, NEGLECT_RECOMMENDATION)
    _recommend(session, chair, met, 1, EXPLOITATION_RECOMMENDATION)
    feedback.issue_feedback(
        session,
        target=_target(session, panels.coordinator, met),
        strengths=(
            "A candid return that knows its own weaknesses. The panel saw strong multi-agency "
            "work with the police on exploitation, and a well-supported team who could say what "
            "had changed for the young people they work with."
        ),
        actor=panels.coordinator,
        base_url=BASE_URL,
    )
    # The lead has started the action plan: one recommendation answered, one to go.
    _agency, lead = _agency_and_lead(session, PANEL_1[0])
    view = returns_service.return_for(session, person=lead, return_id=met.id)
    plan = action_plans.plan_view(session, view=view)
    action_plans.add_action(
        session,
        plan=plan,
        recommendation_id=plan.recommendations[0].id,
        draft=action_progress.ActionDraft(
            "Train every case manager in the Graded Care Profile 2.",
            "Youth Justice Service Manager",
            date.today() + timedelta(days=180),
            "Every case manager trained; 10 cases audited show it used where neglect is seen.",
        ),
        actor=lead,
    )

    # Here the members disagree widely; the chair has settled two items so far, one of them
    # red with its recommendation, and two are still to agree before feedback can go.
    for member, ratings in ((first, (3, 1, 2, 3)), (second, (2, 2, 2, 3)), (third, (3, 2, 1, 3))):
        _score(session, member, moderating, ratings, submit=True)
    _agree(session, chair, moderating, (3, 1))
    _recommend(session, chair, moderating, 1, EXPLOITATION_RECOMMENDATION)

    # Scoring under way: the chair has submitted, so sees the others' drafts; they do not yet
    # see the chair's.
    _score(session, first, scoring, (2, 3, 3, 2), submit=True)
    _score(session, second, scoring, (3, 2), submit=False)
    _score(session, third, scoring, (2,), submit=False)


def _last_years_panel(
    session: Session, panels: Panels, cycle: Cycle, returns: list[AgencyReturn]
) -> None:
    """Last year's panel met every agency: ratings agreed (amber and green), a recommendation
    each and feedback issued, so this year's panel reads what was agreed last year."""
    # The first steering group member comes from Norfolk Constabulary, which this panel met.
    members = panels.members[1:]
    chair = members[0][0]
    details = scheduling.SessionDetails(
        title="Panel 1",
        day=cycle.deadline_on + timedelta(days=21),
        starts=time(9, 30),
        ends=time(15, 0),  # seven slots, one for each agency of LAST_YEAR
        slot_minutes=45,
        mode=MeetingMode.ONLINE,
        meeting_link="https://meet.example.org/nscp-panel-2020",
    )
    _session_with(session, panels, cycle, details, members, chair, returns)
    for index, agency_return in enumerate(returns):
        items = _target(session, chair, agency_return).items
        ratings = tuple(2 if (index + k) % 3 == 0 else 3 for k in range(len(items)))
        _agree(session, chair, agency_return, ratings)
        draft = LAST_YEARS_RECOMMENDATION
        _recommend(
            session,
            chair,
            agency_return,
            ratings.index(2),
            replace(
                draft,
                priority=cycle.priorities[index % len(cycle.priorities)],
                theme=cycle.themes[index % len(cycle.themes)],
            ),
        )
        feedback.issue_feedback(
            session,
            target=_target(session, panels.coordinator, agency_return),
            strengths=(
                "An honest, well-evidenced return. The panel saw committed safeguarding "
                "leadership and good examples of working with partners."
            ),
            actor=panels.coordinator,
            base_url=BASE_URL,
        )


# A year of an agreed action's life: days after the plan was agreed, the status then, the note.
PROGRESS = [
    (60, ActionStatus.ON_TRACK, "Audit tool agreed with the quality assurance team; sample drawn."),
    (150, ActionStatus.AT_RISK, "Two auditors on long-term leave: half the sample audited so far."),
    (250, ActionStatus.ON_TRACK, "Auditors back; 18 of 20 cases audited, findings being written."),
    (300, ActionStatus.COMPLETE, "Audit report to the safeguarding board: practice has improved."),
]


def _last_years_action_plans(
    session: Session, panels: Panels, cycle: Cycle, returns: list[AgencyReturn], today: date
) -> None:
    """Last year's plans in every state: five agreed with a year of progress (one action still
    at risk, one overdue), one returned with comments, one waiting for agreement; and two items
    the partnership added from other sources."""
    agreed_on = cycle.deadline_on + timedelta(days=35)
    for index, agency_return in enumerate(returns):
        agency = session.get(Agency, agency_return.agency_id)
        assert agency is not None
        _agency, lead = _agency_and_lead(session, agency.name)
        view = returns_service.return_for(session, person=lead, return_id=agency_return.id)
        plan = action_plans.plan_view(session, view=view)
        recommendation = plan.recommendations[0]
        actions = [
            action_progress.ActionDraft(
                "Audit 20 cases against the standard the panel discussed, with a manager "
                "and a practitioner from another team.",
                "Head of Quality Assurance",
                agreed_on + timedelta(days=300),
                "An audit report showing at least 16 of 20 cases good or better.",
            ),
            action_progress.ActionDraft(
                "Ask 30 children and families what difference our safeguarding work made.",
                "Participation Lead",
                agreed_on + timedelta(days=240 + 30 * index),
                "Their words, in the audit report and in next year's return.",
            ),
        ]
        for draft in actions:
            action = action_plans.add_action(
                session, plan=plan, recommendation_id=recommendation.id, draft=draft, actor=lead
            )
            _backdate(session, action, agreed_on - timedelta(days=10))
        if index == 5:  # written, but the partnership asked for more
            action_plans.submit_plan(session, plan=plan, actor=lead)
            action_plans.review_plan(
                session,
                plan=plan,
                agree=False,
                comments="Say who will check the audit findings, and how children's views will "
                "change practice.",
                actor=panels.coordinator,
                partnership=panels.partnership,
                base_url=BASE_URL,
            )
            continue
        action_plans.submit_plan(session, plan=plan, actor=lead)
        if index == 6:  # waiting for the coordinator to agree it
            continue
        action_plans.review_plan(
            session,
            plan=plan,
            agree=True,
            comments="",
            actor=panels.coordinator,
            partnership=panels.partnership,
            base_url=BASE_URL,
        )
        assert plan.plan is not None
        plan.plan.submitted_at = plan.plan.agreed_at = plan.reviews[0].reviewed_at = _at(agreed_on)
        first, second = (a for group in plan.actions.values() for a in group)
        for days, status, note in PROGRESS[:2] if index == 3 else PROGRESS:
            if agreed_on + timedelta(days=days) < today:
                _progress(session, first, status, note, lead, agreed_on + timedelta(days=days))
        _progress(
            session,
            second,
            ActionStatus.ON_TRACK,
            "Questions agreed with the children in care council; 12 families heard so far.",
            lead,
            agreed_on + timedelta(days=120),
        )
    for source, description, theme, owner, due, status in (
        (
            ActionSource.MULTI_AGENCY_AUDIT,
            "Act on the multi-agency audit of neglect: every agency uses the Graded Care "
            "Profile 2 in its neglect cases.",
            "Professional curiosity",
            "Neglect Strategy Group",
            agreed_on + timedelta(days=200),
            ActionStatus.COMPLETE,
        ),
        (
            ActionSource.PRACTICE_REVIEW,
            "Share the learning from the Child A safeguarding practice review with every "
            "agency's frontline staff.",
            "Accountability and management grip",
            "Learning and Improvement Group",
            agreed_on + timedelta(days=280),
            ActionStatus.AT_RISK,
        ),
    ):
        item = composite.add_item(
            session,
            cycle=cycle,
            partnership=panels.partnership,
            draft=composite.ItemDraft(
                source.value,
                description,
                theme,
                cycle.priorities[0],
                owner,
                due,
                "Reported to the partnership's executive group.",
            ),
            actor=panels.coordinator,
        )
        _backdate(session, item, agreed_on)
        _progress(
            session,
            item,
            status,
            "Reported to the executive group.",
            panels.coordinator,
            agreed_on + timedelta(days=150),
        )


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


def _backdate(session: Session, action, day: date) -> None:  # type: ignore[no-untyped-def]
    """The demo writes a year in one go: each action starts when it would have."""
    action.created_at = _at(day)
    for update in session.scalars(select(ActionUpdate).where(ActionUpdate.action_id == action.id)):
        update.made_at = _at(day)
    session.flush()


def _progress(session, action, status, note, person, day) -> None:  # type: ignore[no-untyped-def]
    update = action_progress.record_progress(
        session,
        action=action,
        progress=action_progress.Progress(status.value, note),
        actor=person,
    )
    update.made_at = _at(day)
    session.flush()


def _session_with(
    session: Session,
    panels: Panels,
    cycle: Cycle,
    details: scheduling.SessionDetails,
    members: list[tuple[Person, Agency]],
    chair: Person,
    returns: list[AgencyReturn],
) -> PanelSession:
    """A session set up as a coordinator would: members seated, the chair named, then the
    returns booked into its slots in order. The invitations are not sent."""
    coordinator, partnership = panels.coordinator, panels.partnership
    panel = scheduling.create_session(
        session, cycle=cycle, partnership=partnership, details=details, actor=coordinator
    )
    for member, agency in members:
        scheduling.add_member(
            session,
            panel=panel,
            partnership=partnership,
            person_id=member.id,
            agency_id=agency.id,
            actor=coordinator,
            base_url=BASE_URL,
        )
    scheduling.make_chair(session, panel=panel, person_id=chair.id, actor=coordinator)
    slots = sessions.slots_of(session, panel)
    assert len(slots) >= len(returns), f"{panel.title} is too short for its agencies"
    for slot, agency_return in zip(slots, returns, strict=False):
        booking.assign(
            session,
            panel=panel,
            partnership=partnership,
            slot_id=slot.id,
            return_id=agency_return.id,
            actor=coordinator,
            base_url=BASE_URL,
        )
    return panel


def _target(session: Session, person: Person, agency_return: AgencyReturn) -> reading.PanelReturn:
    target = reading.panel_return_for(session, person=person, return_id=agency_return.id)
    assert target is not None, f"{person.name} cannot reach a return the demo booked"
    return target


def _score(
    session: Session,
    member: Person,
    agency_return: AgencyReturn,
    ratings: tuple[int, ...],
    *,
    submit: bool,
) -> None:
    """A member's ratings of the first items, with notes; submitted, or left as a draft."""
    target = _target(session, member, agency_return)
    entries = {
        item.key: scoring.ScoreEntry(rating, *NOTES[rating])
        for item, rating in zip(target.items, ratings, strict=False)
    }
    scoring.save_scores(session, target=target, person=member, entries=entries)
    if submit:
        scoring.submit_scores(session, target=target, person=member)


def _agree(
    session: Session, chair: Person, agency_return: AgencyReturn, ratings: tuple[int, ...]
) -> None:
    """The chair's agreed ratings of the first items, in order."""
    target = _target(session, chair, agency_return)
    agreed = {
        item.key: (rating, AGREED_NOTES[rating])
        for item, rating in zip(target.items, ratings, strict=False)
    }
    problems = moderation.agree_ratings(session, target=target, agreed=agreed, actor=chair)
    assert not problems, problems


def _recommend(
    session: Session,
    chair: Person,
    agency_return: AgencyReturn,
    item_index: int,
    draft: recommendations.RecommendationDraft,
) -> None:
    """The chair's recommendation about one scored item, checked as the page checks it."""
    target = _target(session, chair, agency_return)
    draft = replace(draft, item=target.items[item_index].key)
    cycle = target.view.cycle
    errors = recommendations.check_recommendation(
        draft,
        priorities=cycle.priorities,
        themes=cycle.themes,
        items={item.key for item in target.items},
    )
    assert not errors, f"a demo recommendation breaks the rules: {errors}"
    recommendations.add_recommendation(
        session, return_id=agency_return.id, draft=draft, actor=chair
    )


# Growing a round --------------------------------------------------------------------------------

GROWN_STATUSES = [
    ReturnStatus.NOT_STARTED,
    ReturnStatus.NOT_STARTED,
    ReturnStatus.IN_PROGRESS,
    ReturnStatus.IN_PROGRESS,
    ReturnStatus.SUBMITTED,
    ReturnStatus.AT_PANEL,
]
GROWN_SCHOOL_TYPES = [SchoolType.MAINTAINED, SchoolType.ACADEMY, SchoolType.INDEPENDENT]
GROWN_SECTORS = [S.EDUCATION, S.EDUCATION, S.EDUCATION, S.VOLUNTARY, S.HEALTH_PROVIDER, S.OTHER]


def grow_round(
    session: Session,
    *,
    returns: int,
    cycle_slug: str = "s11-2021",
    partnership_slug: str = "norfolk",
) -> int:
    """Add schools to a demo round until it has `returns` returns, in a few bulk statements
    (for benchmarks and query-count tests): each with a lead, a status in turn, one answer
    when started. Returns how many were added."""
    from sqlalchemy import func, insert

    from app.directory.models import PartnershipAgency
    from app.returns.models import Answer

    cycle = session.scalars(select(Cycle).where(Cycle.slug == cycle_slug)).one()
    partnership = session.scalars(
        select(Partnership).where(Partnership.slug == partnership_slug)
    ).one()
    have = session.scalar(
        select(func.count()).select_from(AgencyReturn).where(AgencyReturn.cycle_id == cycle.id)
    )
    grown = session.scalar(
        select(func.count()).select_from(Agency).where(Agency.name.like("Grown School %"))
    )
    new = range(grown or 0, (grown or 0) + returns - (have or 0))
    if not new:
        return 0
    version = session.get(QuestionnaireVersion, cycle.questionnaire_version_id)
    first_question = questionnaire_service.snapshot(version).sections[0].questions[0].id
    agency_ids = session.scalars(
        insert(Agency).returning(Agency.id, sort_by_parameter_order=True),
        [
            {"name": f"Grown School {n:05d}", "sector": GROWN_SECTORS[n % 6], "duty": S11}
            | {
                "school_type": GROWN_SCHOOL_TYPES[n % 3]
                if GROWN_SECTORS[n % 6] is S.EDUCATION
                else None
            }
            for n in new
        ],
    ).all()
    person_ids = session.scalars(
        insert(Person).returning(Person.id, sort_by_parameter_order=True),
        [{"email": f"head{n:05d}@grown.example.org", "name": f"Head {n:05d}"} for n in new],
    ).all()
    session.execute(
        insert(PartnershipAgency),
        [{"partnership_id": partnership.id, "agency_id": a} for a in agency_ids],
    )
    session.execute(
        insert(Membership),
        [
            {"person_id": p, "partnership_id": partnership.id, "role": Role.AGENCY_LEAD}
            | {"agency_id": a}
            for p, a in zip(person_ids, agency_ids, strict=True)
        ],
    )
    statuses = [GROWN_STATUSES[n % len(GROWN_STATUSES)] for n in new]
    submitted = datetime.combine(cycle.opens_on, time(12), tzinfo=UTC)
    return_ids = session.scalars(
        insert(AgencyReturn).returning(AgencyReturn.id, sort_by_parameter_order=True),
        [
            {
                "cycle_id": cycle.id,
                "agency_id": a,
                "questionnaire_version_id": cycle.questionnaire_version_id,
                "status": status,
                "submitted_at": None if status.editable else submitted,
            }
            for a, status in zip(agency_ids, statuses, strict=True)
        ],
    ).all()
    session.execute(
        insert(Answer),
        [
            {"return_id": r, "question_id": first_question, "value": "Grown answer"}
            for r, status in zip(return_ids, statuses, strict=True)
            if status is not ReturnStatus.NOT_STARTED
        ],
    )
    session.flush()
    return len(new)


# Frontline survey responses per agency: enough from some to show their figures, too few from
# others (their figures stay hidden), and how far staff tend to agree (0 to 1).
DEMO_SURVEY_RESPONSES = {
    "Great Yarmouth Borough Council": (12, 0.3),
    "City College Norwich": (8, 0.85),
    "Norwich City Council": (9, 0.75),
    "Norfolk Youth Justice Service": (6, 0.5),
    "Norfolk Constabulary": (11, 0.35),
    "Norfolk County Council Children's Services": (4, 0.8),
    "Norfolk Fire and Rescue Service": (3, 0.6),
    "Break": (2, 0.7),
}
DEMO_SURVEY_TEXT = (
    "Safeguarding supervision is regular and my manager makes time for it.",
    "We need more time to get to know the children we work with.",
    "The safeguarding lead answers quickly when I ring for advice.",
    "Training is online only; I would value face-to-face sessions.",
)


def _survey_answer(question: QuestionBase, questionnaire: Questionnaire, agree: float, n: int):  # type: ignore[no-untyped-def]
    """A plausible answer: agreement more likely the more staff agree; some left blank."""
    kind = getattr(question, "type", "")
    tilt = (n * 37 % 100) / 100  # a fixed spread, so every load of the demo is the same
    if kind == "rating":
        if tilt > 0.95:
            return 0  # don't know
        return 5 if tilt < agree * 0.5 else 4 if tilt < agree else 2 if tilt < 0.9 else 1
    if kind == "yes_no":
        return "yes" if tilt < agree + 0.1 else "no"
    if kind == "single_choice":
        values = [option.value for option in question.options]  # type: ignore[attr-defined]
        return "yes" if "yes" in values and tilt < agree else values[n % len(values)]
    if kind == "long_text":
        return DEMO_SURVEY_TEXT[n % len(DEMO_SURVEY_TEXT)] if n % 3 == 0 else None
    return None


def _this_years_survey(
    session: Session,
    cycle: Cycle,
    norfolk: Partnership,
    version: QuestionnaireVersion,
    coordinator: Person,
) -> None:
    if surveys_service.survey_of(session, cycle=cycle) is not None:
        return
    survey = surveys_service.open_survey(
        session,
        cycle=cycle,
        partnership=norfolk,
        version_id=version.id,
        opens_on=cycle.opens_on,
        closes_on=cycle.deadline_on,
        actor=coordinator,
    )
    questionnaire = surveys_service.questionnaire_of(session, survey)
    for name, (responses, agree) in DEMO_SURVEY_RESPONSES.items():
        agency, _lead = _agency_and_lead(session, name)
        for person_index in range(responses):
            values = {}
            for q_index, (_section, question) in enumerate(questionnaire.questions()):
                value = _survey_answer(question, questionnaire, agree, person_index * 7 + q_index)
                if value is not None:
                    values[question.id] = value
            surveys_service.record_response(
                session,
                survey=survey,
                questionnaire=questionnaire,
                agency_id=agency.id,
                values=survey_answering.kept_values(questionnaire, values, agency=agency),
            )
