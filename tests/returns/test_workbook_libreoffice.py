"""The return workbook through a real spreadsheet program: filled in, saved by headless
LibreOffice Calc as .xlsx, and read back with nothing lost. CI sets S11_TEST_REQUIRE_SPREADSHEET=1,
where a missing LibreOffice fails the run instead of skipping."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from app.returns import workbook_upload
from tests.conftest import lead_of, sign_in
from tests.returns.test_workbook import download, fill, view_for

SOFFICE = shutil.which("soffice")
REQUIRE_SPREADSHEET = os.environ.get("S11_TEST_REQUIRE_SPREADSHEET") == "1"


def through_libreoffice(data: bytes, work: Path) -> bytes:
    """The workbook as LibreOffice Calc saves it: opened, then written out as .xlsx."""
    if SOFFICE is None:
        if REQUIRE_SPREADSHEET:
            pytest.fail("S11_TEST_REQUIRE_SPREADSHEET=1 but there is no soffice (LibreOffice)")
        pytest.skip("needs LibreOffice Calc (apt-get install libreoffice-calc-nogui); CI has it")
    source, out = work / "in" / "return.xlsx", work / "out"
    source.parent.mkdir()
    source.write_bytes(data)
    # A profile of its own: a second soffice sharing one waits on the first's lock.
    profile = f"-env:UserInstallation=file://{work / 'profile'}"
    subprocess.run(
        [SOFFICE, profile, "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (out / "return.xlsx").read_bytes()


def test_a_workbook_saved_by_libreoffice_reads_back_with_every_answer(
    client, db, nspcc_return, settings, tmp_path
):
    lead = lead_of(db, "NSPCC")
    sign_in(client, lead)
    filled = fill(
        download(client, nspcc_return),
        {
            "lead-name": "Sam Jones",
            "accountability": "2 - Partially met",
            "narrative": '=HYPERLINK("http://example.org","click")',
            "has-policy": "Yes",
            "sector": "Voluntary",
        },
    )
    saved = through_libreoffice(filled, tmp_path)
    preview = workbook_upload.read_workbook(
        saved, view=view_for(db, lead, nspcc_return), secret=settings.secret
    )
    assert not preview.invalid, preview.invalid
    new = {change.question_id: change.new for change in preview.clean}
    assert new["lead-name"] == "Sam Jones"
    assert new["has-policy"] == "yes"
    assert new["narrative"].startswith("=HYPERLINK")  # kept as the text typed, never run
    assert len(new) == 5
