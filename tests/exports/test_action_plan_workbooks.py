"""The action plans and the Composite Action Plan as workbooks: every agreed action with its
recommendation and status colour, the partnership's own items, and the open-by-theme counts."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.actions import composite
from app.cycle_models import Cycle
from app.directory.models import Partnership
from tests.conftest import lead_of, person_by_email, sign_in
from tests.exports.conftest import cover_facts, rows_of, sheet_xml, workbook_of

COORDINATOR = "coordinator@nscp.example.org"
CHAIR = "chair@nscp.example.org"
GREEN_TINT = "00CCE2D8"
RED_TINT = "00F4CDC6"


def test_the_chair_gets_every_agreed_action_with_its_recommendation_and_status_colour(
    client, db, demo
):
    sign_in(client, person_by_email(db, CHAIR))
    book = workbook_of(client.get("/exports/s11-2020/action-plans"))
    assert book.sheetnames == ["Cover", "Action plans"]
    sheet = book["Action plans"]
    rows = rows_of(sheet)
    header = list(rows[0])
    assert header[:3] == ["Agency", "Worry statement", "Safety goal"]
    assert {"Action", "Owner", "Due", "Status", "Latest progress note"} <= set(header)
    agencies = {row["Agency"] for row in rows}
    assert len(agencies) == 5  # the five agreed plans; returned and waiting ones are not in it
    assert "Great Yarmouth Borough Council" not in agencies
    # An action said to be on track but past its due date shows as overdue, in red.
    overdue = [i for i, row in enumerate(rows, start=2) if row["Status"] == "Overdue"]
    assert overdue
    status_column = header.index("Status") + 1
    assert sheet.cell(overdue[0], status_column).fill.fgColor.rgb == RED_TINT
    on_track = [i for i, row in enumerate(rows, start=2) if row["Status"] == "On track"]
    assert sheet.cell(on_track[0], status_column).fill.fgColor.rgb == GREEN_TINT
    assert sheet.freeze_panes == "A2"
    assert cover_facts(book)["Cycle"].startswith("Section 11 2020")


def test_the_composite_action_plan_workbook_counts_open_actions_as_the_page_does(client, db, demo):
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2020")).one()
    coordinator = person_by_email(db, COORDINATOR)
    risky = '=HYPERLINK("http://example.org","audit")'
    composite.add_item(
        db,
        cycle=cycle,
        partnership=norfolk,
        draft=composite.ItemDraft(
            "independent_scrutiny",
            risky,
            cycle.themes[0],
            cycle.priorities[0],
            "@owner",
            date.today() + timedelta(days=30),
            "+report",
        ),
        actor=coordinator,
    )
    sign_in(client, coordinator)
    response = client.get("/exports/s11-2020/composite-action-plan")
    book = workbook_of(response)
    assert book.sheetnames == ["Cover", "Composite Action Plan", "Open by theme"]
    items = rows_of(book["Composite Action Plan"])
    sources = {row["Source"] for row in items}
    assert {"Section 11", "Multi-agency audit", "Independent scrutiny"} <= sources
    mine = next(row for row in items if row["Source"] == "Independent scrutiny")
    assert mine["Action"] == "'" + risky  # text, never a formula: Excel's quote prefix
    for name, xml in sheet_xml(response.content).items():
        assert "<f>" not in xml and "<f " not in xml, f"a formula in {name}"
    plan = composite.composite_plan(db, cycle=cycle, partnership=norfolk)
    dates = composite.default_dates(cycle, date.today())
    counts, totals = composite.open_by_theme(db, plan=plan, dates=dates)
    by_theme = {row["Theme"]: list(row.values())[2:] for row in rows_of(book["Open by theme"])}
    for row in counts:
        assert by_theme[row.theme] == row.open_at
    assert by_theme["All themes"] == totals


def test_an_agency_lead_cannot_download_the_partnerships_action_plans(client, db, demo):
    sign_in(client, lead_of(db, "NSPCC"))
    assert client.get("/exports/s11-2020/action-plans").status_code == 404
    assert client.get("/exports/s11-2020/composite-action-plan").status_code == 404
