"""Retention and erasure pages in Chromium, by keyboard and mouse, zero axe-core violations:
a coordinator sets how long closed rounds are kept, and reads what erasing someone changes
before anything happens (the walk erases nobody, as other browser tests share the demo)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, sign_in_as


def test_a_coordinator_sets_retention_by_keyboard_and_reads_an_erasure_before_it_happens(
    page: Page,
):
    sign_in_as(page, "Priya Shah")  # the demo's Norfolk coordinator
    page.get_by_role("link", name="People", exact=True).click()
    page.get_by_role("link", name="How long closed rounds are kept").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Keeping closed rounds")
    assert_accessible(page)

    field = page.get_by_label("Keep evidence files and answer histories for")
    field.fill("none")
    field.press("Enter")  # the form sends by keyboard
    expect(page.locator(".govuk-error-summary")).to_contain_text("from 1 to 50")
    assert_accessible(page)
    page.get_by_label("Keep evidence files and answer histories for").fill("6")
    page.get_by_role("button", name="Save the period").press("Enter")
    expect(page.get_by_text("The retention period is saved")).to_be_visible()

    page.goto("/people?role=contributor")
    page.locator("a", has_text="Erase").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Erase ")
    expect(page.get_by_text("former member").first).to_be_visible()
    expect(page.get_by_text("This cannot be undone")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
