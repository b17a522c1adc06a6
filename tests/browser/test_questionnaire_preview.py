"""A coordinator previews a questionnaire in Chromium: every question type, accessible."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from app.questionnaires.checks import check_text
from tests.browser.conftest import assert_accessible, sign_in_as


def test_the_preview_of_every_question_type_has_no_axe_violations(page: Page):
    sign_in_as(page, "Priya Shah")
    page.get_by_role("link", name="Questionnaires").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Questionnaires")
    assert_accessible(page)
    page.get_by_role("link", name="1 of Every question type: preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Every question type")
    assert_accessible(page)
    page.get_by_role("link", name="Show as the panel and print view see it (read-only)").click()
    expect(page.locator("#question-narrative")).to_contain_text("Not answered")
    assert_accessible(page)


def test_not_applicable_opens_the_reason_box_by_keyboard(page: Page):
    sign_in_as(page, "Priya Shah")
    page.goto("/questionnaires/every-type/1")
    reason = page.locator("textarea[name=accountability__na_reason]")
    expect(reason).to_be_hidden()
    page.locator("#question-accountability summary", has_text="does not apply").focus()
    page.keyboard.press("Enter")
    expect(reason).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.locator("input[name=accountability__na]")).to_be_checked()


def test_the_character_count_tells_people_how_much_they_can_write(page: Page):
    sign_in_as(page, "Priya Shah")
    page.goto("/questionnaires/every-type/1")
    page.get_by_label("Tell us how you know").fill("Twelve chars")
    status = page.locator("#question-narrative .govuk-character-count__status")
    expect(status).to_contain_text("488 characters remaining")


def test_a_coordinator_downloads_a_versions_yaml_from_its_preview(page: Page, tmp_path):
    sign_in_as(page, "Priya Shah")
    page.goto("/questionnaires/every-type/1")
    with page.expect_download() as arrival:
        page.get_by_role("link", name="Download the YAML of version 1").click()
    download = arrival.value
    assert download.suggested_filename == "every-type-1.yaml"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    checked = check_text(saved.read_text(encoding="utf-8"))
    assert checked.ok and checked.questionnaire.title == "Every question type"
