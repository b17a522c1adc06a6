"""The return as a workbook in Chromium: a lead downloads it, fills it in through a real
spreadsheet program while a colleague changes one of the same answers online, uploads it back
with JavaScript turned off, and keeps the colleague's text where the two met."""

from __future__ import annotations

import io
import re
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import assert_accessible, sign_in_as
from tests.returns.test_workbook_libreoffice import through_libreoffice

LEAD = "Amira Dunmore"  # the demo lead of Norfolk County Council Children's Services
COLLEAGUE = "Kiran Patel"  # a contributor at the same agency
RETURN = "Norfolk County Council Children's Services: Section 11 2021"
FROM_WORKBOOK = {
    "neglect-narrative": "Neglect strategy reviewed at every quarterly board.",
    "exploitation-narrative": "Exploitation screening in all front-door contacts.",
    "transitional-safeguarding": "A 16 to 25 pathway with adult services.",
    "trauma-narrative": "Trauma training for every new starter.",
    "priorities-training#0": "Neglect toolkit refresher",
}
CLASHING = "trauma-narrative"


def filled_in(data: bytes, work: Path) -> bytes:
    """The workbook with five answers typed in, as LibreOffice Calc saves it."""
    book = load_workbook(io.BytesIO(data))
    sheet = book[book.sheetnames[1]]
    rows = {row[0].value: row[0].row for row in sheet.iter_rows(min_row=2) if row[0].value}
    for question_id, text in FROM_WORKBOOK.items():
        sheet[f"D{rows[question_id]}"] = text
    out = io.BytesIO()
    book.save(out)
    return through_libreoffice(out.getvalue(), work)


def assert_markup_accessible(checker: Page, html: str) -> None:
    """Zero axe violations on markup a page without JavaScript was shown (axe itself needs
    JavaScript): served again, as it was, to a page that has it."""
    checker.route("**/__as-shown", lambda route: route.fulfill(body=html, content_type="text/html"))
    checker.goto("/__as-shown")
    assert_accessible(checker)


def test_a_workbook_filled_offline_applies_four_answers_and_keeps_a_colleagues_newer_one(
    page_without_javascript: Page, browser: Browser, base_url: str, tmp_path: Path
):
    page = page_without_javascript
    sign_in_as(page, LEAD)
    page.get_by_role("link", name="Returns").click()
    page.get_by_role("link", name=RETURN).click()
    task_list = page.url
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download the return as a workbook")).click()
    workbook = filled_in(Path(download.value.path()).read_bytes(), tmp_path)
    section = page.locator(".govuk-task-list__link").first.get_attribute("href")

    colleague = browser.new_context(base_url=base_url).new_page()
    sign_in_as(colleague, COLLEAGUE)
    colleague.goto(section)
    colleague.locator(f"textarea[name='{CLASHING}']").fill("Written online by a colleague.")
    colleague.get_by_role("button", name="Save and continue").click()
    expect(colleague).not_to_have_url(re.compile(re.escape(section) + "$"))
    checker = colleague  # a page with JavaScript, which axe needs

    page.goto(task_list)
    page.get_by_role("link", name="Upload a filled-in workbook").click()
    assert_markup_accessible(checker, page.content())
    page.get_by_label("Workbook (.xlsx)").set_input_files(
        {"name": "return.xlsx", "mimeType": "application/octet-stream", "buffer": workbook}
    )
    page.get_by_role("button", name="Check the changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the changes from the workbook")
    clean = page.locator("table", has_text="From the workbook").locator("tbody tr")
    expect(clean).to_have_count(4)
    conflict = page.locator("fieldset")
    expect(conflict).to_have_count(1)
    expect(conflict).to_contain_text("Written online by a colleague.")
    expect(conflict).to_contain_text(FROM_WORKBOOK[CLASHING])
    assert_markup_accessible(checker, page.content())

    conflict.get_by_label("Keep the online answer").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Apply these changes").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("4 changes applied")
    assert_markup_accessible(checker, page.content())
    histories = page.locator("main ul").first.get_by_role("link")
    expect(histories).to_have_count(4)
    for href in [histories.nth(i).get_attribute("href") for i in range(4)]:
        page.goto(href)
        expect(page.locator("tbody tr").first).to_contain_text(f"From workbook, uploaded by {LEAD}")

    page.goto(section)
    expect(page.locator(f"textarea[name='{CLASHING}']")).to_have_value(
        "Written online by a colleague."
    )
    expect(page.locator("textarea[name='neglect-narrative']")).to_have_value(
        FROM_WORKBOOK["neglect-narrative"]
    )
    checker.context.close()
