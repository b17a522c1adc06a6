"""Making a backup: one archive holding a copy of the database consistent to one moment (SQLite's
online backup API, or pg_dump on the transaction's exported snapshot), every evidence file that
copy records, and the manifest. Safe while the app serves; never changes the database."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

from app.operations.archive import (
    DATABASE_FILES,
    EVIDENCE,
    MANIFEST,
    BackupError,
    Manifest,
    alembic_revision,
    recorded_files,
    table_counts,
)
from app.storage.backends import HashingReader, Storage, StorageUnavailable


def s11_version() -> str:
    try:
        return version("s11")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def postgres_program(name: str) -> str:
    """pg_dump or pg_restore from PATH; BackupError saying how to get it when missing."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH: install PostgreSQL's client programs "
            "(Debian: apt-get install postgresql-client), of the server's version or newer"
        )
    return found


def libpq_environment(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore; the password goes in the environment, never
    on a command line other users of the host can read."""
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return [*args, "--dbname", str(url.database)], env


@dataclass(frozen=True)
class Made:
    manifest: Manifest
    path: Path
    seconds: float

    @property
    def rows(self) -> int:
        return sum(self.manifest.tables.values())


def make_backup(engine: Engine, storage: Storage, out: Path) -> Made:
    """Write the archive to `out` (a .tar, or .tar.gz to compress it); written beside it and
    renamed at the end, so a failed backup never leaves a file that looks whole."""
    started = time.monotonic()
    if not out.parent.is_dir():
        raise BackupError(f"--out names a folder that does not exist: {out.parent}")
    partial = out.with_name(f".{out.name}.{os.getpid()}.part")
    mode = "w:gz" if out.name.endswith((".gz", ".tgz")) else "w"
    try:
        with tempfile.TemporaryDirectory(prefix="s11-backup-") as scratch:
            copy = Path(scratch) / "database"
            if engine.dialect.name == "sqlite":
                counts, revision, files = _copy_sqlite(engine, copy)
            else:
                counts, revision, files = _dump_postgres(engine, copy)
            with tarfile.open(partial, mode) as archive:
                database_sha256 = _add(archive, DATABASE_FILES[engine.dialect.name], copy)
                listed = _add_evidence(archive, storage, files)
                manifest = Manifest(
                    s11_version=s11_version(),
                    alembic_revision=revision,
                    made_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    dialect=engine.dialect.name,
                    database_sha256=database_sha256,
                    tables=counts,
                    files=listed,
                )
                _add_bytes(archive, MANIFEST, manifest.to_json())
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return Made(manifest=manifest, path=out, seconds=time.monotonic() - started)


Facts = tuple[dict[str, int], str, dict[str, tuple[str, int]]]


def _copy_sqlite(engine: Engine, copy: Path) -> Facts:
    # The online backup API copies pages under a read lock, so writers wait for a moment and
    # the copy is the database as of one transaction; everything else is read from the copy.
    source = engine.raw_connection()
    try:
        with sqlite3.connect(copy) as target:
            source.driver_connection.backup(target)  # type: ignore[union-attr]
    finally:
        source.close()
    snapshot = create_engine(f"sqlite:///{copy}")
    try:
        with snapshot.connect() as connection:
            return (
                table_counts(connection),
                alembic_revision(connection),
                recorded_files(connection),
            )
    finally:
        snapshot.dispose()


def _dump_postgres(engine: Engine, copy: Path) -> Facts:
    program = postgres_program("pg_dump")
    args, env = libpq_environment(make_url(engine.url))
    # One moment: the counts are taken in a transaction whose snapshot pg_dump then dumps.
    with (
        engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection,
        connection.begin(),
    ):
        snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
        facts = (
            table_counts(connection),
            alembic_revision(connection),
            recorded_files(connection),
        )
        result = subprocess.run(
            [program, "--format=custom", f"--snapshot={snapshot}", "--no-owner"]
            + ["--file", str(copy), *args],
            env=env,
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no reason given"])[-1]
        raise BackupError(f"pg_dump failed: {reason}")
    return facts


def _add(archive: tarfile.TarFile, name: str, path: Path) -> str:
    info = archive.gettarinfo(str(path), arcname=name)
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    with path.open("rb") as source:
        reader = HashingReader(source)
        archive.addfile(info, reader)  # type: ignore[arg-type]
    return reader.hexdigest()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
    archive.addfile(info, io.BytesIO(data))


def _add_evidence(
    archive: tarfile.TarFile, storage: Storage, files: dict[str, tuple[str, int]]
) -> dict[str, dict[str, object]]:
    listed: dict[str, dict[str, object]] = {}
    for name, (sha256, size) in sorted(files.items()):
        info = tarfile.TarInfo(EVIDENCE + name)
        info.size, info.mode, info.mtime = size, 0o600, int(time.time())
        try:
            with storage.open(name) as stream:
                reader = HashingReader(stream)
                archive.addfile(info, reader)  # type: ignore[arg-type]
        except FileNotFoundError:
            raise BackupError(
                f"evidence file {name} is not in {storage.url}: removed while the backup ran, "
                "or lost; run the backup again, and if this repeats, the file is lost"
            ) from None
        except StorageUnavailable as error:
            raise BackupError(str(error).rstrip(".")) from None
        except OSError as error:  # shorter than recorded: tarfile reads an exact size
            raise BackupError(f"evidence file {name} could not be read whole: {error}") from None
        if reader.hexdigest() != sha256:
            raise BackupError(
                f"evidence file {name} in {storage.url} is not what was uploaded (its SHA-256 "
                "differs from the one recorded): it has been changed or damaged"
            )
        listed[name] = {"sha256": sha256, "size": size}
    return listed
