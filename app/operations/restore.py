"""Restoring a backup into an empty database and an empty evidence store: the archive is
checked whole first, then the database and every file are restored and checked again against
the manifest. Never writes over a database or store that holds anything."""

from __future__ import annotations

import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from app.config import PROJECT_ROOT
from app.operations.archive import (
    CHUNK,
    EVIDENCE,
    BackupError,
    Manifest,
    open_archive,
    table_counts,
    verify,
)
from app.operations.backup import libpq_environment, postgres_program
from app.storage.backends import HashingReader, Storage, StorageUnavailable


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    rows: int
    files: int
    bytes: int
    migrated_from: str | None  # the backup's schema, when it was older and was brought up to date


def check_schema(manifest: Manifest) -> bool:
    """Whether the backup's schema is older than this code's (it will need migrating);
    BackupError when this code does not know it, as a newer s11 made it."""
    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    revision = manifest.alembic_revision
    try:
        known = script.get_revision(revision) if revision else None
    except Exception:  # alembic raises several kinds for an unknown id
        known = None
    if known is None:
        raise BackupError(
            f"the backup's database schema ({revision or 'none'}) is newer than this s11 "
            f"({manifest.s11_version} made it): install that version or later, then restore"
        )
    return revision not in script.get_heads()


def check_empty(engine: Engine, storage: Storage, *, database_setting: str) -> None:
    shown = engine.url.render_as_string(hide_password=True)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            tables = connection.scalars(
                text(
                    "SELECT schemaname || '.' || tablename FROM pg_tables "
                    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') LIMIT 3"
                )
            ).all()
    else:
        tables = inspect(engine).get_table_names()
    if tables:
        raise BackupError(
            f"{database_setting} ({shown}) already holds tables ({', '.join(tables[:3])}): "
            "restore only into a new, empty database, never over one in use"
        )
    try:
        kept = next(iter(storage.names()), None)
    except StorageUnavailable as error:
        raise BackupError(str(error).rstrip(".")) from None
    if kept is not None:
        raise BackupError(
            f"S11_STORAGE_URL ({storage.url}) already holds evidence files: "
            "restore only into an empty directory or bucket prefix"
        )


def restore(
    archive_path: Path, engine: Engine, storage: Storage, *, database_setting: str
) -> Restored:
    """Check the archive whole, then restore the database and every file; each is checked
    against the manifest again as it is written. The caller brings an older schema up to date."""
    verified = verify(archive_path)
    manifest = verified.manifest
    needs_migrating = check_schema(manifest)
    if manifest.dialect != engine.dialect.name:
        raise BackupError(
            f"the backup holds a {manifest.dialect} database and {database_setting} names a "
            f"{engine.dialect.name} one: restore into the same kind of database"
        )
    check_empty(engine, storage, database_setting=database_setting)
    with open_archive(archive_path) as (archive, _manifest):
        with tempfile.TemporaryDirectory(prefix="s11-restore-") as scratch:
            copy = Path(scratch) / "database"
            source = archive.extractfile(manifest.database_member)
            assert source is not None
            with copy.open("wb") as out:
                reader = HashingReader(source)
                while chunk := reader.read(CHUNK):
                    out.write(chunk)
            if reader.hexdigest() != manifest.database_sha256:
                raise BackupError("the database copy changed while it was being restored")
            if engine.dialect.name == "sqlite":
                _restore_sqlite(engine, copy)
            else:
                _restore_postgres(engine, copy)
        with engine.connect() as connection:
            counts = table_counts(connection)
        wrong = {t: (n, counts.get(t)) for t, n in manifest.tables.items() if counts.get(t) != n}
        if wrong:
            table, (expected, found) = next(iter(wrong.items()))
            raise BackupError(
                f"the restored database's table {table} holds {found} rows, the backup's "
                f"manifest says {expected}: the restore is not whole, do not use it"
            )
        size = 0
        for name, entry in sorted(manifest.files.items()):
            stream = archive.extractfile(EVIDENCE + name)
            assert stream is not None
            reader = HashingReader(stream)
            try:
                storage.put(name, reader)  # type: ignore[arg-type]
            except StorageUnavailable as error:
                raise BackupError(str(error).rstrip(".")) from None
            if reader.hexdigest() != entry["sha256"]:
                storage.delete(name)
                raise BackupError(f"evidence file {name} changed while it was being restored")
            size += reader.size
    return Restored(
        manifest=manifest,
        rows=sum(counts.values()),
        files=len(manifest.files),
        bytes=size,
        migrated_from=manifest.alembic_revision if needs_migrating else None,
    )


def _restore_sqlite(engine: Engine, copy: Path) -> None:
    target = engine.raw_connection()
    try:
        with sqlite3.connect(copy) as source:
            source.backup(target.driver_connection)  # type: ignore[arg-type]
    finally:
        target.close()


def _restore_postgres(engine: Engine, copy: Path) -> None:
    program = postgres_program("pg_restore")
    args, env = libpq_environment(make_url(engine.url))
    result = subprocess.run(
        [program, "--no-owner", "--no-privileges", "--exit-on-error", *args, str(copy)],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no reason given"])[-1]
        raise BackupError(f"pg_restore failed: {reason}")
