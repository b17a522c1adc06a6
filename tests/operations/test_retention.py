"""Retention of closed rounds as a coordinator and an operator meet it: the period set on a
set-up page, what the next run deletes listed first, and `s11 retention --apply` deleting
evidence files and answer histories once, however many hosts run it at the same moment."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.actions.models import Action, Recommendation
from app.audit.models import AuditEvent
from app.cycle_models import Cycle, CyclePartnership
from app.db import make_engine
from app.directory import service as directory_service
from app.directory.models import AgencyDuty, AgencySector, Partnership, Role
from app.operations import retention
from app.operations.models import OperationClaim
from app.panels.models import AgreedRating
from app.questionnaires import service as questionnaire_service
from app.returns import evidence
from app.returns.models import AgencyReturn, Answer, AnswerRevision, EvidenceFile, ReturnStatus
from app.storage.backends import LocalStorage, storage_for
from tests.conftest import (
    SMALL_PDF,
    attach_pdf,
    lead_of,
    migrate_to,
    person_by_email,
    sign_in,
)
from tests.test_config import PROJECT_ROOT, run_s11

COORDINATOR = "coordinator@nscp.example.org"


def last_years_return_with_evidence(db, settings) -> tuple[AgencyReturn, int]:
    """The demo's s11-2020 return of Norfolk Fire and Rescue Service, given a file of evidence
    (attached while it was being written, as evidence is)."""
    from app.directory.models import Agency

    agency_return = db.scalars(
        select(AgencyReturn)
        .join(Cycle)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(Cycle.slug == "s11-2020", Agency.name == "Norfolk Fire and Rescue Service")
    ).one()
    status = agency_return.status
    agency_return.status = ReturnStatus.IN_PROGRESS
    file_id = attach_pdf(
        db, settings, lead_of(db, "Norfolk Fire and Rescue Service"), agency_return.id
    )
    agency_return.status = status
    db.flush()
    return agency_return, file_id


def revisions_with_text(db, cycle_slug: str) -> int:
    return db.scalar(
        select(func.count(AnswerRevision.id))
        .join(Answer, Answer.id == AnswerRevision.answer_id)
        .join(AgencyReturn, AgencyReturn.id == Answer.return_id)
        .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
        .where(Cycle.slug == cycle_slug, AnswerRevision.new_value.is_not(None))
    )


def test_retention_deletes_last_rounds_evidence_and_histories_after_six_years_and_keeps_scores(
    db, demo, settings
):
    agency_return, file_id = last_years_return_with_evidence(db, settings)
    stored = db.get(EvidenceFile, file_id).stored_name
    last_year = db.get(Cycle, agency_return.cycle_id)
    ended = max(day for day in (last_year.deadline_on, last_year.panel_ends_on) if day)
    kept = {
        model: db.scalar(select(func.count()).select_from(model))
        for model in (Answer, AgreedRating, Recommendation, Action)
    }
    assert revisions_with_text(db, "s11-2020") > 0

    on_the_last_day = ended.replace(year=ended.year + 6)
    assert retention.what_retention_deletes(db, today=on_the_last_day) == []
    [due] = retention.what_retention_deletes(db, today=on_the_last_day + timedelta(days=1))
    assert due.cycle.slug == "s11-2020" and due.files == 1 and due.revisions > 0

    applied = retention.apply_retention(db, today=on_the_last_day + timedelta(days=1))
    storage = storage_for(settings)
    retention.delete_files(storage, applied.stored_names)
    assert applied.stored_names == [stored]
    assert stored not in set(storage.names())
    assert db.get(EvidenceFile, file_id) is None
    assert revisions_with_text(db, "s11-2020") == 0
    assert revisions_with_text(db, "s11-2021") > 0, "this year's round is not touched"
    for model, count in kept.items():
        assert db.scalar(select(func.count()).select_from(model)) == count, model
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "retention_applied")).one()
    assert event.detail["files_deleted"] == 1 and event.detail["cycle"] == "s11-2020"
    # Run again: nothing left to do, and nothing more in the audit log.
    assert retention.apply_retention(db, today=on_the_last_day + timedelta(days=2)).cycles == []


def test_coordinator_sets_the_retention_period_and_sees_what_the_next_run_deletes(
    client, db, demo, settings
):
    last_years_return_with_evidence(db, settings)
    coordinator = person_by_email(db, COORDINATOR)
    sign_in(client, coordinator)
    page = client.page("/retention")
    assert "Nothing: no closed round" in page.get_text()  # s11-2020 ended a year ago

    token = client.csrf_token("/retention")
    for typed in ("0", "²", "six", "1000"):
        refused = client.post("/retention", data={"csrf_token": token, "years": typed})
        assert refused.status_code == 400 and "from 1 to 50" in refused.text, typed
    saved = client.post("/retention", data={"csrf_token": token, "years": "1"})
    assert saved.status_code == 200 and "The retention period is saved" in saved.text
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    assert norfolk.retention_years == 1
    # The demo's last round ended 320 days ago: kept for one year, it is not due yet.
    assert "Nothing: no closed round" in client.page("/retention").get_text()
    last_year = db.scalars(select(Cycle).where(Cycle.slug == "s11-2020")).one()
    last_year.deadline_on -= timedelta(days=365)
    db.flush()
    listed = client.page("/retention").get_text()
    assert last_year.name in listed and "Evidence files" in listed
    assert db.scalars(
        select(AuditEvent).where(AuditEvent.action == "retention_period_changed")
    ).one().detail == {"from_years": 6, "to_years": 1}


def _round_past_its_period(session: Session, uploads) -> str:
    """An installation with one round that ended seven years ago: one return, one answer
    changed once, and one evidence file on disk. Returns the file's stored name."""
    path = PROJECT_ROOT / "tests" / "fixtures" / "every-type.yaml"
    version, _ = questionnaire_service.publish_file(session, path=path, actor=None)
    partnership = directory_service.ensure_partnership(
        session, slug="old", name="Old Partnership", short_name="OP", colour="#28313b"
    )
    agency = directory_service.ensure_agency(
        session,
        name="Old Agency",
        sector=AgencySector.OTHER,
        duty=AgencyDuty.SECTION_11,
        partnership=partnership,
    )
    ended = date.today() - timedelta(days=7 * 366)
    cycle = Cycle(
        slug="old-round",
        name="Old round",
        questionnaire_version_id=version.id,
        opens_on=ended - timedelta(days=60),
        deadline_on=ended,
    )
    session.add(cycle)
    session.flush()
    session.add(CyclePartnership(cycle_id=cycle.id, partnership_id=partnership.id))
    agency_return = AgencyReturn(
        cycle_id=cycle.id,
        agency_id=agency.id,
        questionnaire_version_id=version.id,
        status=ReturnStatus.CLOSED,
    )
    session.add(agency_return)
    session.flush()
    answer = Answer(return_id=agency_return.id, question_id="q", value="kept", version=1)
    session.add(answer)
    session.flush()
    session.add(AnswerRevision(answer_id=answer.id, version=1, old_value=None, new_value="typed"))
    stored = evidence.store_upload(
        io.BytesIO(SMALL_PDF),
        claimed_name="policy.pdf",
        storage=LocalStorage(uploads),
        max_bytes=1 << 20,
    )
    session.add(
        EvidenceFile(
            return_id=agency_return.id,
            question_id="q",
            stored_name=stored.stored_name,
            file_name=stored.file_name,
            kind=stored.kind.name,
            size=stored.size,
            sha256=stored.sha256,
        )
    )
    session.commit()
    return stored.stored_name


def _own_database(database_url: str, tmp_path) -> str:
    """A database of the test's own (a SQLite file, or a PostgreSQL schema), since two
    processes must see what it commits."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'race.db'}"
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS retention_race CASCADE"))
        connection.execute(text("CREATE SCHEMA retention_race"))
    engine.dispose()
    joiner = "&" if "?" in database_url else "?"
    return f"{database_url}{joiner}options=-csearch_path%3Dretention_race"


@pytest.fixture
def old_round(database_url, tmp_path):
    """(database URL, var directory, stored file name, engine) of an installation whose one
    round is past its period, in a database of the test's own."""
    url = _own_database(database_url, tmp_path)
    var_dir = tmp_path / "var"
    migrate_to(url, "head", var_dir)
    engine = make_engine(url)
    with Session(engine) as session:
        stored = _round_past_its_period(session, var_dir / "uploads")
    yield url, var_dir, stored, engine
    engine.dispose()


def test_retention_run_on_two_hosts_at_once_applies_once(old_round):
    url, var_dir, stored, engine = old_round
    env = {"S11_DATABASE_URL": url, "S11_VAR_DIR": str(var_dir)}
    environment = {k: v for k, v in os.environ.items() if not k.startswith("S11_")}
    # Another run holds the claim while both start, so both really wait on it together.
    with engine.connect() as holder:
        holder.begin()
        retention.claim(Session(bind=holder), retention.CLAIM)
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "app.cli", "retention", "--apply"],
                cwd=PROJECT_ROOT,
                env={**environment, **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        time.sleep(2.5)
        assert all(run.poll() is None for run in runs), "a run did not wait for the claim"
        holder.rollback()
    outputs = [run.communicate(timeout=60) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    said = sorted(out for out, _ in outputs)
    assert said[0].startswith("Nothing is past its retention period.")
    assert "old-round" in said[1] and "deleted 1 evidence files" in said[1]
    assert stored not in set(LocalStorage(var_dir / "uploads").names())
    with Session(engine) as session:
        applied = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention_applied")
        ).all()
        assert len(applied) == 1
        assert session.scalar(select(func.count()).select_from(EvidenceFile)) == 0
        assert session.scalar(select(Answer.value)) == "kept"
        assert session.get(OperationClaim, retention.CLAIM).claimed_by


def test_a_dry_run_lists_and_deletes_nothing(old_round):
    url, var_dir, stored, _engine = old_round
    result = run_s11("retention", S11_DATABASE_URL=url, S11_VAR_DIR=str(var_dir))
    assert result.returncode == 0, result.stderr
    assert "old-round" in result.stdout and "would delete (dry run: add --apply)" in result.stdout
    assert stored in set(LocalStorage(var_dir / "uploads").names())


def test_coordinator_is_offered_erasure_only_for_people_of_their_own_partnership(client, db, demo):
    coordinator = person_by_email(db, COORDINATOR)
    sign_in(client, coordinator)
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    suffolk = db.scalars(select(Partnership).where(Partnership.slug != "norfolk")).first()
    both = directory_service.ensure_person(db, email="both@example.org", name="Two Hats")
    for partnership in (norfolk, suffolk):
        directory_service.ensure_membership(
            db, person=both, partnership=partnership, role=Role.PANEL_MEMBER
        )
    db.commit()
    assert client.get(f"/people/{both.id}/erase").status_code == 404
    assert client.get(f"/people/{coordinator.id}/erase").status_code == 404
