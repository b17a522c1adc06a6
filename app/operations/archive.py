"""The backup archive (a tar file): the database copy, every evidence file and a manifest of
row counts and SHA-256 checksums. Reading one checks everything; nothing here writes a database."""

from __future__ import annotations

import json
import re
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, func, select, text

from app.actions.models import ActionEvidence

# Every table once app.models is loaded, as the commands that back up and restore do first.
from app.db import Base
from app.returns.models import EvidenceFile
from app.storage.backends import HashingReader, sha256_of

FORMAT = 1
MANIFEST = "manifest.json"
EVIDENCE = "evidence/"
DATABASE_FILES = {"sqlite": "database/s11.sqlite3", "postgresql": "database/s11.pgdump"}
CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """A backup that cannot be made, read or restored; one sentence saying why."""


@dataclass(frozen=True)
class Manifest:
    s11_version: str
    alembic_revision: str
    made_at: str
    dialect: str
    database_sha256: str
    tables: dict[str, int]
    files: dict[str, dict[str, Any]]  # stored name → sha256, size

    @property
    def database_member(self) -> str:
        return DATABASE_FILES[self.dialect]

    def to_json(self) -> bytes:
        return json.dumps({"format": FORMAT, **self.__dict__}, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes, *, where: str) -> Manifest:
        try:
            raw = json.loads(data)
            if raw.pop("format") != FORMAT:
                raise BackupError(f"{where} was made by another version of s11's backup format")
            manifest = cls(**raw)
            if manifest.dialect not in DATABASE_FILES:
                raise ValueError(manifest.dialect)
            return manifest
        except (ValueError, TypeError, KeyError, AttributeError):
            raise BackupError(f"{where} has a damaged manifest: it is not an s11 backup") from None


def table_counts(connection: Connection) -> dict[str, int]:
    """Rows in every table of s11's schema, as the connection's transaction sees them."""
    counts = {
        t.name: connection.scalar(select(func.count()).select_from(t))
        for t in Base.metadata.sorted_tables
    }
    return {name: int(count or 0) for name, count in counts.items()}


def alembic_revision(connection: Connection) -> str:
    return str(connection.scalar(text("SELECT version_num FROM alembic_version")) or "")


def recorded_files(connection: Connection) -> dict[str, tuple[str, int]]:
    """Every evidence file the database records: stored name → (SHA-256, size)."""
    files: dict[str, tuple[str, int]] = {}
    for model in (EvidenceFile, ActionEvidence):
        for name, sha256, size in connection.execute(
            select(model.stored_name, model.sha256, model.size)
        ):
            files[name] = (sha256, size)
    return files


@contextmanager
def open_archive(path: Path) -> Iterator[tuple[tarfile.TarFile, Manifest]]:
    """The archive and its manifest; BackupError for anything that is not a whole s11 backup."""
    where = path.name
    try:
        with tarfile.open(path, "r:*") as archive:
            try:
                member = archive.getmember(MANIFEST)
            except KeyError:
                raise BackupError(
                    f"{where} has no manifest: it is cut short, or not an s11 backup"
                ) from None
            data = archive.extractfile(member)
            assert data is not None
            yield archive, Manifest.from_json(data.read(), where=where)
    except FileNotFoundError:
        raise BackupError(f"there is no file {path}") from None
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(f"{where} is damaged or cut short ({error}): it cannot be read") from None


@dataclass(frozen=True)
class Verified:
    manifest: Manifest
    rows: int
    files: int
    bytes: int
    counts_checked: bool  # an SQLite copy is opened and counted; a pg_dump file is not


def verify(path: Path) -> Verified:
    """Check every member's SHA-256 against the manifest, that no file is missing or extra,
    and, for an SQLite copy, every table's row count; BackupError naming the first fault."""
    where = path.name
    with open_archive(path) as (archive, manifest):
        expected = {EVIDENCE + name: entry for name, entry in manifest.files.items()}
        seen: set[str] = set()
        database_seen = False
        counts_checked = False
        size = 0
        try:
            for member in archive:
                if member.name == MANIFEST:
                    continue
                stream = archive.extractfile(member) if member.isfile() else None
                if stream is None:
                    raise BackupError(f"{where} holds {member.name!r}, which no backup holds")
                if member.name == manifest.database_member:
                    database_seen = True
                    if manifest.dialect == "sqlite":
                        counts_checked = _check_sqlite_copy(stream, manifest, where=where)
                    elif sha256_of(stream)[0] != manifest.database_sha256:
                        raise BackupError(f"{where}: the database copy's checksum does not match")
                    continue
                entry = expected.get(member.name)
                if entry is None or member.name in seen:
                    raise BackupError(f"{where} holds {member.name!r}, which its manifest lacks")
                digest, read = sha256_of(stream)
                if digest != entry["sha256"] or read != entry["size"]:
                    raise BackupError(
                        f"{where}: evidence file {member.name[len(EVIDENCE) :]} does not match its "
                        "checksum; the archive has been changed or damaged"
                    )
                seen.add(member.name)
                size += read
        except (tarfile.TarError, EOFError, OSError) as error:
            raise BackupError(f"{where} is damaged or cut short ({error})") from None
        missing = sorted(set(expected) - seen)
        if not database_seen:
            raise BackupError(f"{where} holds no database copy: it is cut short")
        if missing:
            raise BackupError(
                f"{where} lacks {len(missing)} evidence files its manifest lists "
                f"(the first: {missing[0][len(EVIDENCE) :]})"
            )
        return Verified(
            manifest=manifest,
            rows=sum(manifest.tables.values()),
            files=len(seen),
            bytes=size,
            counts_checked=counts_checked,
        )


def _check_sqlite_copy(stream: BinaryIO, manifest: Manifest, *, where: str) -> bool:
    with tempfile.TemporaryDirectory(prefix="s11-verify-") as scratch:
        copy = Path(scratch) / "s11.sqlite3"
        with copy.open("wb") as out:
            reader = HashingReader(stream)
            while chunk := reader.read(CHUNK):
                out.write(chunk)
        if reader.hexdigest() != manifest.database_sha256:
            raise BackupError(f"{where}: the database copy's checksum does not match")
        with sqlite3.connect(copy) as connection:
            for name, count in manifest.tables.items():
                if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                    raise BackupError(f"{where} has a damaged manifest: it names no s11 table")
                found = connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                if found != count:
                    raise BackupError(
                        f"{where}: table {name} holds {found} rows, its manifest says {count}"
                    )
        return True
