"""Follow-up questions in Chromium: on the demo's Norfolk 2021 return, "No" to seeing children in
person asks how they were seen, and a change in referrals asks why. With JavaScript they open and
close as the answer changes, by keyboard; without it, Save and continue comes back to show them."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import assert_accessible, sign_in_as
from tests.browser.test_panels import assert_accessible_without_javascript

SEEN = "Where there have been safeguarding concerns, have practitioners continued to see"
HOW_SEEN = "How have you made sure that those children were seen and heard?"
REFERRALS = "how has the number of safeguarding referrals"
WHY_CHANGED = "What do you think explains the change, and what have you done about it?"


class CovidSection:
    """The return's Covid-19 section, as its lead sees it."""

    def __init__(self, page: Page, agency: str) -> None:
        self.page = page
        page.get_by_role("link", name="Returns").click()
        page.get_by_role("link", name=f"{agency}: Section 11 2021").click()
        page.get_by_role(
            "link", name=re.compile("Safeguarding practice and staff well-being")
        ).click()
        expect(page).to_have_url(re.compile(r"/sections/covid-19"))
        self.url = page.url.split("?")[0]

    def choice(self, question: str, label: str) -> Locator:
        group = self.page.get_by_role("group", name=re.compile(re.escape(question)))
        return group.get_by_label(label, exact=True)

    def follow_up(self, label: str) -> Locator:
        return self.page.get_by_label(label, exact=True)

    @property
    def status(self) -> Locator:
        return self.page.locator("#follow-up-status")

    def save_and_continue(self) -> None:
        self.page.get_by_role("button", name="Save and continue").click()


def test_a_follow_up_opens_and_closes_as_the_answer_changes_by_keyboard(page: Page):
    sign_in_as(page, "Ellen Lowe")  # the demo lead of James Paget, whose return is not started
    section = CovidSection(page, "James Paget University Hospitals NHS Foundation Trust")
    how_seen = section.follow_up(HOW_SEEN)
    expect(how_seen).to_be_hidden()
    assert_accessible(page)

    yes, no = section.choice(SEEN, "Yes"), section.choice(SEEN, "No")
    yes.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")  # moves to "No" and chooses it, as radios do
    expect(no).to_be_checked()
    expect(how_seen).to_be_visible()
    expect(section.status).to_have_text(f"A question was added: {HOW_SEEN}.")
    expect(no).to_be_focused()  # the person stays on the radio they chose
    assert_accessible(page)

    how_seen.focus()
    page.keyboard.type("Home visits with the school nurse.")
    no.focus()
    page.keyboard.press("ArrowLeft")  # back to "Yes": the question closes, the text stays
    expect(how_seen).to_be_hidden()
    expect(section.status).to_have_text(f"A question was removed: {HOW_SEEN}.")
    assert_accessible(page)
    page.keyboard.press("ArrowRight")
    expect(how_seen).to_be_visible()
    expect(how_seen).to_have_value("Home visits with the school nurse.")

    # A single choice whose follow-up is asked for two of its four options.
    why = section.follow_up(WHY_CHANGED)
    expect(why).to_be_hidden()
    section.choice(REFERRALS, "About the same").focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # "Decreased"
    expect(section.choice(REFERRALS, "Decreased")).to_be_checked()
    expect(why).to_be_visible()
    expect(section.choice(REFERRALS, "Decreased")).to_be_focused()
    assert_accessible(page)
    page.keyboard.press("ArrowDown")  # "We do not know"
    expect(why).to_be_hidden()
    assert_accessible(page)

    # Saved with the first follow-up closed: its text is kept, and back when it opens again.
    no.focus()
    page.keyboard.press("ArrowLeft")
    expect(how_seen).to_be_hidden()
    page.get_by_role("button", name="Save and continue").focus()
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/sections/covid-19"))
    page.goto(section.url)
    expect(yes).to_be_checked()
    expect(how_seen).to_be_hidden()
    no.focus()
    page.keyboard.press("Space")
    expect(how_seen).to_be_visible()
    expect(how_seen).to_have_value("Home visits with the school nurse.")


def test_without_javascript_save_and_continue_comes_back_with_the_follow_up(
    page_without_javascript: Page, browser: Browser, base_url: str
):
    page = page_without_javascript
    sign_in_as(page, "Farid Shaw")  # the demo lead of the Queen Elizabeth Hospital
    section = CovidSection(page, "The Queen Elizabeth Hospital King's Lynn NHS Foundation Trust")
    expect(section.follow_up(HOW_SEEN)).to_be_hidden()
    section.choice(SEEN, "No").check()
    section.choice(REFERRALS, "Increased").check()
    section.save_and_continue()

    expect(page).to_have_url(re.compile(r"/sections/covid-19\?added="))
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("Questions were added because of your answer")
    expect(banner.get_by_role("link", name=HOW_SEEN)).to_be_visible()
    expect(banner.get_by_role("link", name=WHY_CHANGED)).to_be_visible()
    expect(section.follow_up(HOW_SEEN)).to_be_visible()
    expect(section.choice(SEEN, "No")).to_be_checked()
    assert_accessible_without_javascript(page, browser, base_url)

    section.follow_up(HOW_SEEN).fill("By video, then in person.")
    section.follow_up(WHY_CHANGED).fill("Schools were closed.")
    section.save_and_continue()
    expect(page).not_to_have_url(re.compile(r"/sections/covid-19"))
    page.goto(section.url)
    expect(page.locator(".govuk-notification-banner")).to_have_count(0)
    expect(section.follow_up(HOW_SEEN)).to_have_value("By video, then in person.")
    assert_accessible_without_javascript(page, browser, base_url)
