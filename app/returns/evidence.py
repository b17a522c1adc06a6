"""Evidence files: what an upload really is (by its content, not its name), a safe name for it,
and where it lives on disk. No database here; the return's rules are in service.py.

An allowlist of eight kinds, each recognised by its own structure: a general-purpose sniffing
library answers "what is this?" for hundreds of types, where we need "is this one of ours?",
including a look inside Office files that such libraries do not take.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

MB = 1024 * 1024
_CHUNK = 256 * 1024


class EvidenceRefused(ValueError):
    """An upload s11 will not keep, with a sentence saying why."""


class ZipRefused(EvidenceRefused):
    """A zip that would unpack too far to open safely (check_zip), whatever it claims to be."""


@dataclass(frozen=True)
class Kind:
    name: str
    extension: str
    media_type: str


KINDS = {
    kind.name: kind
    for kind in (
        Kind("pdf", "pdf", "application/pdf"),
        Kind(
            "word",
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        Kind("excel", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        Kind(
            "powerpoint",
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        Kind("word-97", "doc", "application/msword"),
        Kind("excel-97", "xls", "application/vnd.ms-excel"),
        Kind("powerpoint-97", "ppt", "application/vnd.ms-powerpoint"),
        Kind("png", "png", "image/png"),
        Kind("jpeg", "jpg", "image/jpeg"),
        Kind("gif", "gif", "image/gif"),
        Kind("text", "txt", "text/plain; charset=utf-8"),
        Kind("csv", "csv", "text/csv; charset=utf-8"),
    )
}

ACCEPTED = "PDF, Word, Excel, PowerPoint, PNG, JPEG, GIF, plain text or CSV"

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Legacy Office files are OLE2 containers, as are installers; the main stream's name, stored
# UTF-16 in the container's directory, says which it is.
_OLE2_STREAMS = {
    "word-97": "WordDocument".encode("utf-16-le"),
    "excel-97": "Workbook".encode("utf-16-le"),
    "powerpoint-97": "PowerPoint Document".encode("utf-16-le"),
}
_OOXML_PARTS = {
    "word": "word/document.xml",
    "excel": "xl/workbook.xml",
    "powerpoint": "ppt/presentation.xml",
}
_MARKUP = re.compile(rb"<\s*(!doctype|html|svg|script|\?xml|body|head|iframe|object)\b", re.I)


def kind_of(path: Path, *, claimed_name: str, max_unpacked: int) -> Kind:
    """What the file at `path` is, or EvidenceRefused saying why it is not accepted; an Office
    file may unpack to no more than `max_unpacked` bytes."""
    with path.open("rb") as file:
        head = file.read(8)
    if head.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return KINDS["jpeg"]
    if head.startswith((b"GIF87a", b"GIF89a")):
        return KINDS["gif"]
    if head.startswith(b"PK\x03\x04"):
        return office_open_xml(path, max_unpacked=max_unpacked)
    if head.startswith(_OLE2):
        data = path.read_bytes()
        for name, stream in _OLE2_STREAMS.items():
            if stream in data:
                return KINDS[name]
        raise EvidenceRefused(f"The file is not a type s11 accepts: use {ACCEPTED}")
    return _text(path, claimed_name=claimed_name)


# A zip's directory says what each entry unpacks to before any of it is read, and zipfile
# reads no entry past its stated size: checked there, a zip bomb costs nothing to refuse.
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_RATIO = 100  # Office XML packs about 10 to 1; zeros pack about 1,000 to 1


def check_zip(archive: zipfile.ZipFile, *, max_unpacked: int) -> None:
    """Refuse a zip (an Office file, a workbook) whose directory shows it unpacking to more
    than `max_unpacked` bytes, any entry packed tighter than MAX_ZIP_RATIO, or too many entries.
    Every zip s11 takes is checked here before anything inside it is read."""
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ZipRefused(
            f"The file holds {len(entries):,} parts; s11 accepts up to {MAX_ZIP_ENTRIES:,}"
        )
    if sum(entry.file_size for entry in entries) > max_unpacked:
        raise ZipRefused(
            f"The file unpacks to more than {max_unpacked // MB} MB: "
            "save a smaller copy, or as a PDF"
        )
    if any(entry.file_size > MAX_ZIP_RATIO * max(entry.compress_size, 1) for entry in entries):
        raise ZipRefused(
            "The file is packed in a way no Office program saves it: "
            "open it and save it again, or as a PDF"
        )


def office_open_xml(source: Path | BinaryIO, *, max_unpacked: int) -> Kind:
    """Which Office file a zip is, by the part it holds; damaged zips, zips that would unpack
    too far (check_zip) and macros refused."""
    try:
        with zipfile.ZipFile(source) as archive:
            check_zip(archive, max_unpacked=max_unpacked)
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        raise EvidenceRefused("The file is damaged: it could not be opened") from None
    if "[Content_Types].xml" in names:
        if any(name.endswith("vbaProject.bin") for name in names):
            raise EvidenceRefused("Files with macros are not accepted: save it without macros")
        for kind, part in _OOXML_PARTS.items():
            if part in names:
                return KINDS[kind]
    raise EvidenceRefused(f"The file is not a type s11 accepts: use {ACCEPTED}")


def _text(path: Path, *, claimed_name: str) -> Kind:
    data = path.read_bytes()
    if not data.strip():
        raise EvidenceRefused("The file is empty")
    if b"\x00" in data:
        raise EvidenceRefused(f"The file is not a type s11 accepts: use {ACCEPTED}")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise EvidenceRefused(
            "Plain text and CSV files must be saved as UTF-8 (in Excel: CSV UTF-8)"
        ) from None
    if _MARKUP.search(data[:4096]):
        raise EvidenceRefused("Web pages, SVG and XML files are not accepted: save it as a PDF")
    return KINDS["csv" if claimed_name.lower().endswith(".csv") else "text"]


def safe_file_name(claimed: str, kind: Kind) -> str:
    """A name that is safe in a path, a header and a page, ending in the content's extension."""
    name = re.split(r"[/\\]", claimed or "")[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    stem = name.rsplit(".", 1)[0] if "." in name.strip(".") else name
    stem = re.sub(r"[\"'<>:|?*;%`$&=+,]", "_", stem)
    stem = re.sub(r"\s+", " ", stem).strip(" ._-")[:100]
    return f"{stem or 'evidence'}.{kind.extension}"


class StoredFile(Protocol):
    """A kept file as a download needs it: a return's evidence, or an action's."""

    stored_name: str
    file_name: str
    kind: str


@dataclass(frozen=True)
class StoredUpload:
    stored_name: str
    size: int
    sha256: str
    kind: Kind
    file_name: str


def store_upload(
    source: BinaryIO, *, claimed_name: str, directory: Path, max_bytes: int
) -> StoredUpload:
    """Copy an upload under a generated name, checking its size while copying and its content
    after; anything refused leaves nothing behind."""
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    target = directory / stored_name
    partial = directory / f"{stored_name}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("xb") as out:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise EvidenceRefused(f"The file must be smaller than {max_bytes // MB} MB")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise EvidenceRefused("The file is empty")
        kind = kind_of(partial, claimed_name=claimed_name, max_unpacked=max_bytes)
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return StoredUpload(
        stored_name=stored_name,
        size=size,
        sha256=digest.hexdigest(),
        kind=kind,
        file_name=safe_file_name(claimed_name, kind),
    )


def path_of(directory: Path, stored_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name):
        raise ValueError("not a stored evidence name")
    return directory / stored_name


def remove_stored(directory: Path, stored_name: str) -> None:
    """Delete a kept file: the one way an evidence file leaves storage (removal by its
    uploader, a refused quota, retention), so a change of storage changes one place."""
    path_of(directory, stored_name).unlink(missing_ok=True)


def copy_stored(directory: Path, stored_name: str) -> str:
    """A second copy under a new name (last year's evidence carried into this year's return),
    so removing one never removes the other."""
    new_name = secrets.token_hex(16)
    (directory / new_name).write_bytes(path_of(directory, stored_name).read_bytes())
    return new_name
