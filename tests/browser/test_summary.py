"""The chair's round summary in Chromium: reached from the navigation, every chart with its
text alternative and its table, zero axe-core violations, the same without JavaScript, and the
workbooks downloaded from it open in Excel's format."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import assert_accessible, sign_in_as
from tests.browser.test_panels import assert_accessible_without_javascript


def test_the_chair_reads_the_round_summary_and_downloads_its_workbooks(page: Page):
    sign_in_as(page, "Jonathan Ellery")  # the demo's independent chair of Norfolk
    page.get_by_role("link", name="Summary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Round summaries")
    assert_accessible(page)
    page.get_by_role("link", name="Section 11 2021").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Section 11 2021: summary")
    for chart in (
        "Returns received against invited, by sector",
        "Agreed ratings by section",
        "Self ratings by section",
    ):
        expect(page.get_by_role("img", name=chart)).to_be_visible()
    expect(
        page.get_by_role("table", name="Agreed ratings by section: number of ratings")
    ).to_contain_text("Inadequate")
    expect(
        page.get_by_role("table", name="Change by agency since Section 11 2020")
    ).to_contain_text("Norfolk Fire and Rescue Service")
    assert_accessible(page)

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Scored returns (Excel workbook)").click()
    download = downloading.value
    assert download.suggested_filename.startswith("s11-2021-scored-returns-")
    saved = Path(download.path()).read_bytes()  # kept without its name's .xlsx
    assert load_workbook(io.BytesIO(saved)).sheetnames[:2] == ["Cover", "Summary"]


def test_the_round_summary_works_without_javascript(
    page_without_javascript: Page, browser: Browser, base_url: str
):
    page = page_without_javascript
    sign_in_as(page, "Jonathan Ellery")
    page.goto("/summary/s11-2021")
    expect(
        page.get_by_role("table", name="Returns received against invited, by sector")
    ).to_contain_text("Voluntary, community and faith")
    expect(page.get_by_role("img", name="Agreed ratings by section")).to_be_visible()
    # axe needs JavaScript: it checks a copy of the page as served, in a page that runs it.
    assert_accessible_without_javascript(page, browser, base_url)
