"""Copying evidence files between stores (a directory, a bucket), each checked by SHA-256
against the database's record. Never deletes from the store it copies from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.storage.backends import HashingReader, Storage, sha256_of


class ChecksumMismatch(RuntimeError):
    """A file whose content is not what was recorded; one sentence naming it."""


def _sha256(storage: Storage, stored_name: str) -> str:
    return sha256_of(storage.open(stored_name))[0]


@dataclass
class Copied:
    files: int = 0
    bytes: int = 0
    already_there: int = 0
    unrecorded: list[str] = field(default_factory=list)  # in the store, not in the database


def copy_files(
    source: Storage,
    target: Storage,
    *,
    checksums: dict[str, str],
    progress: Callable[[str], None] | None = None,
) -> Copied:
    """Copy every file of `source` to `target`; each recorded file's content must match its
    recorded SHA-256 both as read and as read back from the target, or ChecksumMismatch."""
    copied = Copied()
    targets = set(target.names())
    for name in source.names():
        expected = checksums.get(name)
        if expected is None:
            copied.unrecorded.append(name)
        if name in targets and expected is not None and _sha256(target, name) == expected:
            copied.already_there += 1
            continue
        with source.open(name) as stream:
            reader = HashingReader(stream)
            target.put(name, reader)  # type: ignore[arg-type]
        if expected is not None and reader.hexdigest() != expected:
            target.delete(name)
            raise ChecksumMismatch(
                f"evidence file {name} in {source.url} is not what was uploaded "
                "(its SHA-256 differs from the database's): nothing more was copied"
            )
        if _sha256(target, name) != reader.hexdigest():
            raise ChecksumMismatch(f"evidence file {name} reads back differently from {target.url}")
        copied.files += 1
        copied.bytes += reader.size
        if progress is not None:
            progress(name)
    missing = sorted(set(checksums) - set(source.names()))
    if missing:
        raise ChecksumMismatch(
            f"{len(missing)} evidence files the database records are not in {source.url} "
            f"(the first: {missing[0]}); the others were copied"
        )
    return copied
