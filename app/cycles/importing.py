"""Bringing agencies and their leads into the directory or a cycle from a CSV or Excel file:
read, check, apply.

Nothing in the file is evaluated or trusted, and nothing is saved while any row has a problem.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.cycle_models import Cycle
from app.cycles import agencies as round_agencies
from app.cycles import service as cycles_service
from app.directory import service as directory_service
from app.directory.models import Agency, AgencySector, Partnership, Person
from app.returns import evidence

MAX_FILE_BYTES = 2 * evidence.MB
MAX_ROWS = 2000
# A 2 MB workbook may unpack to far more; openpyxl reads its shared strings whole.
MAX_UNPACKED_BYTES = 50 * evidence.MB
NOT_A_SPREADSHEET = "The file is not a CSV or Excel (.xlsx) spreadsheet"

# Column -> (its name on the page, the headings that mean it, compared without case or spaces).
COLUMNS = {
    "agency": ("Agency", ("agency", "agencyname", "organisation", "organization")),
    "sector": ("Sector", ("sector",)),
    "lead_name": ("Lead name", ("leadname", "safeguardinglead")),
    "lead_email": ("Lead email", ("leademail", "email")),
}
# Columns a file may leave out: a schools round names each school's type, phase, local
# authority or trust and URN.
SCHOOL_COLUMNS = {
    "school_type": ("School type", ("schooltype", "typeofschool", "establishmenttype")),
    "school_phase": ("Phase", ("phase", "schoolphase", "phaseofeducation")),
    "school_body": ("Local authority or trust", ("localauthorityortrust", "la", "trust",
                                                  "localauthority", "laortrust")),
    "urn": ("URN", ("urn", "dfeurn")),
}  # fmt: skip
# Excel, LibreOffice and Google Sheets run a cell starting so as a formula when the file is
# opened again, so such text is refused rather than kept for an export to replay.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SECTORS = {
    **{sector.value: sector for sector in AgencySector},
    **{sector.label.lower(): sector for sector in AgencySector},
}
UPLOAD_NAME = re.compile(r"[A-Za-z0-9_-]{20,40}")
UPLOAD_LIFETIME_SECONDS = 24 * 3600


class NotASpreadsheet(ValueError):
    """The bytes are neither a UTF-8 CSV nor a readable .xlsx workbook."""


@dataclass
class ImportRow:
    line: int  # the row number Excel shows, heading row included
    agency: str
    sector: AgencySector | None
    lead_name: str
    lead_email: str
    errors: list[str] = field(default_factory=list)
    existing: bool = False
    school: directory_service.SchoolDetails = field(
        default_factory=directory_service.SchoolDetails
    )  # an agency s11 already knows by this name: matched, not duplicated


@dataclass
class AgencyImport:
    rows: list[ImportRow]
    problems: list[str]  # about the whole file; when there are any, there are no rows

    @property
    def ready(self) -> bool:
        return bool(self.rows) and not self.problems and not self.with_errors

    @property
    def with_errors(self) -> int:
        return sum(1 for row in self.rows if row.errors)

    @property
    def matched(self) -> int:
        return sum(1 for row in self.rows if row.existing)

    @property
    def new(self) -> int:
        return len(self.rows) - self.matched


def _refused(problem: str) -> AgencyImport:
    return AgencyImport(rows=[], problems=[problem])


def read_agency_file(data: bytes) -> AgencyImport:
    """The rows of an agencies file, each checked, or the reason the file cannot be read;
    its format is decided by its content, whatever it was called."""
    if len(data) > MAX_FILE_BYTES:
        return _refused(f"The file must be smaller than {MAX_FILE_BYTES // evidence.MB} MB")
    if not data.strip():
        return _refused("The file is empty")
    try:
        return _read_table(
            _workbook_rows(data) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
        )
    except NotASpreadsheet as error:
        return _refused(str(error) or NOT_A_SPREADSHEET)


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    # A PDF can be plain ASCII; anything else binary fails as UTF-8 or holds a NUL.
    if data.startswith(b"%PDF-") or b"\x00" in data:
        raise NotASpreadsheet()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotASpreadsheet() from None
    heading = text.partition("\n")[0]
    delimiter = max(",;\t", key=heading.count)  # Excel in much of Europe saves with ";"
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        raise NotASpreadsheet() from None


def _workbook_rows(data: bytes) -> Iterator[list[str]]:
    try:
        kind = evidence.office_open_xml(io.BytesIO(data), max_unpacked=MAX_UNPACKED_BYTES)
    except evidence.ZipRefused as refused:
        raise NotASpreadsheet(str(refused)) from None
    except evidence.EvidenceRefused:
        raise NotASpreadsheet() from None
    if kind.name != "excel":
        raise NotASpreadsheet()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl meets a damaged workbook with many kinds of error
        raise NotASpreadsheet() from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the size a workbook declares may be wrong: read every row
        for values in sheet.iter_rows(values_only=True):
            yield ["" if value is None else str(value) for value in values]
    except Exception:
        raise NotASpreadsheet() from None
    finally:
        workbook.close()


def _read_table(table: Iterator[list[str]]) -> AgencyImport:
    lines = enumerate(table, start=1)
    heading = next((cells for _line, cells in lines if any(c.strip() for c in cells)), None)
    if heading is None:
        return _refused("The file is empty")
    keys = ["".join(cell.lower().split()) for cell in heading]
    positions: dict[str, int] = {}
    for column, (name, aliases) in COLUMNS.items():
        found = next((i for i, key in enumerate(keys) if key in aliases), None)
        if found is None:
            return _refused(
                f"The file has no {name} column: its first row must name the columns "
                "Agency, Sector, Lead name and Lead email"
            )
        positions[column] = found
    for column, (_name, aliases) in SCHOOL_COLUMNS.items():
        found = next((i for i, key in enumerate(keys) if key in aliases), None)
        if found is not None:
            positions[column] = found
    rows: list[ImportRow] = []
    first_line: dict[str, int] = {}
    count = 0
    for line, cells in lines:
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count <= MAX_ROWS:  # past the limit, rows are counted for the message, not kept
            rows.append(_checked_row(line, cells, positions, first_line))
    if count > MAX_ROWS:
        return _refused(
            f"The file has {count:,} rows; s11 imports up to {MAX_ROWS:,} agencies at a time"
        )
    if not rows:
        return _refused("The file has no agencies in it: put one on each row below the headings")
    return AgencyImport(rows=rows, problems=[])


def _checked_row(
    line: int, cells: list[str], positions: dict[str, int], first_line: dict[str, int]
) -> ImportRow:
    raw = {column: cells[i] if i < len(cells) else "" for column, i in positions.items()}
    names = {**COLUMNS, **SCHOOL_COLUMNS}
    formulas = {
        column: f"{names[column][0]} looks like a spreadsheet formula, which s11 does not accept"
        for column, value in raw.items()
        if value.startswith(FORMULA_START) or value.strip().startswith(FORMULA_START)
    }
    agency, sector_text, lead_name, lead_email = (raw[column].strip() for column in COLUMNS)
    sector = None if "sector" in formulas else _sector(sector_text)
    allowed = ", ".join(s.label for s in AgencySector)
    errors = []
    if "agency" in formulas:
        errors.append(formulas["agency"])
    elif not agency:
        errors.append("Enter the agency's name")
    elif len(agency) > 200:
        errors.append("The agency's name must be 200 characters or fewer")
    elif agency.lower() in first_line:
        errors.append(f"{agency} is already on line {first_line[agency.lower()]}: list it once")
    else:
        first_line[agency.lower()] = line
    if "sector" in formulas:
        errors.append(formulas["sector"])
    elif not sector_text:
        errors.append(f"Enter the agency's sector, one of: {allowed}")
    elif sector is None:
        errors.append(f"{sector_text} is not a sector s11 knows: use one of {allowed}")
    if "lead_name" in formulas:
        errors.append(formulas["lead_name"])
    elif not lead_name:
        errors.append("Enter the safeguarding lead's name")
    elif len(lead_name) > 200:
        errors.append("The lead's name must be 200 characters or fewer")
    if "lead_email" in formulas:
        errors.append(formulas["lead_email"])
    elif not lead_email:
        errors.append("Enter the safeguarding lead's email address")
    elif not _is_email(lead_email):
        errors.append(f"{lead_email} is not an email address: write it like name@example.org")
    school = directory_service.SchoolDetails()
    school_formulas = [formulas[column] for column in SCHOOL_COLUMNS if column in formulas]
    if school_formulas:
        errors += school_formulas
    else:
        try:
            school = directory_service.school_details(
                **{column: raw.get(column, "") for column in SCHOOL_COLUMNS}
            )
        except directory_service.SchoolDetailsError as error:
            errors.append(f"{SCHOOL_COLUMNS[error.field][0]}: {error}")
        else:
            if school.urn and school.urn in first_line:
                errors.append(f"URN {school.urn} is already on line {first_line[school.urn]}")
            elif school.urn:
                first_line[school.urn] = line
    return ImportRow(line, agency, sector, lead_name, lead_email, errors=errors, school=school)


def _sector(text: str) -> AgencySector | None:
    """A sector by its value or its label, whatever the case ("Health provider", "police")."""
    return SECTORS.get(text.lower()) or SECTORS.get("_".join(text.lower().split()))


def _is_email(text: str) -> bool:
    # The same rule the invitation applies, so a row that passes here is never refused there.
    try:
        return len(directory_service.normalise_email(text)) <= 320
    except directory_service.DirectoryError:
        return False


def mark_existing(session: Session, *, rows: list[ImportRow]) -> None:
    """Mark the rows naming an agency s11 already knows (by name, whatever the case)."""
    names = {row.agency.lower() for row in rows if row.agency}
    known = set(
        session.scalars(select(func.lower(Agency.name)).where(func.lower(Agency.name).in_(names)))
    )
    for row in rows:
        row.existing = row.agency.lower() in known
    urns = {row.school.urn for row in rows if row.school.urn}
    held = {
        urn: name
        for urn, name in session.execute(
            select(Agency.urn, func.lower(Agency.name)).where(Agency.urn.in_(urns))
        )
    }
    for row in rows:
        holder = held.get(row.school.urn) if row.school.urn else None
        if holder is not None and holder != row.agency.lower():
            row.errors.append(f"URN {row.school.urn} already belongs to another agency in s11")


def apply_import(
    session: Session,
    *,
    cycle: Cycle | None,
    partnership: Partnership,
    rows: list[ImportRow],
    actor: Person,
    base_url: str,
) -> list[round_agencies.AddedAgency]:
    """Bring every row's agency into the partnership's directory and, given one, the cycle; or
    none: a row with a problem stops them all."""
    ready = [(row, row.sector) for row in rows if not row.errors and row.sector is not None]
    if not rows or len(ready) != len(rows):
        raise cycles_service.CycleError("Correct the rows with problems and upload the file again")
    with session.begin_nested():  # one refused invitation undoes the rows before it
        added = []
        for row, sector in ready:
            each = round_agencies.add_agency(
                session,
                cycle=cycle,
                partnership=partnership,
                name=row.agency,
                sector=sector,
                lead_name=row.lead_name,
                lead_email=row.lead_email,
                actor=actor,
                base_url=base_url,
            )
            if row.school.school_type is not None:
                if directory_service.urn_taken(
                    session, urn=row.school.urn, agency_id=each.agency.id
                ):
                    raise cycles_service.CycleError(
                        f"Line {row.line}: URN {row.school.urn} already belongs to another "
                        "agency in s11"
                    )
                row.school.apply_to(each.agency)
            added.append(each)
        session.flush()
    new = sum(1 for item in added if item.new_agency)
    audit_service.record_event(
        session,
        actor=actor,
        action="agencies_imported",
        object_type="cycle" if cycle else "partnership",
        object_id=cycle.id if cycle else partnership.id,
        detail={
            "rows": len(added),
            "new_agencies": new,
            "matched_agencies": len(added) - new,
            "invitations": sum(1 for item in added if item.invitation is not None),
        },
    )
    return added


def keep_upload(directory: Path, data: bytes) -> str:
    """Keep an upload for its confirmation under a random name; returns that name.
    Previews never confirmed are removed after a day."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.upload"):
        with suppress(FileNotFoundError):  # confirmed meanwhile by another request
            if stale.stat().st_mtime < time.time() - UPLOAD_LIFETIME_SECONDS:
                stale.unlink()
    token = secrets.token_urlsafe(16)
    (directory / f"{token}.upload").write_bytes(data)
    return token


def kept_upload(directory: Path, token: str) -> Path | None:
    """The kept upload a confirmation names, if the name is one s11 made and it is still there."""
    if not UPLOAD_NAME.fullmatch(token):
        return None
    path = directory / f"{token}.upload"
    return path if path.is_file() else None
