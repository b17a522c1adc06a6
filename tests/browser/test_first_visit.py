"""A first visit in real Chromium: sign in, home, sign out, by keyboard and without JavaScript."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible


def focused_text(page: Page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.innerText || '' : ''")


def tab_to(page: Page, predicate, *, limit: int = 40) -> None:
    """Press Tab until the focused element satisfies the predicate (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if predicate(page):
            return
    raise AssertionError(f"could not reach the element by Tab on {page.url}")


def test_a_keyboard_user_signs_in_reaches_home_and_signs_out_with_no_axe_violations(page: Page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/$"))
    assert_accessible(page)

    page.keyboard.press("Tab")
    assert focused_text(page) == "Skip to main content"
    tab_to(page, lambda p: focused_text(p) == "Sign in as a demo person")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in as a demo person")
    assert_accessible(page)
    tab_to(page, lambda p: p.evaluate("document.activeElement.type") == "radio")
    page.keyboard.press("Space")
    chosen = page.evaluate("document.activeElement.labels[0].innerText")
    tab_to(page, lambda p: focused_text(p) == "Sign in")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your Section 11 work")
    expect(page.locator("main")).to_contain_text(f"Signed in as {chosen.strip()}")
    assert_accessible(page)

    tab_to(page, lambda p: focused_text(p) == "Sign out")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_signing_in_works_with_javascript_turned_off(page_without_javascript: Page):
    page = page_without_javascript
    page.goto("/dev/sign-in")
    page.get_by_label("Priya Shah").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Section 11 work")
    expect(page.locator("main")).to_contain_text("Norfolk Safeguarding Children Partnership")


def test_the_error_summary_takes_focus_and_links_to_the_question(page: Page):
    page.goto("/dev/sign-in")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Select the demo person you want to sign in as")
    assert_accessible(page)
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.name") == "person_id"


def test_the_not_found_page_is_accessible(page: Page):
    response = page.goto("/no/such/page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)


def test_the_header_shows_the_partnership_brand_after_sign_in(page: Page):
    page.goto("/dev/sign-in")
    page.get_by_label("Priya Shah").check()
    page.get_by_role("button", name="Sign in").click()
    header = page.locator(".govuk-generic-header")
    expect(header).to_contain_text("NSCP")
    expect(header).to_have_css("background-color", "rgb(76, 44, 146)")
