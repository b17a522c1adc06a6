"""A round of 600 schools in Chromium: the coordinator finds one school by its name and the
"not started" filter, by keyboard alone, with zero axe-core violations, with JavaScript (HTMX
swaps the results) and without it (the same GET form loads a page)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import assert_accessible, run_cli, serve, server_env, sign_in_as
from tests.browser.test_panels import assert_accessible_without_javascript

SCHOOL = "Grown School 00300"  # not started: every sixth school from the first is


@pytest.fixture(scope="module")
def base_url(
    tmp_path_factory: pytest.TempPathFactory, smtp_server, oidc_provider: str
) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("large-round-var")
    env, url = server_env(var_dir, smtp_server[1], oidc_provider)
    run_cli(env, "migrate")
    run_cli(env, "demo", "--returns", "642")  # the joint demo round's 42 and 600 schools
    yield from serve(var_dir, env, url)


def _find_by_keyboard(page: Page, assert_accessible: Callable[[Page], None]) -> None:
    sign_in_as(page, "Priya Shah")
    page.goto("/round/cycles/s11-2021")
    expect(page.locator("#results-count")).to_contain_text("of 638 returns")
    assert_accessible(page)
    page.get_by_label("Search by agency name").focus()
    page.keyboard.type("school 00300")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Status", exact=True)).to_be_focused()
    page.keyboard.type(
        "Not started"
    )  # a closed select chooses by typing, as a screen reader user does
    expect(page.get_by_label("Status", exact=True)).to_have_value("not_started")
    apply = page.get_by_role("button", name="Apply filters")
    for _ in range(8):  # past the other filters and the sort, to the button
        page.keyboard.press("Tab")
        if apply.evaluate("button => button === document.activeElement"):
            break
    page.keyboard.press("Enter")
    expect(page.locator("#results-count")).to_have_text(
        "Showing 1 to 1 of 1 returns “school 00300”, filtered."
    )
    found = page.locator("#results table").first.locator("tbody tr")
    expect(found).to_have_count(1)
    expect(found).to_contain_text(SCHOOL)
    assert "status=not_started" in page.url  # the filtered list has an address to share
    assert_accessible(page)


def test_a_coordinator_finds_one_school_among_600_by_keyboard(page: Page):
    _find_by_keyboard(page, assert_accessible)


def test_a_coordinator_finds_one_school_among_600_without_javascript(
    page_without_javascript: Page, browser: Browser, base_url: str
):
    _find_by_keyboard(
        page_without_javascript,
        lambda page: assert_accessible_without_javascript(page, browser, base_url),
    )
