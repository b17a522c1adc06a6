"""Helpers for the exports tests: read workbooks as Excel would, and find the demo's returns.
(The demo itself is the shared one of tests/conftest.py, loaded once per backend.)"""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cycle_models import Cycle
from app.directory.models import Agency
from app.returns.models import AgencyReturn

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_of(response) -> Workbook:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == XLSX
    return load_workbook(io.BytesIO(response.content))


def sheet_xml(content: bytes) -> dict[str, str]:
    """Every worksheet's XML inside an .xlsx, by its name in the archive."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name: archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name)
        }


def rows_of(sheet) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """A sheet's rows as dictionaries by header."""
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def cover_facts(workbook: Workbook) -> dict[str, object]:
    return {
        row[0]: row[1]
        for row in workbook["Cover"].iter_rows(min_row=3, values_only=True)
        if row[0] is not None
    }


def return_of(db: Session, agency_name: str, cycle: str = "s11-2021") -> AgencyReturn:
    return db.scalars(
        select(AgencyReturn)
        .join(Cycle)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(Agency.name == agency_name, Cycle.slug == cycle)
    ).one()
