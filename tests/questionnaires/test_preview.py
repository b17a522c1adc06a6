"""The coordinator's questionnaire pages: the list of versions and the preview of each."""

from __future__ import annotations

import pytest

from app.directory.models import Role
from tests.conftest import person_by_email, person_with_role, sign_in


@pytest.fixture
def published(every_type, demo):
    return every_type


@pytest.fixture
def coordinator_client(client, db, demo):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    return client


def test_coordinator_sees_each_questionnaire_with_its_versions(coordinator_client, published):
    page = coordinator_client.page("/questionnaires")
    text = page.get_text(" ", strip=True)
    assert "Every question type" in text and published.sha256[:12] in text
    assert page.find("a", href="/questionnaires/every-type/1")


def test_the_preview_renders_every_question_type_with_its_govuk_component(
    coordinator_client, published
):
    page = coordinator_client.page("/questionnaires/every-type/1")
    html = str(page)
    assert page.select("#question-accountability .govuk-radios__input")  # rating
    assert "No named lead at board level." in html  # the question's own descriptor
    assert "Some of it is in place." in html  # the scale's descriptor where it has none
    assert page.find("input", attrs={"name": "accountability__na", "value": "yes"})
    assert page.find("textarea", attrs={"name": "accountability__na_reason"})
    assert "What evidence could show this" in html
    assert [i["value"] for i in page.select("input[name=trained-share]")] == [
        "0",
        "25",
        "50",
        "75",
        "100",
    ]
    assert page.find("input", attrs={"name": "lead-name", "maxlength": "200"})  # text
    assert page.select('[data-module="govuk-character-count"] textarea[name=narrative]')
    assert page.select(".govuk-radios--inline input[name=has-policy]")  # yes/no
    assert page.select("input[name=policy-date-day]") and page.select(
        "input[name=policy-date-year]"
    )
    assert len(page.select("input[type=radio][name=sector]")) == 2  # single choice
    assert len(page.select("input[type=checkbox][name=channels]")) == 2  # multiple choice
    assert page.find("input", attrs={"name": "staff-count", "inputmode": "decimal"})
    assert "Enter a number from 0 to 100000." in html
    assert page.find("input", attrs={"type": "file", "name": "policy-file__files"})
    assert len(page.select("#question-training tbody tr")) == 2  # table, min_rows
    assert page.find("select", attrs={"name": "training__0__level"})


def test_the_preview_shows_who_sees_each_question_and_what_the_panel_scores(
    coordinator_client, published
):
    text = coordinator_client.page("/questionnaires/every-type/1").get_text(" ", strip=True)
    assert "Scored by the panel, weight 2.0" in text
    assert "Only for: Police, Health provider" in text
    assert "Asked only if the answer to “Do you have a whistleblowing policy?” is yes" in text
    assert "Asked only if (the answer to “Which best describes you?” is one of statutory or" in text


def test_guidance_markdown_is_rendered_and_raw_html_is_shown_as_text(coordinator_client, published):
    response = coordinator_client.get("/questionnaires/every-type/1")
    assert '<h3 class="govuk-heading-s">Before you start</h3>' in response.text
    assert '<a href="https://example.org" class="govuk-link">link</a>' in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;b&gt;raw html is shown as text&lt;/b&gt;" in response.text


def test_the_read_only_view_shows_answers_as_text(coordinator_client, published):
    page = coordinator_client.page("/questionnaires/every-type/1?view=readonly")
    assert not page.select("main input, main textarea, main select")
    assert (
        page.select_one("#question-accountability .s11-answer__text").get_text() == "Not answered"
    )


def test_equivalent_standards_wording_is_shown_on_request(coordinator_client, published):
    text = coordinator_client.page("/questionnaires/every-type/1?wording=equivalent").get_text()
    assert "How well does your organisation set out who is accountable?" in text


def test_the_chair_may_preview_questionnaires(client, db, published):
    sign_in(client, person_with_role(db, Role.CHAIR))
    assert client.get("/questionnaires").status_code == 200


@pytest.mark.parametrize("role", [Role.AGENCY_LEAD, Role.CONTRIBUTOR, Role.PANEL_MEMBER])
def test_people_without_a_partnership_role_over_questionnaires_get_not_found(
    role, client, db, published
):
    sign_in(client, person_with_role(db, role))
    assert client.get("/questionnaires").status_code == 404
    assert client.get("/questionnaires/every-type/1").status_code == 404
    assert "Questionnaires" not in client.get("/").text  # no link to a page they cannot open


def test_an_unknown_version_is_not_found(coordinator_client, published):
    assert coordinator_client.get("/questionnaires/every-type/9").status_code == 404
    assert coordinator_client.get("/questionnaires/nothing/1").status_code == 404
