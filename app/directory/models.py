"""Tables for partnerships, agencies, people and the memberships that give people roles.

An agency is one row however many partnerships it answers to; the link table says which.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow


def _enum_column(enum: type[StrEnum], length: int = 40) -> Enum:
    # Stored as plain strings so adding a value never needs a PostgreSQL ALTER TYPE.
    return Enum(
        enum,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class AgencySector(StrEnum):
    CHILDRENS_SERVICES = "childrens_services"
    POLICE = "police"
    HEALTH_PROVIDER = "health_provider"
    HEALTH_COMMISSIONER = "health_commissioner"
    EDUCATION = "education"
    EARLY_YEARS = "early_years"
    DISTRICT_COUNCIL = "district_council"
    VOLUNTARY = "voluntary"
    PROBATION = "probation"
    YOUTH_JUSTICE = "youth_justice"
    HOUSING = "housing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return SECTOR_LABELS[self]


SECTOR_LABELS = {
    AgencySector.CHILDRENS_SERVICES: "Local authority children's services",
    AgencySector.POLICE: "Police",
    AgencySector.HEALTH_PROVIDER: "Health provider",
    AgencySector.HEALTH_COMMISSIONER: "Health commissioner / ICB",
    AgencySector.EDUCATION: "Education",
    AgencySector.EARLY_YEARS: "Early years",
    AgencySector.DISTRICT_COUNCIL: "District council",
    AgencySector.VOLUNTARY: "Voluntary, community and faith",
    AgencySector.PROBATION: "Probation",
    AgencySector.YOUTH_JUSTICE: "Youth justice",
    AgencySector.HOUSING: "Housing",
    AgencySector.OTHER: "Other",
}


class AgencyDuty(StrEnum):
    """Whether Section 11 binds the agency, or it signs up to equivalent standards."""

    SECTION_11 = "section_11"
    EQUIVALENT_STANDARDS = "equivalent_standards"

    @property
    def label(self) -> str:
        if self is AgencyDuty.SECTION_11:
            return "Section 11 duty applies"
        return "Signs up to equivalent standards"


class SchoolType(StrEnum):
    """The kinds of school and college an education safeguarding audit turns on."""

    MAINTAINED = "maintained"
    ACADEMY = "academy"
    FREE_SCHOOL = "free_school"
    INDEPENDENT = "independent"
    SPECIAL = "special"
    ALTERNATIVE_PROVISION = "alternative_provision"
    FURTHER_EDUCATION = "further_education"
    EARLY_YEARS = "early_years"

    @property
    def label(self) -> str:
        return SCHOOL_TYPE_LABELS[self]


SCHOOL_TYPE_LABELS = {
    SchoolType.MAINTAINED: "Maintained school",
    SchoolType.ACADEMY: "Academy",
    SchoolType.FREE_SCHOOL: "Free school",
    SchoolType.INDEPENDENT: "Independent school (section 157)",
    SchoolType.SPECIAL: "Special school",
    SchoolType.ALTERNATIVE_PROVISION: "Alternative provision",
    SchoolType.FURTHER_EDUCATION: "Further education college",
    SchoolType.EARLY_YEARS: "Early years setting",
}


class SchoolPhase(StrEnum):
    NURSERY = "nursery"
    PRIMARY = "primary"
    MIDDLE = "middle"
    SECONDARY = "secondary"
    ALL_THROUGH = "all_through"
    SIXTEEN_PLUS = "16_plus"

    @property
    def label(self) -> str:
        return SCHOOL_PHASE_LABELS[self]


SCHOOL_PHASE_LABELS = {
    SchoolPhase.NURSERY: "Nursery",
    SchoolPhase.PRIMARY: "Primary",
    SchoolPhase.MIDDLE: "Middle",
    SchoolPhase.SECONDARY: "Secondary",
    SchoolPhase.ALL_THROUGH: "All-through",
    SchoolPhase.SIXTEEN_PLUS: "16 plus",
}


class BoardKind(StrEnum):
    """What a partnership is: the words on its pages, emails and exports follow it."""

    CHILDREN = "children"
    ADULTS = "adults"

    @property
    def label(self) -> str:
        if self is BoardKind.CHILDREN:
            return "Children's safeguarding partnership"
        return "Safeguarding adults board"


class Role(StrEnum):
    COORDINATOR = "coordinator"
    AGENCY_LEAD = "agency_lead"
    CONTRIBUTOR = "contributor"
    PANEL_MEMBER = "panel_member"
    CHAIR = "chair"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def belongs_to_agency(self) -> bool:
        return self in AGENCY_ROLES


AGENCY_ROLES = frozenset({Role.AGENCY_LEAD, Role.CONTRIBUTOR})


def role_column() -> Enum:
    return _enum_column(Role, length=20)


def sector_column() -> Enum:
    return _enum_column(AgencySector)


class Partnership(Base):
    __tablename__ = "partnership"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(40))
    colour: Mapped[str] = mapped_column(String(7), default="#28313b")
    kind: Mapped[BoardKind] = mapped_column(
        _enum_column(BoardKind, length=20), default=BoardKind.CHILDREN, server_default="children"
    )
    # At most 200 KB, checked as PNG or JPEG by content: kept in the database so every app
    # host serves the same header without shared storage.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Archived: kept and restorable, read-only for everyone.
    archived_at: Mapped[datetime | None]
    # The frontline survey's k: no figure for a group of fewer responses is shown.
    survey_threshold: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    # Closed cycles' evidence files and answer histories are kept this long, then deleted
    # by `s11 retention --apply`; six years is the usual schedule for safeguarding audit records.
    retention_years: Mapped[int] = mapped_column(Integer, default=6, server_default="6")

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    __table_args__ = (
        CheckConstraint("length(colour) = 7", name="colour_is_hex"),
        CheckConstraint("survey_threshold >= 5", name="survey_threshold_at_least_5"),
    )


class Agency(Base):
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    sector: Mapped[AgencySector] = mapped_column(sector_column())
    duty: Mapped[AgencyDuty] = mapped_column(_enum_column(AgencyDuty))
    # Schools and colleges only; every other agency leaves these empty.
    school_type: Mapped[SchoolType | None] = mapped_column(_enum_column(SchoolType), index=True)
    school_phase: Mapped[SchoolPhase | None] = mapped_column(_enum_column(SchoolPhase, length=20))
    # The maintaining local authority, or the academy trust, or the proprietor.
    school_body: Mapped[str | None] = mapped_column(String(200))
    # The DfE unique reference number: six digits, checked by the service and here.
    urn: Mapped[str | None] = mapped_column(String(6), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("urn IS NULL OR length(urn) = 6", name="urn_is_six_digits"),)


class PartnershipAgency(Base):
    """An agency working with a partnership: the same agency may link to several."""

    __tablename__ = "partnership_agency"

    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Archived in this partnership's directory: kept for past rounds, offered to no new cycle.
    archived_at: Mapped[datetime | None]


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased by the service, so one address is one person.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person",
        lazy="raise",
        order_by="Membership.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Membership(Base):
    """A person's role in a partnership; agency roles also name the agency."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(role_column())
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="memberships", lazy="raise")
    partnership: Mapped[Partnership] = relationship(lazy="raise")
    agency: Mapped[Agency | None] = relationship(lazy="raise")

    __table_args__ = (
        UniqueConstraint("person_id", "partnership_id", "role", "agency_id"),
        CheckConstraint(
            "(agency_id IS NOT NULL) = (role IN ('agency_lead', 'contributor'))",
            name="agency_roles_name_an_agency",
        ),
    )
