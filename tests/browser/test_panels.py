"""A challenge and support panel in Chromium, from scheduling to feedback: every page it
visits has zero axe-core violations, members score by keyboard alone, and the pages work
with JavaScript turned off.

A panel moves returns on for good (feedback cannot be taken back), so each test here runs
its own s11 on a fresh copy of the demo, leaving the shared server's demo as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import assert_accessible as assert_axe_passes
from tests.browser.conftest import load_demo, serve_a_copy, sign_in_as

COORDINATOR = "Priya Shah"  # coordinator@nscp.example.org
MEMBER = "Ben Oakes"  # steering group (panel) members in the demo
CHAIR = "Dev Ingram"
OTHER_MEMBER = "Owen Fenn"
BOOKED = "Break"  # submitted in the demo; its lead is Nadia Patel
BREAK_LEAD = "Nadia Patel"


@pytest.fixture(scope="module")
def demo_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_demo(tmp_path_factory, "panels")


@pytest.fixture
def base_url(
    tmp_path_factory: pytest.TempPathFactory, demo_var: Path, smtp_server, oidc_provider: str
) -> Iterator[str]:
    yield from serve_a_copy(tmp_path_factory, demo_var, smtp_server, oidc_provider, "panels")


def assert_accessible(page: Page) -> None:
    """Zero axe-core violations, and no id used twice (axe no longer checks that)."""
    assert_axe_passes(page)
    ids = page.locator("[id]").evaluate_all("elements => elements.map(e => e.id)")
    assert not {i for i in ids if ids.count(i) > 1}, f"ids used twice on {page.url}"


def focused(page: Page, what: str = "name") -> str:
    return page.evaluate(f"document.activeElement ? document.activeElement.{what} || '' : ''")


def tab_to(page: Page, name: str, *, limit: int = 60) -> None:
    """Press Tab until the form field called name has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == name:
            return
    raise AssertionError(f"could not reach {name} by Tab on {page.url}")


def session_day(page: Page) -> date:
    """A day in the cycle's panel window if it has one, else two months ahead."""
    window = re.search(r"panels meet from (\d+ \w+ \d{4}) to", page.locator("main").inner_text())
    if window:
        return datetime.strptime(window[1], "%d %B %Y").date()
    return date.today() + timedelta(days=60)


def schedule_a_session(page: Page, title: str, day: date) -> None:
    page.get_by_label("Name of the session").fill(title)
    page.get_by_label("Day", exact=True).fill(str(day.day))
    page.get_by_label("Month", exact=True).fill(str(day.month))
    page.get_by_label("Year", exact=True).fill(str(day.year))
    page.get_by_label("Start time").fill("09:30")
    page.get_by_label("End time").fill("12:30")
    page.get_by_label("Minutes for each agency").fill("45")
    page.get_by_label("Online").check()
    page.get_by_label("Meeting link").fill(
        f"https://meet.example.org/{title.lower().replace(' ', '-')}"
    )
    page.get_by_role("button", name="Schedule the session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def add_member(page: Page, name: str, comes_from: str = "No agency (independent)") -> None:
    people = page.get_by_label("Steering group member")
    people.select_option(label=people.locator("option", has_text=name).inner_text().strip())
    page.get_by_label("Agency they come from").select_option(label=comes_from)
    page.get_by_role("button", name="Add the member and send the invitation").click()
    expect(page.get_by_role("table", name="Members of the session")).to_contain_text(name)


def score_by_keyboard(page: Page, *, steps_up: int, note: str) -> int:
    """Every item's rating, strengths, worries and questions, with Tab, Space, arrows and
    typing only; then submit. steps_up: how far up the scale from its lowest level."""
    items = page.locator("main form .s11-question").count()
    assert items > 0
    tab_to(page, "item-0-rating")
    for i in range(items):
        assert focused(page) == f"item-{i}-rating"
        page.keyboard.press("Space")  # the lowest level
        for _ in range(steps_up):
            page.keyboard.press("ArrowDown")
        for field in ("strengths", "worries", "lines_of_enquiry"):
            page.keyboard.press("Tab")
            assert focused(page) == f"item-{i}-{field}"
            page.keyboard.type(f"{note}: {field.replace('_', ' ')} {i + 1}")
        page.keyboard.press("Tab")
    assert focused(page, "innerText") == "Save my scores"
    page.keyboard.press("Tab")
    assert focused(page, "innerText") == "Submit my scores"
    page.keyboard.press("Enter")
    return items


def assert_accessible_without_javascript(page: Page, browser: Browser, base_url: str) -> None:
    """axe-core cannot run in a page without JavaScript, so it checks a copy of the page as
    that page has it (no scripts, so no js-enabled class), in a context that runs scripts."""
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S | re.I)
    context = browser.new_context(base_url=base_url)
    try:
        # Served from s11's own address, so its styles load from s11 as the original's did.
        context.route("**/copy-without-javascript", lambda route: route.fulfill(body=html))
        copy = context.new_page()
        copy.goto("/copy-without-javascript")
        expect(copy.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(copy)
    finally:
        context.close()


def test_a_panel_from_scheduling_to_feedback_is_accessible_and_scored_by_keyboard(page: Page):
    # 1. The coordinator schedules a session from the cycle's dashboard.
    sign_in_as(page, COORDINATOR)
    page.goto("/round/cycles/s11-2021")
    page.locator("main").get_by_role("link", name="Panels", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Challenge and support panels")
    expect(page.locator("main")).to_contain_text(BOOKED)  # waiting for a slot
    assert_accessible(page)
    day = session_day(page)

    page.get_by_role("button", name="Schedule a panel session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule a panel session")
    assert_accessible(page)
    page.get_by_role("button", name="Schedule the session").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter a name for the session")
    expect(summary).to_contain_text("Select whether the session is in person or online")
    expect(page).to_have_title(re.compile("^Error: "))
    assert_accessible(page)
    summary.get_by_role("link", name="Enter a name for the session").click()
    expect(page.get_by_label("Name of the session")).to_be_focused()

    schedule_a_session(page, "Panel 3", day)
    expect(page.locator("main")).to_contain_text("Not named yet")  # no chair yet
    expect(
        page.get_by_role("table", name="Slots in the session").locator("tbody tr")
    ).to_have_count(4)
    assert_accessible(page)
    session_url = page.url

    # 2. Two members, one the chair; a return booked by hand, the rest by auto-fill.
    add_member(page, MEMBER)
    add_member(page, CHAIR)
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(f"Make chair.*{CHAIR}")).click()
    members = page.get_by_role("table", name="Members of the session")
    expect(members.get_by_role("row", name=re.compile(CHAIR))).to_contain_text("Chair")
    expect(page.get_by_role("button", name=re.compile(f"Make chair.*{MEMBER}"))).to_be_visible()

    slots = page.get_by_role("table", name="Slots in the session")
    page.get_by_label("Agency for 10:15 to 11:00").select_option(label=BOOKED)
    page.get_by_role("button", name="Book the slot at 10:15 to 11:00").click()
    expect(slots.get_by_role("row", name=re.compile("^10:15"))).to_contain_text(BOOKED)
    expect(slots.get_by_role("row", name=re.compile("^10:15"))).to_contain_text("At panel")
    assert_accessible(page)
    page.get_by_role("button", name="Auto-fill the empty slots").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("booked into empty slots")
    expect(slots.get_by_role("row", name=re.compile("^09:30"))).not_to_contain_text("Empty")
    expect(page.get_by_role("button", name="Auto-fill the empty slots")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("link", name="Panels for Section 11 2021").click()
    sessions = page.get_by_role("table", name="Sessions")
    row = sessions.get_by_role("row", name=re.compile("Panel 3"))
    expect(row).to_contain_text(f"{MEMBER}, {CHAIR}")
    expect(row).to_contain_text(re.compile(r"[2-4] of 4"))
    assert_accessible(page)

    # 3. A member reads, scores by keyboard alone and submits; then moderation.
    sign_in_as(page, MEMBER)
    page.get_by_role("link", name="Panels", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your panels")
    expect(page.locator("main")).to_contain_text("Panel 3")
    assert_accessible(page)
    page.get_by_role("link", name=f"Read {BOOKED}'s return").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(BOOKED)
    assert_accessible(page)
    return_id = int(re.search(r"/panels/returns/(\d+)", page.url)[1])
    page.get_by_role("button", name="Score this return").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Score {BOOKED}")
    assert_accessible(page)
    items = score_by_keyboard(page, steps_up=2, note="Member")
    expect(page).to_have_url(re.compile(f"/panels/returns/{return_id}/moderation$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Moderation: {BOOKED}")
    scores = page.get_by_role("table").first
    expect(scores.locator("tbody tr")).to_have_count(items)
    # Columns: standard, self-rating, frontline staff agreement, then the members by name.
    expect(scores.locator("tbody tr > :nth-child(4)")).to_contain_text(["Good"] * items)
    expect(scores.locator("tbody tr > :nth-child(4)").first).to_contain_text("Notes")
    assert_accessible(page)
    page.get_by_role("link", name="Your scores").click()
    expect(page.locator("main")).to_contain_text("You submitted your scores")
    expect(page.locator("main")).to_contain_text("Strengths: Member: strengths 1")
    expect(page.locator("main")).to_contain_text("Lines of enquiry: Member: lines of enquiry 1")
    assert_accessible(page)

    # 4. The chair scores too, then records the agreed ratings and a recommendation.
    sign_in_as(page, CHAIR)
    page.goto(f"/panels/returns/{return_id}/scores")
    score_by_keyboard(page, steps_up=1, note="Chair")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Moderation: {BOOKED}")
    expect(page.locator("main")).not_to_contain_text("Hidden")  # both have submitted
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 640})  # the scores table scrolls
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 720})
    agreed = page.get_by_role("combobox", name=re.compile("Agreed rating: "))
    expect(agreed).to_have_count(items)
    for i in range(items):
        agreed.nth(i).select_option(label="Requires improvement")
    page.get_by_role("textbox", name=re.compile("Notes: ")).first.fill("Agreed after discussion.")
    page.get_by_role("button", name="Save the agreed ratings").click()
    expect(scores.locator("tbody tr > :nth-child(5)")).to_contain_text(
        ["Requires improvement"] * items
    )
    expect(scores.locator("tbody tr > :last-child")).to_contain_text(
        ["Requires improvement"] * items
    )

    page.get_by_label("Safety goal").fill("Every referral is followed up within a day.")
    page.get_by_role("button", name="Add the recommendation").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the worry statement")
    expect(page.get_by_label("Safety goal")).to_have_value(
        "Every referral is followed up within a day."
    )
    assert_accessible(page)
    page.get_by_label("Worry statement").fill("Referrals wait too long for a decision.")
    page.get_by_label("Next steps").fill("Review the referral pathway with partners.")
    page.get_by_label("Partnership priority").select_option(index=1)
    page.get_by_label("Composite Action Plan theme").select_option(index=1)
    page.get_by_role("button", name="Add the recommendation").click()
    expect(page.locator("#recommendations ~ .govuk-summary-card")).to_contain_text(
        "Referrals wait too long for a decision."
    )
    assert_accessible(page)

    # 5. The meeting view, and the chair starts the meeting.
    page.get_by_role("link", name="Meeting view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Panel 3")
    assert_accessible(page)
    page.get_by_role("button", name="Start the meeting").click()
    expect(page.locator("main")).to_contain_text("The meeting started at")
    assert_accessible(page)

    # 6. The coordinator issues feedback; the agency's lead reads it.
    sign_in_as(page, COORDINATOR)
    page.goto(f"/round/returns/{return_id}/feedback")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Feedback to {BOOKED}")
    assert_accessible(page)
    page.get_by_label("Strengths the panel saw").fill("A clear safeguarding lead and training.")
    page.get_by_role("button", name="Issue feedback to the agency").click()
    expect(page.locator("main")).to_contain_text("Feedback was issued on")
    assert_accessible(page)
    page.goto(session_url)
    expect(page.get_by_role("table", name="Slots in the session")).to_contain_text(
        "Feedback issued"
    )

    sign_in_as(page, BREAK_LEAD)
    page.get_by_role("link", name="Returns").click()
    page.get_by_role("link", name=f"{BOOKED}: Section 11 2021").click()
    page.get_by_role("link", name="Read the panel's feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The panel's feedback")
    expect(page.locator("main")).to_contain_text("A clear safeguarding lead and training.")
    expect(page.locator("main")).to_contain_text("Referrals wait too long for a decision.")
    assert_accessible(page)


def test_scheduling_scoring_and_the_other_panel_pages_work_without_javascript(
    page_without_javascript: Page, browser: Browser, base_url: str
):
    page = page_without_javascript

    def assert_accessible_as_served(page: Page) -> None:
        assert_accessible_without_javascript(page, browser, base_url)

    sign_in_as(page, COORDINATOR)
    page.goto("/round/cycles/s11-2021/panels")
    day = session_day(page)
    page.get_by_role("button", name="Schedule a panel session").click()
    page.get_by_role("button", name="Schedule the session").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a name for the session")
    page.get_by_label("Name of the session").fill("Panel 4")
    page.get_by_label("Day", exact=True).fill(str(day.day))
    page.get_by_label("Month", exact=True).fill(str(day.month))
    page.get_by_label("Year", exact=True).fill(str(day.year))
    page.get_by_label("Start time").fill("14:00")
    page.get_by_label("End time").fill("15:00")
    page.get_by_label("Minutes for each agency").fill("60")
    page.get_by_label("In person").check()
    page.get_by_role("button", name="Schedule the session").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter where the session is held")
    expect(page.get_by_label("Name of the session")).to_have_value("Panel 4")  # kept
    page.get_by_label("Where").fill("County Hall, Martineau Lane, Norwich: room 3")
    page.get_by_role("button", name="Schedule the session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Panel 4")
    assert_accessible_as_served(page)

    # A member from the agency: booking it is refused, saying why, until they leave.
    add_member(page, OTHER_MEMBER, comes_from="Norwich City Council")
    page.get_by_label("Agency for 14:00 to 15:00").select_option(label="Norwich City Council")
    page.get_by_role("button", name="Book the slot at 14:00 to 15:00").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        f"{OTHER_MEMBER} sits on it and they come from Norwich City Council"
    )
    assert_accessible_as_served(page)
    page.get_by_role("button", name=f"Remove {OTHER_MEMBER}").click()
    add_member(page, OTHER_MEMBER)
    page.get_by_role("button", name=re.compile(f"Make chair.*{OTHER_MEMBER}")).click()
    page.get_by_label("Agency for 14:00 to 15:00").select_option(label="Norwich City Council")
    page.get_by_role("button", name="Book the slot at 14:00 to 15:00").click()
    expect(page.get_by_role("table", name="Slots in the session")).to_contain_text("At panel")
    page.get_by_role("link", name="Change the date, times or place").click()
    assert_accessible_as_served(page)
    page.get_by_label("End time").fill("15:30")
    page.get_by_role("button", name="Save and send updates").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The session is changed")
    expect(page.locator("main")).to_contain_text("14:00 to 15:30")

    sign_in_as(page, OTHER_MEMBER)
    page.get_by_role("link", name="Panels", exact=True).click()
    page.get_by_role("link", name="Declare a conflict of interest").click()
    page.get_by_role("button", name="Declare the interest").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the agency")
    assert_accessible_as_served(page)
    page.get_by_label("Agency").select_option(label="NSPCC")
    page.get_by_label("Your interest").fill("My sister is a trustee")
    page.get_by_role("button", name="Declare the interest").click()
    expect(page.locator("main dl")).to_contain_text("My sister is a trustee")

    page.get_by_role("link", name="Your panels").click()
    # The demo's own sessions are listed too: take the link in this session's table.
    agencies = page.get_by_role("table", name="Agencies in Panel 4")
    agencies.get_by_role("link", name="Score Norwich City Council").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Score Norwich City Council")
    items = page.locator("main form .s11-question").count()
    page.get_by_role("group", name=re.compile("Your rating")).first.get_by_label("Good").check()
    page.get_by_role("textbox", name=re.compile("^Strengths")).first.fill("Typed without scripts.")
    page.get_by_role("button", name="Save my scores").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your scores are saved")
    page.get_by_role("button", name="Submit my scores").click()  # the other items not rated
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Give a rating for")
    assert_accessible_as_served(page)
    for group in page.get_by_role("group", name=re.compile("Your rating")).all():
        group.get_by_label("Outstanding").check()
    page.get_by_role("button", name="Submit my scores").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Moderation: Norwich City Council")
    expect(page.get_by_role("table").first.locator("tbody tr")).to_have_count(items)
    for select in page.get_by_role("combobox", name=re.compile("Agreed rating: ")).all():
        select.select_option(label="Good")
    page.get_by_role("button", name="Save the agreed ratings").click()
    page.get_by_role("link", name="Meeting view").click()
    page.get_by_role("button", name="Start the meeting").click()
    expect(page.locator("main")).to_contain_text("The meeting started at")

    sign_in_as(page, COORDINATOR)
    page.goto("/round/cycles/s11-2021/panels")
    page.get_by_role("link", name="Panel 4").click()
    page.get_by_role("link", name="Feedback for Norwich City Council").click()
    page.get_by_role("button", name="Issue feedback to the agency").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the strengths")
    assert_accessible_as_served(page)
    page.get_by_role("link", name="Panel 4").click()
    page.get_by_role("link", name="Cancel the session").click()
    assert_accessible_as_served(page)
    page.get_by_role("button", name="Cancel the session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Challenge and support panels")
    expect(page.get_by_role("row", name=re.compile("Panel 4"))).to_contain_text("Cancelled")
    expect(page.locator("main ul")).to_contain_text("Norwich City Council")  # waiting again
