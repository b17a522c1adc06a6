"""Setting up a round: a cycle's details and questionnaires, the partnerships taking part, the
returns opened in it, and finding cycles and returns. Flushes, never commits; opening returns
is idempotent (one return per agency)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.cycle_models import (
    DEFAULT_REMINDER_DAYS,
    NORFOLK_PRIORITIES,
    NORFOLK_THEMES,
    Cycle,
    CyclePartnership,
    CycleSectorQuestionnaire,
)
from app.directory import service as directory_service
from app.directory.models import (
    Agency,
    AgencySector,
    BoardKind,
    Partnership,
    PartnershipAgency,
    Person,
    Role,
)
from app.directory.terms import terms_for
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.returns.models import AgencyReturn, ReturnStatus


class CycleError(ValueError):
    """A cycle that cannot be set up or changed so, with a message for the page."""


@dataclass
class CycleDetails:
    """What the cycle form says; checked by `check_details` before anything is saved."""

    name: str
    slug: str
    questionnaire_version_id: int | None
    opens_on: date | None
    deadline_on: date | None
    panel_starts_on: date | None = None
    panel_ends_on: date | None = None
    senior_sign_off_required: bool = False
    priorities: list[str] = field(default_factory=lambda: list(NORFOLK_PRIORITIES))
    themes: list[str] = field(default_factory=lambda: list(NORFOLK_THEMES))
    reminder_days: list[int] = field(default_factory=lambda: list(DEFAULT_REMINDER_DAYS))
    guidance: str = ""
    sector_versions: dict[AgencySector, int] = field(default_factory=dict)
    joint_partnership_ids: list[int] = field(default_factory=list)


def blank_details() -> CycleDetails:
    """A new cycle's form: Norfolk's priorities, themes and reminder days to start from."""
    return CycleDetails(
        name="", slug="", questionnaire_version_id=None, opens_on=None, deadline_on=None
    )


def details_of(session: Session, cycle: Cycle) -> CycleDetails:
    """A cycle as its form shows it."""
    return CycleDetails(
        name=cycle.name,
        slug=cycle.slug,
        questionnaire_version_id=cycle.questionnaire_version_id,
        opens_on=cycle.opens_on,
        deadline_on=cycle.deadline_on,
        panel_starts_on=cycle.panel_starts_on,
        panel_ends_on=cycle.panel_ends_on,
        senior_sign_off_required=cycle.senior_sign_off_required,
        priorities=list(cycle.priorities),
        themes=list(cycle.themes),
        reminder_days=list(cycle.reminder_days),
        guidance=cycle.guidance,
        sector_versions=sector_versions(session, cycle),
        joint_partnership_ids=partnership_ids_of(session, cycle),
    )


def check_details(
    session: Session,
    details: CycleDetails,
    *,
    cycle: Cycle | None = None,
    partnership: Partnership | None = None,
) -> dict[str, str]:
    """Problems with the form, by field; empty when it can be saved. Given the partnership,
    only questionnaires it may see (its own and the shared library's) are accepted."""
    errors: dict[str, str] = {}
    if not details.name.strip():
        errors["name"] = "Enter a name for the cycle, like Section 11 2021"
    taken = session.scalar(select(Cycle.id).where(Cycle.slug == details.slug))
    if not details.slug:
        errors["slug"] = "Enter a short name for links, like s11-2021"
    elif taken is not None and (cycle is None or taken != cycle.id):
        errors["slug"] = f"Another cycle already uses {details.slug}: choose another"
    versions = [details.questionnaire_version_id, *details.sector_versions.values()]
    if details.questionnaire_version_id is None:
        errors["questionnaire_version_id"] = "Select the questionnaire agencies will answer"
    elif any(
        (found := session.get(QuestionnaireVersion, v)) is None
        or (partnership is not None and found.partnership_id not in (None, partnership.id))
        for v in versions
        if v is not None
    ):
        errors["questionnaire_version_id"] = "Select a published questionnaire"
    elif partnership is not None and (
        other := next(
            (
                found
                for v in versions
                if v is not None
                and (found := session.get(QuestionnaireVersion, v)) is not None
                and found.board != partnership.kind.value
            ),
            None,
        )
    ):
        errors["questionnaire_version_id"] = (
            f"{other.title} is for a {terms_for(BoardKind(other.board)).board}: select one "
            f"for a {terms_for(partnership).board}"
        )
    if details.opens_on is None:
        errors["opens_on"] = "Enter the date the cycle opens, like 1 9 2021"
    if details.deadline_on is None:
        errors["deadline_on"] = "Enter the submission deadline, like 30 11 2021"
    elif details.opens_on and details.deadline_on <= details.opens_on:
        errors["deadline_on"] = "The deadline must be after the date the cycle opens"
    if (
        details.panel_starts_on
        and details.deadline_on
        and details.panel_starts_on < details.deadline_on
    ):
        errors["panel_starts_on"] = "Panels start on or after the submission deadline"
    if (
        details.panel_starts_on
        and details.panel_ends_on
        and details.panel_ends_on < details.panel_starts_on
    ):
        errors["panel_ends_on"] = "The panel window must end on or after the day it starts"
    if any(day < 0 or day > 120 for day in details.reminder_days):
        errors["reminder_days"] = "Give reminder days as whole numbers from 0 to 120, like 14, 7, 1"
    if cycle is not None and is_open(cycle) and _versions_changed(session, cycle, details):
        errors["questionnaire_version_id"] = (
            "The questionnaire is frozen: this cycle opened on "
            f"{cycle.opens_on:%-d %B %Y}, so agencies may already be answering it"
        )
    return errors


def _versions_changed(session: Session, cycle: Cycle, details: CycleDetails) -> bool:
    return details.questionnaire_version_id != cycle.questionnaire_version_id or (
        details.sector_versions != sector_versions(session, cycle)
    )


def is_open(cycle: Cycle, today: date | None = None) -> bool:
    return cycle.opens_on <= (today or date.today())


def save_cycle(
    session: Session,
    *,
    partnership: Partnership,
    details: CycleDetails,
    actor: Person,
    cycle: Cycle | None = None,
) -> Cycle:
    """Create a cycle for the partnership, or change one; `check_details` must pass first."""
    errors = check_details(session, details, cycle=cycle, partnership=partnership)
    if errors:
        raise CycleError(next(iter(errors.values())))
    created = cycle is None
    if cycle is None:
        cycle = Cycle()
        session.add(cycle)
    for name in (
        "name", "slug", "questionnaire_version_id", "opens_on", "deadline_on", "panel_starts_on",
        "panel_ends_on", "senior_sign_off_required", "priorities", "themes", "reminder_days",
        "guidance",
    ):  # fmt: skip
        setattr(cycle, name, getattr(details, name))
    cycle.name = cycle.name.strip()
    session.flush()
    current = {row.sector: row for row in _sector_rows(session, cycle)}
    for sector, row in current.items():
        if sector not in details.sector_versions:
            session.delete(row)
    for sector, version_id in details.sector_versions.items():
        if sector in current:
            current[sector].questionnaire_version_id = version_id
        else:
            session.add(
                CycleSectorQuestionnaire(
                    cycle_id=cycle.id, sector=sector, questionnaire_version_id=version_id
                )
            )
    wanted = {partnership.id, *details.joint_partnership_ids}
    have = set(partnership_ids_of(session, cycle))
    for partnership_id in wanted - have:
        session.add(CyclePartnership(cycle_id=cycle.id, partnership_id=partnership_id))
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="cycle_created" if created else "cycle_changed",
        object_type="cycle",
        object_id=cycle.id,
        detail={"slug": cycle.slug, "partnerships": sorted(wanted | have)},
    )
    return cycle


def _sector_rows(session: Session, cycle: Cycle) -> list[CycleSectorQuestionnaire]:
    return list(
        session.scalars(
            select(CycleSectorQuestionnaire).where(CycleSectorQuestionnaire.cycle_id == cycle.id)
        )
    )


def sector_versions(session: Session, cycle: Cycle) -> dict[AgencySector, int]:
    return {row.sector: row.questionnaire_version_id for row in _sector_rows(session, cycle)}


def partnership_ids_of(session: Session, cycle: Cycle) -> list[int]:
    return list(
        session.scalars(
            select(CyclePartnership.partnership_id).where(CyclePartnership.cycle_id == cycle.id)
        )
    )


def ensure_cycle(
    session: Session,
    *,
    slug: str,
    name: str,
    version: QuestionnaireVersion,
    partnerships: list[Partnership],
    opens_on: date,
    deadline_on: date,
    senior_sign_off_required: bool = False,
    **more: Any,
) -> Cycle:
    """The cycle with this slug, made if missing (demo data and tests)."""
    cycle = session.scalar(select(Cycle).where(Cycle.slug == slug))
    if cycle is None:
        cycle = Cycle(
            slug=slug,
            name=name,
            questionnaire_version_id=version.id,
            opens_on=opens_on,
            deadline_on=deadline_on,
            senior_sign_off_required=senior_sign_off_required,
            priorities=list(more.pop("priorities", NORFOLK_PRIORITIES)),
            themes=list(more.pop("themes", NORFOLK_THEMES)),
            reminder_days=list(more.pop("reminder_days", DEFAULT_REMINDER_DAYS)),
            **more,
        )
        session.add(cycle)
        session.flush()
    for partnership in partnerships:
        if session.get(CyclePartnership, (cycle.id, partnership.id)) is None:
            session.add(CyclePartnership(cycle_id=cycle.id, partnership_id=partnership.id))
    session.flush()
    return cycle


def open_returns(session: Session, *, cycle: Cycle, agencies: list[Agency]) -> list[AgencyReturn]:
    """A return for each agency, on the cycle's questionnaire or its sector's."""
    existing = {
        r.agency_id: r
        for r in session.scalars(select(AgencyReturn).where(AgencyReturn.cycle_id == cycle.id))
    }
    by_sector = sector_versions(session, cycle)
    for agency in agencies:
        if agency.id not in existing:
            existing[agency.id] = AgencyReturn(
                cycle_id=cycle.id,
                agency_id=agency.id,
                questionnaire_version_id=by_sector.get(
                    agency.sector, cycle.questionnaire_version_id
                ),
            )
            session.add(existing[agency.id])
    session.flush()
    return [existing[agency.id] for agency in agencies]


def agency_ids_in(session: Session, *, cycle: Cycle) -> set[int]:
    """The agencies with a return in the cycle."""
    return set(
        session.scalars(select(AgencyReturn.agency_id).where(AgencyReturn.cycle_id == cycle.id))
    )


def bring_from_directory(
    session: Session,
    *,
    cycle: Cycle,
    partnership: Partnership,
    agency_ids: set[int],
    actor: Person,
) -> int:
    """Open a return in the cycle for each chosen agency of the partnership's directory (those
    archived or of another partnership are not offered, and never taken); how many were new."""
    agencies = [
        agency
        for agency in directory_service.agencies_of(session, partnership=partnership)
        if agency.id in agency_ids
    ]
    if not agencies:
        raise CycleError("Select at least one agency from your directory")
    before = agency_ids_in(session, cycle=cycle)
    open_returns(session, cycle=cycle, agencies=agencies)
    audit_service.record_event(
        session,
        actor=actor,
        action="agencies_brought_into_cycle",
        object_type="cycle",
        object_id=cycle.id,
        detail={"partnership_id": partnership.id, "agencies": sorted(a.id for a in agencies)},
    )
    return len({agency.id for agency in agencies} - before)


def coordinates(person: Person, partnership: Partnership | None) -> bool:
    """Whether the person runs rounds in this partnership: a coordinator there, whatever else
    they are (a site administrator without the role does not)."""
    if partnership is None:
        return False
    return any(
        m.role is Role.COORDINATOR and m.partnership_id == partnership.id
        for m in person.memberships
    )


def cycle_choices(
    session: Session, *, partnership: Partnership
) -> tuple[list[QuestionnaireVersion], list[Partnership]]:
    """What the cycle form offers: published agency questionnaires, and the partnerships a
    cycle may be run jointly with."""
    versions = session.scalars(
        select(QuestionnaireVersion)
        .where(
            QuestionnaireVersion.audience == "agency_return",
            QuestionnaireVersion.board == partnership.kind.value,
            questionnaire_service.visible_to(partnership.id),
        )
        .order_by(QuestionnaireVersion.title, QuestionnaireVersion.published_at.desc())
    )
    others = session.scalars(
        select(Partnership)
        .where(Partnership.id != partnership.id, Partnership.archived_at.is_(None))
        .order_by(Partnership.name)
    )
    return list(versions), list(others)


def cycles_of(session: Session, *, partnership: Partnership) -> list[Cycle]:
    """The cycles this partnership takes part in, newest deadline first."""
    return list(
        session.scalars(
            select(Cycle)
            .join(CyclePartnership, CyclePartnership.cycle_id == Cycle.id)
            .where(CyclePartnership.partnership_id == partnership.id)
            .order_by(Cycle.deadline_on.desc())
        )
    )


def _running(today: date) -> Any:
    """A cycle still running: its deadline ahead, or a return in it not yet closed."""
    return (Cycle.deadline_on >= today) | Cycle.id.in_(
        select(AgencyReturn.cycle_id).where(AgencyReturn.status != ReturnStatus.CLOSED)
    )


def open_cycles_of(
    session: Session, *, partnership: Partnership, today: date | None = None
) -> list[Cycle]:
    return list(
        session.scalars(
            select(Cycle)
            .join(CyclePartnership, CyclePartnership.cycle_id == Cycle.id)
            .where(
                CyclePartnership.partnership_id == partnership.id,
                _running(today or date.today()),
            )
            .order_by(Cycle.deadline_on)
        )
    )


def open_cycle_counts(session: Session, *, today: date | None = None) -> dict[int, int]:
    """How many cycles are running in each partnership, in one statement."""
    return dict(
        session.execute(
            select(CyclePartnership.partnership_id, func.count())
            .join(Cycle, Cycle.id == CyclePartnership.cycle_id)
            .where(_running(today or date.today()))
            .group_by(CyclePartnership.partnership_id)
        ).all()
    )


def cycle_for(session: Session, *, partnership: Partnership, slug: str) -> Cycle | None:
    """A cycle by slug, if this partnership takes part in it; another's does not exist."""
    return session.scalar(
        select(Cycle)
        .join(CyclePartnership, CyclePartnership.cycle_id == Cycle.id)
        .where(CyclePartnership.partnership_id == partnership.id, Cycle.slug == slug)
    )


def own_agencies(partnership: Partnership) -> Any:
    return select(PartnershipAgency.agency_id).where(
        PartnershipAgency.partnership_id == partnership.id
    )


def return_in_round(
    session: Session, *, partnership: Partnership, return_id: int
) -> tuple[AgencyReturn, Cycle, Agency] | None:
    """One return, if its cycle and agency are this partnership's; any other finds nothing."""
    row = session.execute(
        select(AgencyReturn, Cycle, Agency)
        .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .join(CyclePartnership, CyclePartnership.cycle_id == Cycle.id)
        .where(
            CyclePartnership.partnership_id == partnership.id,
            AgencyReturn.id == return_id,
            Agency.id.in_(own_agencies(partnership)),
        )
    ).first()
    return tuple(row) if row else None  # type: ignore[return-value]
