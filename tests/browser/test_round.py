"""The coordinator's round pages in Chromium: each one reached by its links, refused input
shown with the GOV.UK error summary, and zero axe-core violations on every page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, sign_in_as


def test_a_coordinator_can_reach_every_round_page_and_each_is_accessible(page: Page):
    sign_in_as(page, "Priya Shah")  # the demo coordinator of Norfolk
    page.get_by_role("link", name="Round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cycles")
    assert_accessible(page)
    page.get_by_role("link", name="Section 11 2021", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Section 11 2021")
    expect(page.locator("main")).to_contain_text("6 of 38 agencies have submitted")
    assert_accessible(page)
    dashboard = page.url

    page.get_by_label("Status", exact=True).select_option("submitted")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results tbody tr")).to_have_count(2)
    assert_accessible(page)

    page.goto(dashboard)
    page.get_by_role("link", name="Change the cycle").click()
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a name for the cycle")
    assert_accessible(page)

    page.goto(dashboard)
    page.get_by_role("button", name="Add an agency").click()
    assert_accessible(page)
    page.get_by_role("button", name="Add the agency and invite its lead").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)

    page.goto(dashboard)
    page.get_by_role("button", name="Import agencies").click()
    assert_accessible(page)

    page.goto(dashboard)
    page.locator("a[href^='/round/returns/'][href$='/extend']").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Extend the deadline")
    assert_accessible(page)

    page.goto(dashboard)
    page.locator("a", has_text="Extend their deadline").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Extend their deadline")
    assert_accessible(page)

    page.goto(dashboard)
    page.get_by_role("link", name="Emails sent").click()
    assert_accessible(page)

    page.goto("/round/cycles/new")
    assert_accessible(page)


# One agency with a sector s11 does not know (line 3), then the same file corrected.
IMPORT_WITH_A_BAD_ROW = (
    "Agency,Sector,Lead name,Lead email\n"
    "Wymondham Youth Project,Voluntary,Rhiannon Day,rhiannon.day@wyp.example.org\n"
    "Dereham Sea Cadets,Navy,Ola Brook,ola.brook@cadets.example.org\n"
)
CORRECTED_IMPORT = IMPORT_WITH_A_BAD_ROW.replace(",Navy,", ",Voluntary,")


def _choose_file(page: Page, label: str, text: str) -> None:
    page.get_by_label(label).set_input_files(
        files=[{"name": "agencies.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )


def test_a_coordinator_checks_an_import_row_by_row_then_confirms_it_by_keyboard(page: Page):
    sign_in_as(page, "Priya Shah")
    page.get_by_role("link", name="Round").click()
    page.get_by_role("link", name="Section 11 2021", exact=True).click()
    page.get_by_role("button", name="Import agencies").click()
    _choose_file(page, "Spreadsheet of agencies", IMPORT_WITH_A_BAD_ROW)
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the agencies to import")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Line 3: Navy is not a sector")
    expect(page.locator("#line-2")).to_contain_text("New")
    expect(page.get_by_role("button", name="Confirm and invite 2 leads")).to_have_count(0)
    assert_accessible(page)

    _choose_file(page, "Corrected spreadsheet of agencies", CORRECTED_IMPORT)
    page.get_by_role("button", name="Check the corrected file").click()
    confirm = page.get_by_role("button", name="Confirm and invite 2 leads")
    expect(confirm).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    assert_accessible(page)

    confirm.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Section 11 2021")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("2 agencies imported")
    expect(page.locator("main")).to_contain_text("Dereham Sea Cadets")
    assert_accessible(page)
