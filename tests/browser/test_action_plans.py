"""Action plans in Chromium: the lead writes and submits a plan by keyboard, the coordinator
returns it and then agrees it, progress goes on record, the Composite Action Plan and the
chair's page of actions needing attention; zero axe-core violations on every page.

Agreeing a plan moves a return on for good, so this runs its own s11 on a copy of the demo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import load_demo, serve_a_copy, sign_in_as
from tests.browser.test_panels import assert_accessible, focused, tab_to

COORDINATOR = "Priya Shah"
CHAIR = "Jonathan Ellery"
YOUTH_JUSTICE_LEAD = "Chloe Shaw"  # the demo's 2021 return with feedback issued
NSPCC_LEAD = "Grace Gill"  # NSPCC's plan was agreed last year


@pytest.fixture(scope="module")
def demo_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_demo(tmp_path_factory, "action-plans")


@pytest.fixture
def base_url(
    tmp_path_factory: pytest.TempPathFactory, demo_var: Path, smtp_server, oidc_provider: str
) -> Iterator[str]:
    yield from serve_a_copy(tmp_path_factory, demo_var, smtp_server, oidc_provider, "action-plans")


def test_an_action_plan_from_writing_to_agreement_and_progress_is_accessible_by_keyboard(
    page: Page,
):
    # 1. The lead opens the plan from the return and adds an action by keyboard alone.
    sign_in_as(page, YOUTH_JUSTICE_LEAD)
    page.goto("/returns")
    page.get_by_role("link", name=re.compile("Section 11 2021")).first.click()
    page.get_by_role("link", name="Your action plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plan")
    assert_accessible(page)
    page.get_by_role("link", name="Add an action for recommendation 2").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an action")
    assert_accessible(page)
    page.get_by_role("button", name="Add the action").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter who owns the action")
    assert_accessible(page)
    due = date.today() + timedelta(days=120)
    tab_to(page, "description")
    page.keyboard.type("Name an exploitation lead for the monthly multi-agency meeting.")
    for name, text in (
        ("owner", "Head of Youth Justice"),
        ("due-day", str(due.day)),
        ("due-month", str(due.month)),
        ("due-year", str(due.year)),
        ("success_measure", "Minutes show the lead at every meeting."),
    ):
        page.keyboard.press("Tab")
        assert focused(page) == name
        page.keyboard.type(text)
    page.keyboard.press("Tab")
    assert focused(page, "innerText") == "Add the action"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plan")
    expect(page.locator("main")).to_contain_text("Name an exploitation lead")
    page.get_by_role("button", name="Submit the action plan").click()
    expect(page.locator("main")).to_contain_text("Waiting for agreement")
    assert_accessible(page)

    # 2. The coordinator returns it with comments, from the cycle's dashboard.
    sign_in_as(page, COORDINATOR)
    page.goto("/round/cycles/s11-2021")
    page.get_by_role("link", name="Action plan of Norfolk Youth Justice Service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plan")
    assert_accessible(page)
    page.get_by_label("Return it to the agency with comments").check()
    page.get_by_role("button", name="Save the decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter comments")
    assert_accessible(page)
    page.get_by_label("Comments for the agency").fill("Say who checks practice has changed.")
    page.get_by_role("button", name="Save the decision").click()
    expect(page.locator("main")).to_contain_text("Returned with comments")

    # 3. The lead reads the comments and submits again; the coordinator agrees.
    sign_in_as(page, YOUTH_JUSTICE_LEAD)
    page.goto("/returns")
    page.get_by_role("link", name=re.compile("Section 11 2021")).first.click()
    page.get_by_role("link", name="Your action plan").click()
    expect(page.locator("main")).to_contain_text("Say who checks practice has changed.")
    assert_accessible(page)
    page.get_by_role("button", name="Submit the action plan").click()
    sign_in_as(page, COORDINATOR)
    page.goto("/round/cycles/s11-2021")
    page.get_by_role("link", name="Action plan of Norfolk Youth Justice Service").click()
    page.get_by_label("Agree the plan").check()
    page.get_by_role("button", name="Save the decision").click()
    expect(page.locator("main")).to_contain_text("Status: Agreed")

    # 4. Progress: the lead opens an action and records an update.
    sign_in_as(page, YOUTH_JUSTICE_LEAD)
    page.goto("/returns")
    page.get_by_role("link", name=re.compile("Section 11 2021")).first.click()
    page.get_by_role("link", name="Your action plan").click()
    page.get_by_role("link", name=re.compile("Name an exploitation lead")).click()
    assert_accessible(page)
    page.get_by_label("At risk").check()
    page.get_by_label("Progress note").fill("The lead post is vacant until March.")
    page.get_by_role("button", name="Save the update").click()
    history = page.locator("#history + ol")
    expect(history).to_contain_text("The lead post is vacant until March.")
    expect(page.locator("main .govuk-summary-list").first).to_contain_text("At risk")
    assert_accessible(page)

    # 5. The chair sees it among the actions needing attention.
    sign_in_as(page, CHAIR)
    page.get_by_role("link", name="Action plans").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plans")
    expect(page.locator("main")).to_contain_text("Name an exploitation lead")
    assert_accessible(page)
    # Narrowed to those at risk by keyboard: Enter in the search box applies the filters.
    page.select_option("#filter-status", "at_risk")
    tab_to(page, "q")
    page.keyboard.press("Enter")
    expect(page.locator("#results-count")).to_contain_text("actions, filtered")
    expect(page.locator("#results")).to_contain_text("Name an exploitation lead")
    expect(page.locator("#results tbody")).not_to_contain_text("Overdue")
    assert_accessible(page)
    page.get_by_role("link", name="Section 11 2020: Composite Action Plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Composite Action Plan")
    expect(page.get_by_role("table", name="Open actions by theme at each date")).to_be_visible()
    assert_accessible(page)


def test_last_years_actions_get_a_final_update_in_this_years_return(page: Page):
    sign_in_as(page, NSPCC_LEAD)
    page.goto("/returns")
    page.get_by_role("link", name=re.compile("Section 11 2021")).first.click()
    page.get_by_role("link", name=re.compile("Progress against last year")).click()
    expect(page.locator("main")).to_contain_text("Last year's action plan")
    assert_accessible(page)
    first = page.locator(".govuk-summary-card").first
    first.get_by_role("button", name="Save the update").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a progress note")
    assert_accessible(page)
    first = page.locator(".govuk-summary-card").first
    first.get_by_label("Complete").check()
    first.get_by_label("Progress note").fill("17 of 20 audited cases were good.")
    first.get_by_role("button", name="Save the update").click()
    expect(page.locator(".govuk-summary-card").first).to_contain_text("Your final update")
    assert_accessible(page)
