"""The frontline survey in Chromium: the coordinator opens it, six practitioners answer through
one agency's link (by keyboard, without JavaScript, at 320 px, and by mouse), the agency's
figures appear only with the fifth, the panel reads staff agreement beside the self-rating,
and the chair downloads the survey workbook. Zero axe-core violations on every page."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import assert_accessible, sign_in_as
from tests.browser.test_panels import assert_accessible_without_javascript

AGENCY = "Great Yarmouth Borough Council"  # last year's return: rated Good, at panel
RESULTS = "/round/cycles/s11-2020/survey/results"


def _open_last_years_survey(page: Page) -> str:
    sign_in_as(page, "Priya Shah")
    page.goto("/round/cycles/s11-2020")
    page.locator("main").get_by_role("link", name="Frontline survey").click()
    assert_accessible(page)
    for prefix, day in (
        ("opens", date.today() - timedelta(days=1)),
        ("closes", date.today() + timedelta(days=30)),
    ):
        page.fill(f"[name='{prefix}-day']", str(day.day))
        page.fill(f"[name='{prefix}-month']", str(day.month))
        page.fill(f"[name='{prefix}-year']", str(day.year))
    page.get_by_role("button", name="Open the survey").click()
    row = page.get_by_role("row", name=AGENCY)
    expect(row).to_contain_text("/survey/")
    assert_accessible(page)
    return row.locator("code").inner_text().split("/survey/")[1]


def _answer(page: Page, token: str, *, keyboard: bool = False, check: bool = False) -> None:
    """Answer every page, disagreeing wherever the question allows, then send."""
    page.goto(f"/survey/{token}")
    if check:
        assert_accessible(page)
    _press(page, "Start now", keyboard)
    while "Check your answers" not in page.title():
        for group in page.locator(".govuk-radios").all():
            if not group.is_visible():
                continue  # a follow-up that "No" does not ask for
            choice = group.locator("input[type=radio]").first
            for label in ("Disagree", "No"):
                found = group.get_by_label(label, exact=True)
                if found.count():
                    choice = found
                    break
            if keyboard:
                choice.focus()
                page.keyboard.press("Space")
            else:
                choice.check()
        if check:
            assert_accessible(page)
        _press(page, "Continue", keyboard)
    if check:
        assert_accessible(page)
    _press(page, "Send answers", keyboard)
    expect(page.get_by_role("heading", name="Answers sent")).to_be_visible()
    if check:
        assert_accessible(page)


def _press(page: Page, name: str, keyboard: bool) -> None:
    button = page.get_by_role("button", name=name)
    if keyboard:
        button.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        button.click()


def test_six_practitioners_answer_and_the_panel_and_chair_read_it_beside_the_return(
    page: Page, browser: Browser, base_url: str
):
    token = _open_last_years_survey(page)

    _answer(browser.new_page(base_url=base_url), token, keyboard=True, check=True)
    without_js = browser.new_context(base_url=base_url, java_script_enabled=False).new_page()
    _answer(without_js, token)
    assert_accessible_without_javascript(without_js, browser, base_url)
    phone = browser.new_context(
        base_url=base_url, viewport={"width": 320, "height": 640}
    ).new_page()
    _answer(phone, token)
    phone.goto(f"/survey/{token}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 320
    _answer(browser.new_page(base_url=base_url), token)

    page.goto(RESULTS)  # four responses: the agency's figures stay hidden
    expect(page.get_by_role("row", name=AGENCY).first).to_contain_text("4")
    expect(page.locator("#triangulation")).to_have_count(0)
    _answer(browser.new_page(base_url=base_url), token)
    page.goto(RESULTS)  # the fifth: now they show, and disagree with the self-rating
    expect(page.locator("#triangulation")).to_contain_text(AGENCY)
    expect(page.locator("#triangulation")).to_contain_text("Diverges")
    assert_accessible(page)
    _answer(browser.new_page(base_url=base_url), token)

    sign_in_as(page, "Owen Fenn")  # a panel member of last year's Panel 1
    page.goto("/panels")
    # Last year's session is past: its meeting view leads to the return.
    page.locator("a[href$='/meeting']").last.click()
    moderation = page.get_by_role("link", name=AGENCY).get_attribute("href")
    page.goto(moderation.removesuffix("/moderation"))
    table = page.get_by_role("table", name="What the panel scores")
    expect(table).to_contain_text("Good")
    expect(table).to_contain_text("0% of 6 agree")
    expect(table).to_contain_text("Diverges")
    assert_accessible(page)
    # The survey's results, narrowed to the agencies whose returns this member reads.
    page.get_by_role("link", name="See the frontline survey's results").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Frontline survey results")
    expect(page.locator("#response-counts")).to_contain_text(AGENCY)
    assert_accessible(page)

    sign_in_as(page, "Jonathan Ellery")  # the chair
    page.goto("/summary/s11-2020")
    expect(page.locator("#frontline-survey ~ div #triangulation")).to_contain_text(AGENCY)
    with page.expect_download() as downloading:
        page.get_by_role(
            "link", name="The frontline practitioners' survey (Excel workbook)"
        ).click()
    saved = Path(downloading.value.path()).read_bytes()
    assert load_workbook(io.BytesIO(saved)).sheetnames == [
        "Cover",
        "Results by question",
        "Triangulation",
    ]


ESCALATED = "have you challenged or escalated another agency's decision"
SUPPORTED = "When I challenged another agency's decision, my manager supported me."


def _to_the_escalation_page(page: Page, survey_link: str) -> None:
    """Through the pages before it, choosing the first answer of each; nothing is sent."""
    page.goto(survey_link)
    page.get_by_role("button", name="Start now").click()
    while not page.get_by_role("group", name=re.compile(ESCALATED)).count():
        _choose_the_first_answers(page)
        page.get_by_role("button", name="Continue").click()


def _choose_the_first_answers(page: Page) -> None:
    for group in page.locator(".govuk-radios").all():
        if group.is_visible():
            group.locator("input[type=radio]").first.check()


def _survey_link(page: Page) -> str:
    sign_in_as(page, "Grace Fenn")  # the demo lead of Norfolk and Suffolk NHS Foundation Trust
    page.get_by_role("link", name="Returns").click()
    page.get_by_role(
        "link", name=re.compile("Norfolk and Suffolk NHS Foundation Trust: Section 11 2021")
    ).click()
    return page.locator("#survey-link").inner_text()


def test_a_practitioner_opens_the_escalation_follow_up_by_keyboard(page: Page, browser: Browser):
    link = _survey_link(page)
    practitioner = browser.new_page()
    _to_the_escalation_page(practitioner, link)
    supported = practitioner.get_by_role("group", name=SUPPORTED)
    expect(supported).to_be_hidden()
    assert_accessible(practitioner)
    group = practitioner.get_by_role("group", name=re.compile(ESCALATED))
    group.get_by_label("Yes", exact=True).focus()
    practitioner.keyboard.press("Space")
    expect(supported).to_be_visible()
    expect(group.get_by_label("Yes", exact=True)).to_be_focused()
    expect(practitioner.locator("#follow-up-status")).to_have_text(
        f"A question was added: {SUPPORTED}."
    )
    assert_accessible(practitioner)
    supported.get_by_label("Agree", exact=True).check()
    practitioner.keyboard.press("Shift+Tab")  # no matter where focus is: back to the yes/no
    group.get_by_label("Yes", exact=True).focus()
    practitioner.keyboard.press("ArrowRight")  # "No": the question closes, its answer kept
    expect(supported).to_be_hidden()
    assert_accessible(practitioner)
    practitioner.keyboard.press("ArrowLeft")
    expect(supported).to_be_visible()
    expect(supported.get_by_label("Agree", exact=True)).to_be_checked()
    practitioner.close()


def test_without_javascript_continue_comes_back_with_the_escalation_follow_up(
    page: Page, browser: Browser, base_url: str
):
    link = _survey_link(page)
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    practitioner = context.new_page()
    _to_the_escalation_page(practitioner, link)
    _choose_the_first_answers(practitioner)
    practitioner.get_by_role("group", name=re.compile(ESCALATED)).get_by_label(
        "Yes", exact=True
    ).check()
    practitioner.get_by_role("button", name="Continue").click()
    banner = practitioner.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("A question was added because of your answer")
    expect(banner.get_by_role("link", name=SUPPORTED)).to_be_visible()
    supported = practitioner.get_by_role("group", name=SUPPORTED)
    expect(supported).to_be_visible()
    expect(practitioner.locator(".govuk-error-summary")).to_have_count(0)
    assert_accessible_without_javascript(practitioner, browser, base_url)
    supported.get_by_label("Agree", exact=True).check()
    practitioner.get_by_role("button", name="Continue").click()
    expect(practitioner.get_by_role("group", name=re.compile(ESCALATED))).to_have_count(0)
    context.close()
