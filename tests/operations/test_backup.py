"""Backups that restore: the demo with evidence backed up, restored into a fresh database and
store, and compared row for row and file for file; damaged archives and unsafe restores refused."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from app.db import make_engine
from app.models import Base
from app.operations.archive import BackupError, verify
from app.operations.backup import make_backup
from app.operations.restore import restore
from app.returns import attachments
from app.returns import service as returns_service
from app.returns.models import AgencyReturn, ReturnStatus
from app.storage.backends import LocalStorage, Storage, open_storage
from tests.conftest import (
    S3_BUCKET,
    S3_REGION,
    SMALL_PDF,
    demo_database_url,
    fresh_database_beside,
)

DRILL = ("drill_source", "drill_restored")


def _fresh_postgres(url: str, name: str) -> str:
    """A new, empty database beside the test database, with the same options (the demo's
    search path). Dropped when the next run makes it again, not at the end: dropping costs
    seconds, and the test cluster is a throwaway one."""
    try:
        return fresh_database_beside(url, name)
    except ProgrammingError as error:
        pytest.fail(
            f"the restore drill needs a test role that may create databases "
            f"(ALTER ROLE {make_url(url).username} CREATEDB): {error.orig}"
        )


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t.name: connection.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }


def _attach_evidence(engine: Engine, storage: Storage) -> int:
    """Evidence on three returns of the demo's open round, as their leads would attach it."""
    with Session(engine) as session:
        returns = session.scalars(
            select(AgencyReturn)
            .where(AgencyReturn.status.in_([ReturnStatus.NOT_STARTED, ReturnStatus.IN_PROGRESS]))
            .order_by(AgencyReturn.id)
        ).all()
        attached = 0
        for agency_return in returns:
            lead = _lead(session, agency_return)
            view = lead and returns_service.return_for(
                session, person=lead, return_id=agency_return.id
            )
            question = view and next(
                (
                    q
                    for _s, q in view.questionnaire.questions()
                    if returns_service.takes_evidence(q)
                ),
                None,
            )
            if question is None:
                continue
            for n in range(2):
                attachments.attach_evidence(
                    session,
                    view=view,
                    question_id=question.id,
                    source=io.BytesIO(SMALL_PDF + f"% file {attached} {n}\n".encode() * 500),
                    claimed_name=f"Evidence {n}.pdf",
                    actor=lead,
                    storage=storage,
                    max_bytes=1024 * 1024,
                    quota_bytes=10 * 1024 * 1024,
                )
            attached += 1
            if attached == 3:
                break
        session.commit()
    return attached * 2


def _lead(session, agency_return):  # type: ignore[no-untyped-def]
    from app.directory import service as directory_service
    from app.directory.models import Membership, Role

    person_id = session.scalar(
        select(Membership.person_id).where(
            Membership.agency_id == agency_return.agency_id, Membership.role == Role.AGENCY_LEAD
        )
    )
    return directory_service.get_person(session, person_id=person_id) if person_id else None


@pytest.fixture
def drill(database_url, demo_database, tmp_path, s3_server):
    """A copy of the demo in a database of its own, with evidence attached in a bucket; and
    a fresh, empty database and directory to restore into."""
    demo_url = demo_database_url(database_url)
    if database_url.startswith("sqlite"):
        source_url = f"sqlite:///{tmp_path / 'source.db'}"
        with (
            sqlite3.connect(demo_url.removeprefix("sqlite:///")) as demo,
            sqlite3.connect(tmp_path / "source.db") as copy,
        ):
            demo.backup(copy)
        target_url = f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        # The demo's own backup, restored, is the source: the drill then runs on a copy.
        source_url, target_url = (_fresh_postgres(demo_url, name) for name in DRILL)
        demo_engine = demo_database[0]
        make_backup(demo_engine, LocalStorage(tmp_path / "none"), tmp_path / "demo.tar")
        restore(
            tmp_path / "demo.tar",
            make_engine(source_url),
            LocalStorage(tmp_path / "demo-files"),
            database_setting="the test database",
        )
    bucket = open_storage(
        f"s3://{S3_BUCKET}/drill-{tmp_path.name}",
        endpoint_url=s3_server.endpoint,
        region=S3_REGION,
        staging=tmp_path / "staging",
    )
    source = make_engine(source_url)
    files = _attach_evidence(source, bucket)
    target = make_engine(target_url)
    yield source, bucket, target, LocalStorage(tmp_path / "restored-files"), files
    source.dispose()
    target.dispose()


def test_a_restored_backup_holds_every_row_and_every_evidence_file_of_the_original(drill, tmp_path):
    source, bucket, target, restored_files, files = drill
    archive = tmp_path / "s11-backup.tar.gz"
    made = make_backup(source, bucket, archive)
    assert len(made.manifest.files) == files == 6
    assert verify(archive).files == files

    done = restore(archive, target, restored_files, database_setting="S11_DATABASE_URL")
    assert done.files == files and done.migrated_from is None

    original, restored = _counts(source), _counts(target)
    assert restored == original
    assert original["evidence_file"] == files and original["answer"] > 0
    for name, entry in made.manifest.files.items():
        kept = restored_files.open(name).read()
        assert hashlib.sha256(kept).hexdigest() == entry["sha256"]
        assert kept == bucket.open(name).read()
    assert sorted(restored_files.names()) == sorted(bucket.names())

    # Restoring again, over what was just restored, is refused.
    with pytest.raises(BackupError, match="already holds tables"):
        restore(archive, target, LocalStorage(tmp_path / "empty"), database_setting="S11_X")

    # An evidence file changed inside the archive is found, named, and nothing is restored.
    def flip_evidence(name: str, content: bytes) -> bytes:
        return content.replace(b"file", b"fire", 1) if name.startswith("evidence/") else content

    with pytest.raises(BackupError, match="does not match its checksum"):
        verify(_rewrite(archive, flip_evidence))


def _small_archive(tmp_path: Path) -> Path:
    """A backup of an empty s11 database, for the refusals below."""
    from tests.conftest import migrate_to

    url = f"sqlite:///{tmp_path / 'small.db'}"
    migrate_to(url, "head", tmp_path)
    engine = make_engine(url)
    archive = tmp_path / "small.tar"
    make_backup(engine, LocalStorage(tmp_path / "small-files"), archive)
    engine.dispose()
    return archive


def _rewrite(archive: Path, change) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the archive with one member's bytes changed by `change(name, data)`."""
    changed = archive.with_name("changed.tar")
    with tarfile.open(archive) as source, tarfile.open(changed, "w") as target:
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            data = change(member.name, data)
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return changed


def test_a_truncated_or_tampered_archive_is_refused_naming_the_fault(tmp_path):
    archive = _small_archive(tmp_path)
    data = archive.read_bytes()

    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(BackupError, match="cut short"):
        verify(truncated)

    def flip_database(name: str, content: bytes) -> bytes:
        if name.startswith("database/"):
            return content[:5000] + bytes([content[5000] ^ 1]) + content[5001:]
        return content

    with pytest.raises(BackupError, match="database copy's checksum does not match"):
        verify(_rewrite(archive, flip_database))

    def newer_schema(name: str, content: bytes) -> bytes:
        if name == "manifest.json":
            manifest = json.loads(content)
            manifest["alembic_revision"] = "ffffffffffff"
            return json.dumps(manifest).encode()
        return content

    target = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    with pytest.raises(BackupError, match="newer than this s11"):
        restore(
            _rewrite(archive, newer_schema),
            target,
            LocalStorage(tmp_path / "new-files"),
            database_setting="S11_DATABASE_URL",
        )
    target.dispose()


def test_a_postgresql_backup_without_pg_dump_on_the_path_says_how_to_get_it(monkeypatch):
    from app.operations.backup import postgres_program

    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(BackupError, match=r"pg_dump was not found on PATH: install"):
        postgres_program("pg_dump")


def test_the_backup_and_restore_commands_say_what_they_did(tmp_path, monkeypatch, capsys):
    from app.cli import main

    monkeypatch.setenv("S11_VAR_DIR", str(tmp_path / "var"))
    assert main(["migrate"]) == 0
    archive = tmp_path / "nightly.tar.gz"
    assert main(["backup", "--out", str(archive)]) == 0
    assert "Backed up" in capsys.readouterr().out
    assert main(["backup", "--verify", str(archive)]) == 0
    assert "is whole: every table's row count and every checksum" in capsys.readouterr().out

    assert main(["restore", str(archive)]) == 2  # into the database it came from
    assert "already holds tables" in capsys.readouterr().err

    monkeypatch.setenv("S11_VAR_DIR", str(tmp_path / "elsewhere"))
    assert main(["restore", str(archive)]) == 0
    said = capsys.readouterr().out
    assert "Every row count and checksum matched" in said and "0 evidence files" in said
