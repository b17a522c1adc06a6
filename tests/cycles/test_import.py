"""Importing agencies and their leads into a cycle from a CSV or Excel file, as a coordinator
does it: upload, check every row in the preview, confirm; nothing saved while a row is wrong."""

from __future__ import annotations

import io
import time

import pytest
from bs4 import BeautifulSoup
from openpyxl import Workbook
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Invitation
from app.cycle_models import Cycle
from app.cycles import importing
from app.cycles.service import CycleError
from app.directory.models import Agency, AgencySector, Partnership
from app.notifications.models import SentEmail
from app.returns.models import AgencyReturn
from tests.conftest import SMALL_PDF, person_by_email, sign_in
from tests.returns.test_evidence import many_parts, zip_bomb

COORDINATOR = "coordinator@nscp.example.org"
IMPORT = "/round/cycles/s11-2021/import"

GOOD_CSV = (
    "\ufeffAgency,Sector,Lead name,Lead email\n"
    "Home-Start Norwich,voluntary,Ann Other,ann.other@homestart.example.org\n"
    "\n"
    'Norwich Foodbank,"Voluntary, community and faith",Bob Jones,bob@foodbank.example.org\n'
    "nspcc,Voluntary,Cara Lee,cara.lee@nspcc.example.org\n"
).encode()


@pytest.fixture
def coordinator(client, db, demo):
    person = person_by_email(db, COORDINATOR)
    sign_in(client, person)
    return person


def upload(client, data: bytes, name: str = "agencies.csv", url: str = IMPORT):
    token = client.csrf_token(url)
    return client.post(
        url, data={"csrf_token": token}, files={"file": (name, data, "application/octet-stream")}
    )


def confirm_path(response) -> str:
    form = BeautifulSoup(response.text, "html.parser").select_one("form[action$='/confirm']")
    assert form is not None, "the preview offers no confirmation"
    return str(form["action"])


def confirm(client, path: str):
    token = client.csrf_token(IMPORT)
    return client.post(path, data={"csrf_token": token}, follow_redirects=False)


def saved(db) -> dict[str, int]:
    """What an import would add to: counted before and after to prove nothing was saved."""
    return {
        model.__name__: db.scalar(select(func.count()).select_from(model))
        for model in (Agency, AgencyReturn, Invitation, SentEmail)
    }


def in_cycle(db, agency_name: str) -> AgencyReturn | None:
    return db.scalar(
        select(AgencyReturn)
        .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(Cycle.slug == "s11-2021", Agency.name == agency_name)
    )


def workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_coordinator_imports_a_csv_after_checking_every_row_and_the_leads_are_invited(
    client, db, coordinator, var_dir
):
    before = saved(db)
    outbox = set((var_dir / "outbox").glob("*.eml")) if (var_dir / "outbox").exists() else set()
    response = upload(client, GOOD_CSV)
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    counts = {
        row.dt.get_text(strip=True): row.dd.get_text(strip=True)
        for row in page.select(".govuk-summary-list__row")
    }
    assert counts == {
        "Rows": "3",
        "New agencies": "2",
        "Agencies s11 already knows": "1",
        "Rows with problems": "0",
    }
    assert "Already known" in page.select_one("#line-5").get_text()
    assert page.select_one("#line-2").get_text(" ", strip=True).startswith("2 Home-Start Norwich")
    assert "Confirm and invite 3 leads" in response.text
    assert saved(db) == before  # a preview saves nothing

    path = confirm_path(response)
    response = confirm(client, path)
    assert response.status_code == 303
    assert response.headers["location"] == "/round/cycles/s11-2021?imported=3"
    after = saved(db)
    assert after["Agency"] == before["Agency"] + 2  # NSPCC matched, not duplicated
    assert db.scalar(select(func.count()).where(func.lower(Agency.name) == "nspcc")) == 1
    foodbank = db.scalars(select(Agency).where(Agency.name == "Norwich Foodbank")).one()
    assert foodbank.sector is AgencySector.VOLUNTARY
    for name in ("Home-Start Norwich", "Norwich Foodbank", "NSPCC"):
        assert in_cycle(db, name) is not None
    invited = db.scalars(select(SentEmail.to).where(SentEmail.kind == "invitation")).all()
    assert set(invited) >= {
        "ann.other@homestart.example.org",
        "bob@foodbank.example.org",
        "cara.lee@nspcc.example.org",
    }
    written = set((var_dir / "outbox").glob("*.eml")) - outbox
    assert len(written) == 3
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "agencies_imported")).one()
    assert event.detail == {
        "rows": 3,
        "new_agencies": 2,
        "matched_agencies": 1,
        "invitations": 3,
    }
    assert confirm(client, path).status_code == 404  # the kept file is gone: once only


def test_an_excel_workbook_with_its_own_column_names_imports_the_same_way(client, db, coordinator):
    data = workbook(
        [
            ["Organisation", " SECTOR ", "Safeguarding lead", "Email"],
            ["Norfolk Youth Project", "Youth justice", "Dee Moss", "dee@nyp.example.org"],
            [None, None, None, None],
            ["Breckland Scouts", "voluntary", "Eli Fox", "Eli.Fox@scouts.example.org"],
        ]
    )
    response = upload(client, data, name="agencies.xlsx")
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    assert [row["id"] for row in page.select("tbody tr")] == ["line-2", "line-4"]
    response = confirm(client, confirm_path(response))
    assert response.headers["location"] == "/round/cycles/s11-2021?imported=2"
    scouts = db.scalars(select(Agency).where(Agency.name == "Breckland Scouts")).one()
    assert scouts.sector is AgencySector.VOLUNTARY
    assert in_cycle(db, "Norfolk Youth Project") is not None
    assert db.scalar(select(Invitation).where(Invitation.email == "eli.fox@scouts.example.org"))


def test_an_import_with_bad_rows_reports_each_row_and_saves_nothing(
    client, db, coordinator, settings
):
    before = saved(db)
    kept_before = set((settings.var_dir / "imports").glob("*"))
    data = (
        b"Agency,Sector,Lead name,Lead email\n"
        b"Home-Start Norwich,voluntary,Ann Other,\n"
        b"Norwich Foodbank,Charity,Bob Jones,bob@foodbank.example.org\n"
        b"home-start norwich,voluntary,Cara Lee,cara@homestart.example.org\n"
        b'"=HYPERLINK(""http://evil.example"",""Click"")",police,Dan Poe,dan@example.org\n'
        b"Good Agency,police,Eve Roe,eve@example.org\n"
    )
    response = upload(client, data)
    assert response.status_code == 400
    page = BeautifulSoup(response.text, "html.parser")
    summary = [item.get_text(strip=True) for item in page.select(".govuk-error-summary li")]
    assert summary == [
        "Line 2: Enter the safeguarding lead's email address",
        "Line 3: Charity is not a sector s11 knows: use one of Local authority children's "
        "services, Police, Health provider, Health commissioner / ICB, Education, Early years, "
        "District council, Voluntary, community and faith, Probation, Youth justice, Housing, "
        "Other",
        "Line 4: home-start norwich is already on line 2: list it once",
        "Line 5: Agency looks like a spreadsheet formula, which s11 does not accept",
    ]
    assert page.select_one("#line-5 .govuk-error-message")
    assert not page.select_one("#line-6 .govuk-error-message")
    assert "Nothing has been saved" in response.text
    assert page.select_one("form[action$='/confirm']") is None
    assert page.select_one(f"form[action='{IMPORT}'] input[type=file]")  # upload a corrected one
    assert saved(db) == before
    assert set((settings.var_dir / "imports").glob("*")) == kept_before


def test_a_file_of_ten_thousand_rows_is_refused_at_once_and_saves_nothing(client, db, coordinator):
    before = saved(db)
    rows = "".join(f"Agency {n},police,Lead {n},lead{n}@example.org\n" for n in range(10_000))
    started = time.monotonic()
    response = upload(client, ("Agency,Sector,Lead name,Lead email\n" + rows).encode())
    assert time.monotonic() - started < 5
    assert response.status_code == 400
    page = BeautifulSoup(response.text, "html.parser")
    summary = [item.get_text(strip=True) for item in page.select(".govuk-error-summary li")]
    assert summary == ["The file has 10,000 rows; s11 imports up to 2,000 agencies at a time"]
    assert saved(db) == before


def test_a_file_over_two_megabytes_is_refused_before_it_is_read(client, db, coordinator):
    response = upload(client, b"Agency,Sector,Lead name,Lead email\n" + b"x" * 2_200_000)
    assert response.status_code == 400
    assert "The file must be smaller than 2 MB" in response.text


def _broken_xlsx() -> bytes:
    whole = workbook([["Agency", "Sector", "Lead name", "Lead email"]])
    return whole[: len(whole) // 2]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("agencies.pdf", SMALL_PDF),
        ("agencies.csv", bytes(range(256)) * 8),
        ("agencies.xlsx", _broken_xlsx()),
        ("agencies.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512),
        ("agencies.csv", "Agency,Sector,Lead name,Lead email\n".encode("utf-16")),
        ("agencies.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
    ],
    ids=["pdf", "random-bytes", "broken-xlsx", "legacy-xls", "utf-16", "exe"],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_clearly(client, db, coordinator, name, data):
    before = saved(db)
    response = upload(client, data, name=name)
    assert response.status_code == 400
    page = BeautifulSoup(response.text, "html.parser")
    summary = [item.get_text(strip=True) for item in page.select(".govuk-error-summary li")]
    assert summary == ["The file is not a CSV or Excel (.xlsx) spreadsheet"]
    assert page.select_one("#file-error")  # said again beside the file input
    assert saved(db) == before


def test_a_file_without_a_lead_email_column_says_which_column_is_missing(client, coordinator):
    response = upload(client, b"Agency,Sector,Lead name\nNSPCC,voluntary,Ann\n")
    assert response.status_code == 400
    assert "The file has no Lead email column" in response.text


def test_confirming_an_import_whose_file_is_gone_or_was_never_made_is_not_found(
    client, db, coordinator, settings
):
    path = confirm_path(upload(client, GOOD_CSV))
    token = path.split("/")[-2]
    (settings.var_dir / "imports" / f"{token}.upload").unlink()
    before = saved(db)
    assert confirm(client, path).status_code == 404
    for other in ("A" * 22, "short", "x" * 41, "bad.token.with.dots.in.it"):
        assert confirm(client, f"{IMPORT}/{other}/confirm").status_code == 404
    assert saved(db) == before


def test_a_kept_file_changed_before_confirmation_is_checked_again_and_refused(
    client, db, coordinator, settings
):
    path = confirm_path(upload(client, GOOD_CSV))
    token = path.split("/")[-2]
    (settings.var_dir / "imports" / f"{token}.upload").write_bytes(
        b"Agency,Sector,Lead name,Lead email\nHome-Start Norwich,voluntary,Ann,=1+1\n"
    )
    before = saved(db)
    response = confirm(client, path)
    assert response.status_code == 400
    assert "Lead email looks like a spreadsheet formula" in response.text
    assert saved(db) == before


def test_another_partnerships_coordinator_finds_no_import_for_this_cycle(client, db, demo):
    norfolk_only = "/round/cycles/s11-2020/import"  # this year's round is joint with Suffolk
    sign_in(client, person_by_email(db, COORDINATOR))
    path = confirm_path(upload(client, GOOD_CSV, url=norfolk_only))
    sign_in(client, person_by_email(db, "coordinator@ssp.example.org"))
    before = saved(db)
    assert client.get(norfolk_only).status_code == 404
    assert confirm(client, path).status_code == 404
    assert saved(db) == before


# The reading and checking rules, without the pages ------------------------------------------


def test_semicolons_tabs_and_a_byte_order_mark_are_read_with_rows_numbered_as_excel_shows():
    for delimiter in (";", "\t"):
        text = delimiter.join(["\ufeffAgency Name", "SECTOR", "Lead Name", "Lead Email"]) + "\n"
        text += "\n" + delimiter.join(["Police One", "POLICE", "Ann", "ann@police.example"]) + "\n"
        result = importing.read_agency_file(text.encode())
        assert result.ready
        [row] = result.rows
        assert (row.line, row.agency, row.sector) == (3, "Police One", AgencySector.POLICE)


def test_a_cell_starting_with_a_tab_or_a_sign_is_taken_for_a_formula():
    heading = "Agency,Sector,Lead name,Lead email\n"
    for cell in ("\t=1", "+44 1603", "-1", "@SUM(A1)", " =A1"):
        result = importing.read_agency_file(f'{heading}"{cell}",police,Ann,a@b.org\n'.encode())
        [row] = result.rows
        assert row.errors == ["Agency looks like a spreadsheet formula, which s11 does not accept"]


def test_applying_an_import_with_a_row_in_error_is_refused(db, demo):
    result = importing.read_agency_file(b"Agency,Sector,Lead name,Lead email\nA,police,B,nope\n")
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    before = saved(db)
    with pytest.raises(CycleError):
        importing.apply_import(
            db,
            cycle=cycle,
            partnership=norfolk,
            rows=result.rows,
            actor=person_by_email(db, COORDINATOR),
            base_url="http://localhost",
        )
    assert saved(db) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda: zip_bomb(60, part="xl/workbook.xml"), "The file unpacks to more than 50 MB"),
        (lambda: zip_bomb(5, part="xl/workbook.xml"), "packed in a way no Office program saves"),
        (lambda: many_parts(1001, part="xl/workbook.xml"), "The file holds 1,001 parts"),
    ],
    ids=["60-MB-of-zeros", "packed-1000-to-1", "1001-parts"],
)
def test_a_workbook_that_would_unpack_too_far_is_refused_before_it_is_opened(
    client, db, coordinator, data, message
):
    before = saved(db)
    response = upload(client, data(), name="agencies.xlsx")
    assert response.status_code == 400
    page = BeautifulSoup(response.text, "html.parser")
    assert message in page.select_one(".govuk-error-summary").get_text()
    assert message in page.select_one("#file-error").get_text()
    assert saved(db) == before
