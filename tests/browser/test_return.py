"""An agency lead fills in a section of the demo return in Chromium, by keyboard alone."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, sign_in_as
from tests.conftest import SMALL_PDF


def test_a_lead_fills_a_section_by_keyboard_reloads_and_sees_every_answer(page: Page):
    sign_in_as(page, "Ben Khan")  # the demo lead of Norfolk Constabulary
    page.get_by_role("link", name="Returns").click()
    assert_accessible(page)
    page.get_by_role("link", name="Norfolk Constabulary: Section 11 2021").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Section 11 2021")
    assert_accessible(page)
    page.locator(".govuk-task-list__link").first.click()
    expect(page).to_have_url(re.compile(r"/sections/"))  # axe must not run mid-navigation
    expect(page.locator("main textarea").first).to_be_visible()
    assert_accessible(page)
    section_url = page.url

    first_text = page.locator("main textarea").first
    first_text.focus()
    page.keyboard.press("Control+A")  # whatever an earlier test left there is typed over
    page.keyboard.type("Our neglect strategy is reviewed every quarter.")
    page.locator("main input[type=radio]").first.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save and continue").focus()
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(section_url)  # saved, and on to the next section

    page.goto(section_url)
    page.reload()
    expect(page.locator("main textarea").first).to_have_value(
        "Our neglect strategy is reviewed every quarter."
    )
    expect(page.locator("main input[type=radio]").first).to_be_checked()


def test_check_answers_and_an_answers_history_are_accessible(page: Page):
    sign_in_as(page, "Ben Khan")
    page.get_by_role("link", name="Returns").click()
    page.get_by_role("link", name="Norfolk Constabulary: Section 11 2021").click()
    task_list = page.url
    page.locator(".govuk-task-list__link").first.click()
    section = page.url
    text_box = page.locator("main textarea").first
    question_id = text_box.get_attribute("name")
    text_box.fill("An answer with a history.")
    page.get_by_role("button", name="Save and continue").click()
    page.goto(section)
    block = page.locator(".s11-question", has=page.locator(f"textarea[name='{question_id}']"))
    block.get_by_role("link", name="See its history").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History of an answer")
    expect(page.locator("tbody")).to_contain_text("An answer with a history.")
    assert_accessible(page)
    page.goto(task_list)
    page.get_by_role("link", name="Check your answers and submit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    assert_accessible(page)


def test_with_javascript_each_answer_saves_itself_as_the_person_types(page: Page):
    sign_in_as(page, "Ben Khan")
    page.get_by_role("link", name="Returns").click()
    page.get_by_role("link", name="Norfolk Constabulary: Section 11 2021").click()
    page.locator(".govuk-task-list__link").nth(1).click()
    text_box = page.locator("main textarea").first
    question_id = text_box.get_attribute("name")
    text_box.focus()
    page.keyboard.type("Saved without pressing a button.")
    expect(page.locator(f"#autosave-{question_id}")).to_contain_text("Saved at", timeout=10_000)
    assert_accessible(page)
    page.reload()
    expect(page.locator("main textarea").first).to_have_value("Saved without pressing a button.")


def test_the_print_view_is_accessible(page: Page):
    sign_in_as(page, "Ben Khan")
    page.get_by_role("link", name="Returns").click()
    page.get_by_role("link", name="Norfolk Constabulary: Section 11 2021").click()
    page.get_by_role("link", name="Read-only view for printing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Section 11 2021")
    assert_accessible(page)


def _fill_first_section_by_keyboard(page: Page, text: str) -> str:
    page.get_by_role("link", name="Returns").click()
    page.get_by_role("link", name="British Transport Police: Section 11 2021").click()
    page.locator(".govuk-task-list__link").first.click()
    section_url = page.url
    page.locator("main textarea").first.focus()
    page.keyboard.press("Control+A")  # replace whatever an earlier test left there
    page.keyboard.type(text)
    page.locator("main input[type=radio]").first.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save and continue").focus()
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(section_url)
    return section_url


def test_a_contributor_fills_a_section_by_keyboard_with_javascript(page: Page):
    sign_in_as(page, "Marcus Joyce")  # contributor at British Transport Police
    section_url = _fill_first_section_by_keyboard(page, "Written by a contributor.")
    page.goto(section_url)
    page.reload()
    expect(page.locator("main textarea").first).to_have_value("Written by a contributor.")
    expect(page.locator("main input[type=radio]").first).to_be_checked()
    assert_accessible(page)


def test_a_contributor_fills_a_section_without_javascript_and_cannot_submit(
    page_without_javascript: Page,
):
    page = page_without_javascript
    page.goto("/dev/sign-in")
    page.get_by_label("Marcus Joyce").check()
    page.get_by_role("button", name="Sign in").click()
    section_url = _fill_first_section_by_keyboard(page, "Typed with JavaScript turned off.")
    page.goto(section_url)
    expect(page.locator("main textarea").first).to_have_value("Typed with JavaScript turned off.")
    expect(page.locator("main input[type=radio]").first).to_be_checked()
    expect(page.locator("main")).to_contain_text("Last changed")
    page.goto(section_url.split("/sections/")[0] + "/check")
    expect(page.locator("main")).to_contain_text("Only your agency's safeguarding lead can submit")


def test_the_conflict_shown_when_two_tabs_change_one_answer_is_axe_clean(page: Page):
    """Two tabs on the same answer: the second save finds the first's and shows both; the page
    then passes axe, best-practice rules (heading order) included."""
    sign_in_as(page, "Ben Khan")
    page.get_by_role("link", name="Returns").click()
    page.get_by_role("link", name="Norfolk Constabulary: Section 11 2021").click()
    page.locator(".govuk-task-list__link").first.click()
    expect(page).to_have_url(re.compile(r"/sections/"))
    section_url = page.url
    # This tab saves only with the form, as without JavaScript, so its save meets the other's.
    page.route("**/autosave/**", lambda route: route.abort())
    other = page.context.new_page()
    other.goto(section_url)
    other.locator("main textarea").first.fill("Written in the other tab first.")
    # With a file beside an answer, the section shows its Evidence heading too.
    other.locator("main input[type=file]").first.set_input_files(
        {"name": "policy.pdf", "mimeType": "application/pdf", "buffer": SMALL_PDF}
    )
    other.get_by_role("button", name="Save and continue").click()
    expect(other).not_to_have_url(section_url)
    other.close()

    page.locator("main textarea").first.fill("Written in this tab, later.")
    page.get_by_role("button", name="Save and continue").click()
    conflict = page.locator(".s11-conflict").first
    expect(conflict).to_contain_text("Someone else changed this answer while you were working")
    expect(conflict).to_contain_text("Written in the other tab first.")
    assert_accessible(page)
