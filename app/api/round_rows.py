"""The round's own rows: the cycles a partnership takes part in, its agencies, and their returns
with status, dates, sign-off and deadline (never what a return says: that is not in the feed).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api import sources
from app.api.rows import (
    DAY,
    MOMENT,
    NUMBER,
    TEXT,
    YES_NO,
    Key,
    Row,
    Scope,
    after_key,
    fields_of,
    own_cycles,
    returns_in,
    stream,
    utc,
)
from app.cycle_models import Cycle, CyclePartnership
from app.directory.models import Agency, PartnershipAgency, SchoolPhase, SchoolType
from app.questionnaires.models import QuestionnaireVersion
from app.returns.models import AgencyReturn

# Cycles ------------------------------------------------------------------------------------

CYCLE_FIELDS = fields_of(
    ("id", NUMBER),
    ("slug", TEXT),
    ("name", TEXT),
    ("opens_on", DAY),
    ("deadline_on", DAY),
    ("panel_starts_on", DAY),
    ("panel_ends_on", DAY),
    ("senior_sign_off_required", YES_NO),
    ("joint", YES_NO),
    ("questionnaire", TEXT),
    ("questionnaire_version", TEXT),
)


def cycles(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
    partners = (
        select(func.count())
        .where(CyclePartnership.cycle_id == Cycle.id)
        .correlate(Cycle)
        .scalar_subquery()
    )
    query = (
        select(Cycle, QuestionnaireVersion.questionnaire_id, QuestionnaireVersion.version, partners)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Cycle.questionnaire_version_id)
        .where(Cycle.id.in_(own_cycles(scope)), after_key(Cycle.id, after))
        .order_by(Cycle.id)
    )
    for cycle, questionnaire, version, partnerships in stream(session, query):
        yield (
            (cycle.id,),
            {
                "id": cycle.id,
                "slug": cycle.slug,
                "name": cycle.name,
                "opens_on": cycle.opens_on,
                "deadline_on": cycle.deadline_on,
                "panel_starts_on": cycle.panel_starts_on,
                "panel_ends_on": cycle.panel_ends_on,
                "senior_sign_off_required": cycle.senior_sign_off_required,
                "joint": partnerships > 1,
                "questionnaire": questionnaire,
                "questionnaire_version": version,
            },
        )


# Agencies ----------------------------------------------------------------------------------

AGENCY_FIELDS = fields_of(
    ("id", NUMBER),
    ("name", TEXT),
    ("sector", TEXT),
    ("sector_label", TEXT),
    ("duty", TEXT),
    ("duty_label", TEXT),
    ("school_or_early_years", YES_NO),
    ("school_type", TEXT),
    ("school_type_label", TEXT),
    ("school_phase", TEXT),
    ("school_phase_label", TEXT),
    ("school_body", TEXT),
    ("urn", TEXT),
    ("archived", YES_NO),
)
SCHOOLS = ("education", "early_years")


def school_of(
    school_type: SchoolType | None,
    school_phase: SchoolPhase | None,
    school_body: str | None,
    urn: str | None,
) -> Row:
    """A school's type, phase, local authority or trust and URN; empty for other agencies."""
    return {
        "school_type": school_type.value if school_type else None,
        "school_type_label": school_type.label if school_type else None,
        "school_phase": school_phase.value if school_phase else None,
        "school_phase_label": school_phase.label if school_phase else None,
        "school_body": school_body,
        "urn": urn,
    }


def agencies(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
    query = (
        select(Agency, PartnershipAgency.archived_at)
        .join(PartnershipAgency, PartnershipAgency.agency_id == Agency.id)
        .where(
            PartnershipAgency.partnership_id == scope.partnership_id, after_key(Agency.id, after)
        )
        .order_by(Agency.id)
    )
    if scope.cycle_id is not None:
        query = query.where(
            Agency.id.in_(
                select(AgencyReturn.agency_id).where(AgencyReturn.cycle_id == scope.cycle_id)
            )
        )
    for agency, archived_at in stream(session, query):
        yield (
            (agency.id,),
            {
                "id": agency.id,
                "name": agency.name,
                "sector": agency.sector.value,
                "sector_label": agency.sector.label,
                "duty": agency.duty.value,
                "duty_label": agency.duty.label,
                "school_or_early_years": agency.sector.value in SCHOOLS,
                **school_of(
                    agency.school_type, agency.school_phase, agency.school_body, agency.urn
                ),
                "archived": archived_at is not None,
            },
        )


# Returns -----------------------------------------------------------------------------------

RETURN_FIELDS = fields_of(
    ("id", NUMBER),
    ("cycle_id", NUMBER),
    ("cycle_slug", TEXT),
    ("agency_id", NUMBER),
    ("agency_name", TEXT),
    ("sector", TEXT),
    ("school_type", TEXT),
    ("school_type_label", TEXT),
    ("school_phase", TEXT),
    ("school_phase_label", TEXT),
    ("school_body", TEXT),
    ("urn", TEXT),
    ("status", TEXT),
    ("status_label", TEXT),
    ("received", YES_NO),
    ("invited_at", MOMENT),
    ("submitted_at", MOMENT),
    ("signed_off_at", MOMENT),
    ("signed_off_name", TEXT),
    ("signed_off_role", TEXT),
    ("deadline_on", DAY),
    ("deadline_extended", YES_NO),
)


def returns(session: Session, scope: Scope, after: Key | None) -> Iterator[tuple[Key, Row]]:
    query = (
        select(
            AgencyReturn.id,
            AgencyReturn.cycle_id,
            Cycle.slug,
            AgencyReturn.agency_id,
            Agency.name,
            Agency.sector,
            AgencyReturn.status,
            AgencyReturn.invited_at,
            AgencyReturn.submitted_at,
            AgencyReturn.signed_off_at,
            AgencyReturn.signed_off_name,
            AgencyReturn.signed_off_role,
            Cycle.deadline_on,
            AgencyReturn.deadline_extended_to,
            Agency.school_type,
            Agency.school_phase,
            Agency.school_body,
            Agency.urn,
        )
        .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(returns_in(scope), after_key(AgencyReturn.id, after))
        .order_by(AgencyReturn.id)
    )
    received = set(sources.RECEIVED)
    for row in stream(session, query):
        (rid, cycle_id, slug, agency_id, agency, sector, status, invited, submitted) = row[:9]
        signed_at, signed_name, signed_role, deadline, extended = row[9:14]
        yield (
            (rid,),
            {
                "id": rid,
                "cycle_id": cycle_id,
                "cycle_slug": slug,
                "agency_id": agency_id,
                "agency_name": agency,
                "sector": sector.value,
                **school_of(*row[14:]),
                "status": status.value,
                "status_label": status.label,
                "received": status in received,
                "invited_at": utc(invited),
                "submitted_at": utc(submitted),
                "signed_off_at": utc(signed_at),
                "signed_off_name": signed_name,
                "signed_off_role": signed_role,
                "deadline_on": extended or deadline,
                "deadline_extended": extended is not None,
            },
        )
