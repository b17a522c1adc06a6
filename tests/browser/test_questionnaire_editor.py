"""A coordinator writes a questionnaire in the editor in Chromium, from blank: three sections,
a rating on a new scale, a yes/no with a follow-up on "No", a choice, a table, evidence; one
question by keyboard alone; preview as the police; publish without JavaScript; a cycle on it.

It publishes and opens a cycle for good, so it runs its own s11 on a fresh copy of the demo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, load_demo, serve_a_copy, sign_in_as

COORDINATOR = "Priya Shah"
LEAD = "Ben Khan"  # the demo lead of Norfolk Constabulary
TITLE = "Breckland test audit"
RATING = "How well is safeguarding led in your agency?"
YES_NO = "Is there a named safeguarding lead?"
FOLLOW_UP = "Why is there no named safeguarding lead?"
CHOICE = "How often is safeguarding supervision held?"
TABLE = "Training delivered this year"
EVIDENCE = "Upload your safeguarding policy"


@pytest.fixture(scope="module")
def demo_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_demo(tmp_path_factory, "editor")


@pytest.fixture
def base_url(
    tmp_path_factory: pytest.TempPathFactory, demo_var: Path, smtp_server, oidc_provider: str
) -> Iterator[str]:
    yield from serve_a_copy(tmp_path_factory, demo_var, smtp_server, oidc_provider, "editor")


def saved(page: Page) -> None:
    """Back on the draft's overview, with nothing refused."""
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.locator("main h1")).to_have_text(TITLE)


def add_question(page: Page, section: str, kind: str, label: str) -> None:
    page.get_by_role("link", name=f"Add a question to {section}").click()
    page.get_by_label("The question").fill(label)
    page.get_by_label(kind, exact=True).check()
    assert_accessible(page)
    page.get_by_role("button", name="Add the question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the question")


def tab_to(page: Page, test: str) -> None:
    """Press Tab until the focused element passes a test (JavaScript on document.activeElement)."""
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {test})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element where {test}")


def open_cycle_for_the_police(page: Page, name: str, slug: str, questionnaire: str) -> None:
    """A cycle on the questionnaire, its returns opened for the police agencies."""
    page.goto("/round/cycles/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Short name for links").fill(slug)
    page.get_by_label("Questionnaire", exact=True).select_option(label=questionnaire)
    for prefix, day in (("opens", date.today()), ("deadline", date.today() + timedelta(days=40))):
        page.locator(f"#{prefix}-day").fill(str(day.day))
        page.locator(f"#{prefix}-month").fill(str(day.month))
        page.locator(f"#{prefix}-year").fill(str(day.year))
    page.get_by_role("button", name="Set up the cycle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.get_by_role("button", name="Take agencies from the directory").click()
    page.get_by_label("The agencies of the sectors ticked below").check()
    page.get_by_label("Police", exact=True).check()
    page.get_by_role("button", name="Open their returns").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("returns opened")


def add_section(page: Page, title: str) -> None:
    page.get_by_label("Section title").fill(title)
    page.get_by_role("button", name="Add the section").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert_accessible(page)
    page.get_by_role("link", name="Back to the draft").click()


def test_a_coordinator_writes_a_questionnaire_from_blank_publishes_it_and_a_lead_answers_it(
    page: Page, page_without_javascript: Page
):
    sign_in_as(page, COORDINATOR)
    page.get_by_role("link", name="Questionnaires").click()
    page.get_by_role("button", name="Write or change a questionnaire").click()
    assert_accessible(page)
    page.get_by_label("A blank questionnaire").check()
    page.get_by_role("button", name="Start the draft").click()
    assert_accessible(page)

    # Its details.
    page.get_by_role("link", name="Change the questionnaire's details").click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Version").fill("1")
    page.get_by_label("Introduction").fill("Answer for **your own agency**.")
    page.get_by_role("button", name="Preview the introduction").click()
    expect(page.locator("#introduction-preview strong")).to_have_text("your own agency")
    assert_accessible(page)
    page.get_by_role("button", name="Save and go back").click()
    saved(page)

    # A new scale with descriptors.
    page.get_by_role("link", name="Add a scale").click()
    page.get_by_label("Name of the scale").fill("Four-level self-rating")
    for row, (name, colour) in enumerate(
        [
            ("Inadequate", "red"),
            ("Requires improvement", "amber"),
            ("Good", "green"),
            ("Outstanding", "blue"),
        ]
    ):
        page.get_by_label(f"Level {row + 1}: name").fill(name)
        page.get_by_label(f"Level {row + 1}: value").fill(str(row + 1))
        page.get_by_label(f"Level {row + 1}: colour").select_option(colour)
        page.get_by_label(f"Level {row + 1}: what it means").fill(f"{name}: what the panel sees")
    assert_accessible(page)
    page.get_by_role("button", name="Save and go back").click()
    saved(page)
    expect(page.locator("#scales + dl")).to_contain_text("Inadequate, Requires improvement")

    # Three sections: the first renamed, the third needing evidence.
    page.get_by_role("link", name="Change section Section 1").click()
    page.get_by_label("Title").fill("Leadership")
    assert_accessible(page)
    page.get_by_role("button", name="Save and go back").click()
    saved(page)
    add_section(page, "Practice")
    add_section(page, "Evidence")

    # A rating on the new scale, with its own descriptor and "not applicable" allowed.
    add_question(page, "Leadership", "Rating on a scale", RATING)
    page.get_by_label("Inadequate (the scale says: Inadequate: what the panel sees)").fill(
        "No one leads it."
    )
    page.get_by_label("Agencies may mark it not applicable, with a reason").check()
    assert_accessible(page)
    page.get_by_role("button", name="Save and go back").click()
    saved(page)

    # The yes/no question, by keyboard alone.
    page.get_by_role("link", name="Add a question to Leadership").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a question")
    tab_to(page, "el.name === 'label'")
    page.keyboard.type(YES_NO)
    tab_to(page, "el.name === 'type'")
    for _ in range(10):  # arrow through the kinds of answer to "Yes or no"
        if page.evaluate("document.activeElement.value") == "yes_no":
            break
        page.keyboard.press("ArrowDown")
    expect(page.locator("input[name=type][value=yes_no]")).to_be_checked()
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Add the question')")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the question")
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Save and go back')")
    page.keyboard.press("Enter")
    saved(page)

    # The follow-up, shown only on "No".
    add_question(page, "Leadership", "Long text", FOLLOW_UP)
    page.get_by_role("link", name="Change when it is shown").click()
    page.get_by_label(f"Depends on: {YES_NO}").check()
    page.locator("input[name='answers_is-there-a-named-safeguarding-lead'][value=no]").check()
    assert_accessible(page)
    page.get_by_role("button", name="Save and go back").click()
    saved(page)
    expect(page.locator("#question-why-is-there-no-named-safeguarding-lead")).to_contain_text(
        "Shown only on some answers"
    )

    # A single choice and a table with two columns.
    add_question(page, "Practice", "One option from a list", CHOICE)
    for row, option in enumerate(["Monthly", "Quarterly", "Rarely"]):
        page.get_by_label(f"Option {row + 1}", exact=True).fill(option)
    page.get_by_role("button", name="Save and go back").click()
    saved(page)
    add_question(page, "Practice", "Table", TABLE)
    page.get_by_label("Column 1 heading").fill("Course")
    page.get_by_label("Column 2 heading").fill("Staff trained")
    page.get_by_label("What column 2 holds").select_option("number")
    assert_accessible(page)
    page.get_by_role("button", name="Save and go back").click()
    saved(page)

    # A section needing evidence: the check says so until it has an evidence question.
    page.get_by_role("link", name="Change section Evidence").click()
    page.get_by_label(re.compile("must attach evidence")).check()
    page.get_by_role("button", name="Save and go back").click()
    expect(page.locator("#problems")).to_contain_text("requires evidence")
    add_question(page, "Evidence", "Evidence files", EVIDENCE)
    page.get_by_role("button", name="Save and go back").click()
    saved(page)
    expect(page.locator("#problems")).to_have_count(0)
    assert_accessible(page)

    # Preview as a police agency.
    page.get_by_role("link", name="Preview it as an agency will see it").click()
    page.get_by_label("See it as an agency of this sector").select_option(label="Police")
    page.get_by_role("button", name="Show the preview").click()
    main = page.locator("main")
    for label in (RATING, YES_NO, FOLLOW_UP, CHOICE, TABLE, EVIDENCE):
        expect(main).to_contain_text(label)
    expect(main).to_contain_text("Asked only if")
    assert_accessible(page)
    draft_url = page.url.split("/preview")[0]

    # Publish, with JavaScript off.
    quiet = page_without_javascript
    sign_in_as(quiet, COORDINATOR)
    quiet.goto(f"{draft_url}/publish")
    quiet.get_by_role("button", name="Publish version 1").click()
    expect(quiet.locator(".govuk-notification-banner")).to_contain_text(
        "breckland-test-audit version 1 is published"
    )

    # A cycle on it, for the police.
    open_cycle_for_the_police(page, "Breckland 2026", "breckland-2026", f"{TITLE} (version 1)")

    # The police lead sees exactly those questions, the follow-up once they answer "No".
    sign_in_as(page, LEAD)
    page.get_by_role("link", name="Returns").click()
    page.get_by_role("link", name="Norfolk Constabulary: Breckland 2026").click()
    task_list = page.url
    seen: list[str] = []
    for number in range(3):
        page.goto(task_list)
        page.locator(".govuk-task-list__link").nth(number).click()
        seen += [
            text.strip()
            for text in page.locator(
                "main form .govuk-fieldset__legend, main form label.govuk-label--s,"
                " main form .govuk-label--m, main form h2.govuk-heading-m"
            )
            .filter(visible=True)
            .all_inner_texts()
        ]
    for label in (RATING, YES_NO, CHOICE, TABLE, EVIDENCE):
        assert any(label in text for text in seen), (label, seen)
    assert not any(FOLLOW_UP in text for text in seen)
    # Answering "No" brings the follow-up.
    page.goto(task_list)
    page.locator(".govuk-task-list__link").first.click()
    section = page.url
    follow_up = page.locator("main form").get_by_text(FOLLOW_UP, exact=True)
    expect(follow_up).to_be_hidden()
    page.locator("input[name='is-there-a-named-safeguarding-lead'][value=no]").check()
    expect(follow_up).to_be_visible()  # opened at once, by the page's own rules
    page.get_by_role("button", name="Save and continue").click()
    page.goto(section)
    expect(follow_up).to_be_visible()
    assert_accessible(page)


NORFOLK = "Norfolk Section 11 safeguarding self-assessment 2021"
REWORDED = "Explain your rating for neglect, with an example from the last year"
ADDED = "How do you help children stay safe online?"
CAP = "III. Response and actions taken from the Composite Action Plan"


def test_version_2_of_norfolk_2021_made_in_the_editor_carries_last_years_answers_over(
    page: Page,
):
    sign_in_as(page, COORDINATOR)
    page.goto("/questionnaires")
    page.get_by_role("button", name=f"Make a new version of {NORFOLK} from version 2021").click()
    expect(page.locator("main h1")).to_have_text(NORFOLK)
    expect(page.locator("main")).to_contain_text("Draft, version 2022")
    assert_accessible(page)

    # Reword one question.
    page.get_by_role("link", name="Change Explain your rating for neglect", exact=True).click()
    expect(page.locator("main")).to_contain_text("published: it stays")
    page.get_by_label("The question", exact=True).fill(REWORDED)
    page.get_by_role("button", name="Save and go back").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)

    # Remove one.
    page.get_by_role(
        "link", name="Remove What have you learnt from the pandemic that you will keep?"
    ).click()
    assert_accessible(page)
    page.get_by_role("button", name="Remove the question").click()
    expect(page.locator("main")).not_to_contain_text("What have you learnt from the pandemic")

    # Add one.
    page.get_by_role("link", name="Add a question to I. NSCP priorities").click()
    page.get_by_label("The question").fill(ADDED)
    page.get_by_label("Long text", exact=True).check()
    page.get_by_role("button", name="Add the question").click()
    page.get_by_role("button", name="Save and go back").click()

    # Reorder two sections: the Composite Action Plan before Covid-19.
    page.get_by_role("button", name=re.compile(f"^Up ?: move section {re.escape(CAP)} up$")).click()
    titles = page.locator(".govuk-summary-card__title").all_inner_texts()
    assert titles[1] == f"2. {CAP}", titles
    assert_accessible(page)

    # The comparison says what changed and which answers carry over.
    page.get_by_role("link", name="Check, compare with the last version, and publish").click()
    main = page.locator("main")
    expect(main).to_contain_text("Changes from version 2021")
    expect(main).to_contain_text("Added (1)")
    expect(main).to_contain_text("Removed (1)")
    expect(main).to_contain_text(f"“Explain your rating for neglect” becomes “{REWORDED}”")
    page.get_by_text("Questions whose answers carry over").click()
    expect(main).to_contain_text("a. Neglect: how well does your organisation")
    assert_accessible(page)
    page.get_by_role("button", name="Publish version 2022").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "norfolk-section11 version 2022 is published"
    )

    # A cycle on it: the police lead sees last year's answers beside the kept questions.
    open_cycle_for_the_police(page, "Section 11 2022", "s11-2022", f"{NORFOLK} (version 2022)")

    sign_in_as(page, LEAD)
    page.get_by_role("link", name="Returns").click()
    page.get_by_role("link", name="Norfolk Constabulary: Section 11 2022").click()
    page.locator(".govuk-task-list__link").first.click()
    expect(page.locator("main")).to_contain_text(REWORDED)
    expect(page.locator("main")).to_contain_text(ADDED)
    expect(page.locator(".s11-last-year").first).to_be_visible()
    assert page.locator(".s11-last-year").count() >= 3


def test_a_coordinator_retypes_a_question_ticks_sectors_meets_a_scale_in_use_and_deletes_the_draft(
    page: Page,
):
    sign_in_as(page, COORDINATOR)
    page.goto("/questionnaires")
    page.get_by_role("button", name=f"Make a new version of {NORFOLK} from version 2021").click()
    expect(page.locator("main")).to_contain_text("Draft, version 2022")
    draft = page.url

    page.get_by_role("link", name="Change the questionnaire's details").click()
    page.get_by_label("Police", exact=True).check()
    page.get_by_label("Education", exact=True).check()
    assert_accessible(page)
    page.get_by_role("button", name="Save and go back").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)

    page.goto(f"{draft}/questions/neglect-rating")
    page.get_by_role("link", name=re.compile("^Change the type of answer")).click()
    expect(page.locator("main")).to_contain_text("Last year's answers to this question were given")
    assert_accessible(page)
    page.get_by_label("Long text", exact=True).check()
    page.get_by_role("button", name="Change the type").click()
    expect(page.locator("main")).to_contain_text("will not carry over")

    page.goto(draft)
    page.locator("a[href$='/scales/ofsted/remove']").click()
    expect(page.locator("#scale-users")).to_be_visible()
    assert_accessible(page)

    page.goto(draft)
    page.get_by_role("link", name="Delete this draft").click()
    assert_accessible(page)
    page.get_by_role("button", name="Delete the draft").click()
    expect(page.locator("main h1")).to_have_text("Write or change a questionnaire")
    expect(page.locator("main")).not_to_contain_text("Version 2022, started from")
