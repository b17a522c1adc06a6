"""Retention: closed rounds' evidence files and answer histories go once each partnership's
period has passed; scores, recommendations, actions and the answers themselves stay.

Never deletes anything a coordinator could not have seen listed first (what_retention_deletes),
and applies once however many hosts run it at the same moment (the claim row).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.cycle_models import Cycle, CyclePartnership
from app.db import utcnow
from app.directory.models import Partnership, Person
from app.operations.models import OperationClaim
from app.returns.models import AgencyReturn, Answer, AnswerRevision, EvidenceFile
from app.storage.backends import Storage

DEFAULT_YEARS = 6
MIN_YEARS, MAX_YEARS = 1, 50
CLAIM = "retention"


class RetentionError(ValueError):
    """A retention period s11 will not take, with a sentence saying why."""


@dataclass
class DueCycle:
    """A round whose kept material is past its period, and what deleting it would remove."""

    cycle: Cycle
    ended_on: date
    keep_until: date
    years: int
    files: int = 0
    bytes: int = 0
    revisions: int = 0
    partnership_ids: list[int] = field(default_factory=list)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year that has none
        return day.replace(year=day.year + years, day=28)


def set_retention_years(
    session: Session, *, partnership: Partnership, years: int | None, actor: Person
) -> None:
    if years is None or not MIN_YEARS <= years <= MAX_YEARS:
        raise RetentionError(
            f"Enter a whole number of years from {MIN_YEARS} to {MAX_YEARS}, like 6"
        )
    before = partnership.retention_years
    partnership.retention_years = years
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="retention_period_changed",
        object_type="partnership",
        object_id=partnership.id,
        detail={"from_years": before, "to_years": years},
    )


def what_retention_deletes(
    session: Session, *, today: date, partnership: Partnership | None = None
) -> list[DueCycle]:
    """The rounds the next `s11 retention --apply` would clear (of one partnership, or all):
    those ended (deadline, any extension, last panel day) longer ago than the longest period
    of the partnerships running them, and not cleared before."""
    query = select(Cycle).where(Cycle.retention_applied_at.is_(None)).order_by(Cycle.deadline_on)
    if partnership is not None:
        query = query.where(
            Cycle.id.in_(
                select(CyclePartnership.cycle_id).where(
                    CyclePartnership.partnership_id == partnership.id
                )
            )
        )
    cycles = list(session.scalars(query))
    if not cycles:
        return []
    ids = [cycle.id for cycle in cycles]
    years: dict[int, int] = {}
    partners: dict[int, list[int]] = {}
    for cycle_id, partnership_id, kept in session.execute(
        select(CyclePartnership.cycle_id, Partnership.id, Partnership.retention_years)
        .join(Partnership, Partnership.id == CyclePartnership.partnership_id)
        .where(CyclePartnership.cycle_id.in_(ids))
    ):
        # A joint round is kept as long as its most careful partnership keeps anything.
        years[cycle_id] = max(years.get(cycle_id, 0), kept)
        partners.setdefault(cycle_id, []).append(partnership_id)
    extended = dict(
        session.execute(
            select(AgencyReturn.cycle_id, func.max(AgencyReturn.deadline_extended_to))
            .where(AgencyReturn.cycle_id.in_(ids))
            .group_by(AgencyReturn.cycle_id)
        ).all()
    )
    due: dict[int, DueCycle] = {}
    for cycle in cycles:
        days = (cycle.deadline_on, cycle.panel_ends_on, extended.get(cycle.id))
        ended = max(day for day in days if day)
        kept = years.get(cycle.id, DEFAULT_YEARS)
        keep_until = _years_later(ended, kept)
        if keep_until < today:
            due[cycle.id] = DueCycle(
                cycle, ended, keep_until, kept, partnership_ids=partners.get(cycle.id, [])
            )
    if not due:
        return []
    for cycle_id, files, size in session.execute(
        select(AgencyReturn.cycle_id, func.count(EvidenceFile.id), func.sum(EvidenceFile.size))
        .join(AgencyReturn, AgencyReturn.id == EvidenceFile.return_id)
        .where(AgencyReturn.cycle_id.in_(due))
        .group_by(AgencyReturn.cycle_id)
    ):
        due[cycle_id].files, due[cycle_id].bytes = files, size or 0
    for cycle_id, revisions in session.execute(
        select(AgencyReturn.cycle_id, func.count(AnswerRevision.id))
        .join(Answer, Answer.id == AnswerRevision.answer_id)
        .join(AgencyReturn, AgencyReturn.id == Answer.return_id)
        .where(AgencyReturn.cycle_id.in_(due))
        .group_by(AgencyReturn.cycle_id)
    ):
        due[cycle_id].revisions = revisions
    return list(due.values())


@dataclass
class Applied:
    cycles: list[DueCycle]
    stored_names: list[str]  # files to delete from storage once the transaction has committed


def claim(session: Session, name: str) -> None:
    """Lock the job's claim row until the transaction ends: a second host running the same job
    waits here, then sees what the first committed (PostgreSQL's row lock; on SQLite the
    database's one write lock)."""
    holder = f"{socket.gethostname()}:{os.getpid()}"[:200]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(OperationClaim).values(name=name).on_conflict_do_nothing(index_elements=["name"])
    )
    session.execute(
        update(OperationClaim)
        .where(OperationClaim.name == name)
        .values(claimed_at=utcnow(), claimed_by=holder)
    )


def apply_retention(session: Session, *, today: date) -> Applied:
    """Delete the due rounds' evidence rows and revision text, mark them cleared and audit it;
    the caller commits, then deletes the files (delete_files), so a failed commit loses none."""
    claim(session, CLAIM)
    due = what_retention_deletes(session, today=today)
    names: list[str] = []
    for item in due:
        returns = select(AgencyReturn.id).where(AgencyReturn.cycle_id == item.cycle.id)
        names += session.scalars(
            select(EvidenceFile.stored_name).where(EvidenceFile.return_id.in_(returns))
        )
        session.execute(
            delete(EvidenceFile)
            .where(EvidenceFile.return_id.in_(returns))
            .execution_options(synchronize_session=False)
        )
        answers = select(Answer.id).where(Answer.return_id.in_(returns))
        session.execute(
            update(AnswerRevision)
            .where(AnswerRevision.answer_id.in_(answers))
            .values(old_value=null(), new_value=null())
            .execution_options(synchronize_session=False)
        )
        item.cycle.retention_applied_at = utcnow()
        audit_service.record_event(
            session,
            actor=None,
            action="retention_applied",
            object_type="cycle",
            object_id=item.cycle.id,
            detail={
                "cycle": item.cycle.slug,
                "ended_on": item.ended_on.isoformat(),
                "years": item.years,
                "files_deleted": item.files,
                "bytes_deleted": item.bytes,
                "revisions_cleared": item.revisions,
            },
        )
    session.flush()
    return Applied(due, names)


def delete_files(storage: Storage, stored_names: list[str]) -> None:
    """The files of rows already deleted; a store that stops answering leaves the rest as
    orphans (nothing names them any more), never a row without its file."""
    for name in stored_names:
        storage.delete(name)
