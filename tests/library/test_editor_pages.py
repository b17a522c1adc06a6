"""The questionnaire editor through its pages, as a coordinator uses it without JavaScript:
build from blank, see problems beside their fields, publish, download; others' drafts unseen."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.directory import service as directory_service
from app.directory.models import Role
from app.library.form_fields import question_at
from app.library.models import QuestionnaireDraft
from app.questionnaires import service as questionnaire_service
from app.questionnaires.checks import check_text
from app.questionnaires.models import QuestionnaireVersion
from tests.conftest import sign_in


@pytest.fixture
def coordinator(client, db):
    def of(slug: str, email: str = "cora"):
        partnership = directory_service.ensure_partnership(
            db, slug=slug, name=slug.title(), short_name=slug[:4].upper(), colour="#1d4f91"
        )
        person = directory_service.ensure_person(
            db, email=f"{email}@{slug}.example.org", name=email.title()
        )
        directory_service.ensure_membership(
            db, person=person, partnership=partnership, role=Role.COORDINATOR
        )
        sign_in(client, person)
        return partnership

    return of


def fields_of(client, url: str, action: str | None = None) -> dict[str, str]:
    """The hidden fields (CSRF token, revision) of the page's form, as a browser sends them."""
    soup = client.page(url)
    form = (
        soup.select_one(f"form[action='{action}']")
        if action
        else soup.select_one("form[method=post]")
    )
    assert form is not None, f"{url} has no form for {action}"
    return {f["name"]: f.get("value", "") for f in form.select("input[type=hidden]")}


def post(client, url: str, data: dict, *, page: str | None = None, action: str | None = None):
    return client.post(
        url, data=fields_of(client, page or url, action or url) | data, follow_redirects=False
    )


def start_blank(client) -> str:
    response = client.post(
        "/questionnaire-drafts",
        data={"csrf_token": client.csrf_token("/questionnaire-drafts"), "start": "blank"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return response.headers["location"]


LEVELS = {
    "label": "Four levels",
    "kind": "levels",
    **{f"level_{i}_label": name for i, name in enumerate(["Poor", "Fair", "Good", "Great"])},
    **{f"level_{i}_value": str(i + 1) for i in range(4)},
    **{f"level_{i}_colour": c for i, c in enumerate(["red", "amber", "green", "blue"])},
    **{f"level_{i}_descriptor": f"What level {i + 1} means" for i in range(4)},
}


def build(client, base: str) -> None:
    assert (
        post(client, f"{base}/details", {"title": "Breckland audit", "version": "1"}).status_code
        == 303
    )
    assert post(client, f"{base}/scales/new", LEVELS).status_code == 303
    for kind, label in [
        ("rating", "How well is safeguarding led?"),
        ("yes_no", "Is there a named lead?"),
        ("long_text", "Why is there no lead?"),
    ]:
        url = f"{base}/sections/section-1/questions/new"
        response = post(client, url, {"type": kind, "label": label})
        assert response.status_code == 303, response.text
    response = post(
        client,
        f"{base}/questions/why-is-there-no-lead/show-if",
        {"questions": "is-there-a-named-lead", "answers_is-there-a-named-lead": "no"},
    )
    assert response.status_code == 303


def test_a_coordinator_builds_a_questionnaire_from_blank_and_publishes_it(client, db, coordinator):
    partnership = coordinator("breckland")
    base = start_blank(client)
    build(client, base)
    overview = client.page(base).get_text(" ", strip=True)
    assert "How well is safeguarding led?" in overview
    assert "Shown only on some answers" in overview
    publish = client.page(f"{base}/publish")
    assert publish.select_one(f"form[action='{base}/publish'] button") is not None
    response = post(client, f"{base}/publish", {})
    assert response.status_code == 303
    version = db.scalar(select(QuestionnaireVersion))
    assert (version.questionnaire_id, version.version) == ("breckland-audit", "1")
    assert version.partnership_id == partnership.id
    assert "breckland-audit" in client.get("/questionnaires").text


def test_the_draft_downloads_as_a_yaml_file_that_passes_the_check(client, db, coordinator):
    coordinator("breckland")
    base = start_blank(client)
    build(client, base)
    response = client.get(f"{base}/download")
    assert response.status_code == 200
    assert (
        response.headers["content-disposition"] == 'attachment; filename="breckland-audit-1.yaml"'
    )
    result = check_text(response.text)
    assert result.ok, result.problems
    assert result.questionnaire.question("why-is-there-no-lead").show_if.equals == "no"


def test_a_show_if_on_a_later_question_forced_by_a_hand_made_post_is_refused_beside_the_field(
    client, db, coordinator
):
    coordinator("breckland")
    base = start_blank(client)
    build(client, base)
    url = f"{base}/questions/how-well-is-safeguarding-led/show-if"
    response = post(
        client, url, {"questions": "is-there-a-named-lead", "answers_is-there-a-named-lead": "no"}
    )
    assert response.status_code == 400
    soup = BeautifulSoup(response.text, "html.parser")
    summary = soup.select_one(".govuk-error-summary a")
    assert summary["href"] == "#questions"
    assert "comes before this one" in summary.get_text()
    assert soup.select_one("#questions-error") is not None  # the message beside the field
    draft = db.scalar(select(QuestionnaireDraft))
    db.refresh(draft)
    rating = draft.content["sections"][0]["questions"][0]
    assert "show_if" not in rating


def test_html_in_a_label_is_shown_as_text(client, db, coordinator):
    coordinator("breckland")
    base = start_blank(client)
    response = post(
        client,
        f"{base}/sections/section-1/questions/new",
        {"type": "text", "label": "<script>alert(1)</script> Who leads?"},
    )
    assert response.status_code == 303
    page = client.get(base).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Who leads?" in page


def test_a_change_over_a_colleagues_newer_save_is_refused_and_what_was_typed_is_shown(
    client, db, coordinator
):
    coordinator("breckland")
    base = start_blank(client)
    build(client, base)
    url = f"{base}/questions/is-there-a-named-lead"
    stale = fields_of(client, url, url)
    assert (
        post(client, url, {"label": "A colleague's wording", "required": "yes"}).status_code == 303
    )
    response = client.post(
        url, data=stale | {"label": "My wording", "required": "yes"}, follow_redirects=False
    )
    assert response.status_code == 409
    text = BeautifulSoup(response.text, "html.parser").get_text(" ", strip=True)
    assert "changed this questionnaire after you opened this page" in text
    assert "My wording" in text  # what they typed, not lost from the page
    draft = db.scalar(select(QuestionnaireDraft))
    db.refresh(draft)
    assert draft.content["sections"][0]["questions"][1]["label"] == "A colleague's wording"


def test_another_partnerships_draft_is_not_found(client, db, coordinator):
    coordinator("breckland")
    base = start_blank(client)
    coordinator("suffolk")
    assert client.get(base, follow_redirects=False).status_code == 404
    assert client.get(f"{base}/details", follow_redirects=False).status_code == 404
    response = client.post(
        f"{base}/details",
        data={"csrf_token": client.csrf_token("/questionnaire-drafts"), "title": "Mine now"},
        follow_redirects=False,
    )
    assert response.status_code == 404


def test_a_new_version_is_made_from_the_questionnaires_page_and_its_preview_follows_the_sector(
    client, db, coordinator
):
    from app.questionnaires import service as questionnaire_service

    coordinator("breckland")
    questionnaire_service.publish_shipped(db)
    soup = client.page("/questionnaires")
    form = next(
        f
        for f in soup.select("form[action='/questionnaire-drafts']")
        if f.select_one("input[name=start]")["value"] == "version:schools-safeguarding-audit/2025.1"
    )
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    response = client.post("/questionnaire-drafts", data=data, follow_redirects=False)
    assert response.status_code == 303
    base = response.headers["location"]
    assert "version 2025.2" in client.get(base).text
    police = client.get(f"{base}/preview?sector=police").text
    schools = client.get(f"{base}/preview?sector=education").text
    assert len(schools) > len(police)
    soup = client.page(f"{base}/preview?sector=police")
    panel = soup.find("a", string="Show as the panel and print view see it (read-only)")
    assert panel["href"] == f"{base}/preview?sector=police&view=readonly"
    assert client.get(panel["href"]).status_code == 200


def test_a_yaml_file_with_an_alias_bomb_is_refused_and_no_draft_is_made(client, db, coordinator):
    coordinator("breckland")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    response = client.post(
        "/questionnaire-drafts/upload",
        data={"csrf_token": client.csrf_token("/questionnaire-drafts")},
        files={"file": ("bomb.yaml", bomb.encode(), "application/yaml")},
    )
    assert response.status_code == 400
    assert "too large once its aliases" in response.text
    assert db.scalar(select(QuestionnaireDraft)) is None


def test_an_uploaded_yaml_file_opens_in_the_editor_as_its_next_editable_version(
    client, db, coordinator
):
    from pathlib import Path

    coordinator("breckland")
    text = (Path(__file__).resolve().parents[1] / "fixtures" / "every-type.yaml").read_text()
    response = client.post(
        "/questionnaire-drafts/upload",
        data={"csrf_token": client.csrf_token("/questionnaire-drafts")},
        files={"file": ("every-type.yaml", text.encode(), "application/yaml")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    base = response.headers["location"]
    page = client.page(base).get_text(" ", strip=True)
    assert "Started from every-type.yaml" in page
    assert "to put right" not in page


def test_a_survey_questions_standards_are_ticked_from_the_return_questionnaires_not_typed(
    client, db, coordinator
):
    from app.questionnaires import service as questionnaire_service

    coordinator("breckland")
    questionnaire_service.publish_shipped(db)
    response = client.post(
        "/questionnaire-drafts",
        data={
            "csrf_token": client.csrf_token("/questionnaire-drafts"),
            "start": "version:frontline-practitioner-survey/2021",
        },
        follow_redirects=False,
    )
    base = response.headers["location"]
    url = f"{base}/questions/clear-responsibilities"
    soup = client.page(url)
    ticked = [box["value"] for box in soup.select("input[name=maps_to][checked]")]
    assert ticked == ["section11-core-standards/accountability-rating"]
    assert soup.select_one("input[value='section11-core-standards/board-lead-rating']")
    fields = {
        "label": "I know what I am responsible for.",
        "required": "yes",
        "scale": "agreement",
    }
    chosen = {"maps_to": ["section11-core-standards/board-lead-rating"]}
    assert post(client, url, fields | chosen).status_code == 303
    draft = db.scalar(select(QuestionnaireDraft))
    db.refresh(draft)
    question = question_at(draft.content, "clear-responsibilities")
    assert question["maps_to"] == ["section11-core-standards/board-lead-rating"]
    forged = post(client, url, fields | {"maps_to": ["someone-else/secret-rating"]})
    assert forged.status_code == 400
    assert "Choose the standards from the list" in forged.text


def test_an_option_moved_up_takes_its_answers_with_it(client, db, coordinator):
    coordinator("breckland")
    base = start_blank(client)
    url = f"{base}/sections/section-1/questions/new"
    assert post(client, url, {"type": "single_choice", "label": "How often?"}).status_code == 303
    question = f"{base}/questions/how-often"
    labels = {"label": "How often?", "required": "yes", "option_rows": "5"}
    soup = client.page(question)
    for row, word in enumerate(["Monthly", "Quarterly", "Rarely"]):
        labels[f"option_{row}_label"] = word
        value = soup.select_one(f"input[name=option_{row}_value]")
        labels[f"option_{row}_value"] = value["value"] if value else ""
    assert post(client, question, labels).status_code == 303
    response = post(
        client,
        f"{question}/options/move",
        {"value": "rarely", "direction": "up"},
        page=question,
        action=f"{question}/options/move",
    )
    assert response.status_code == 303
    draft = db.scalar(select(QuestionnaireDraft))
    db.refresh(draft)
    options = question_at(draft.content, "how-often")["options"]
    assert [(o["value"], o["label"]) for o in options] == [
        ("monthly", "Monthly"),
        ("rarely", "Rarely"),
        ("quarterly", "Quarterly"),
    ]


def test_a_coordinator_deletes_an_abandoned_draft_after_confirming_and_it_leaves_the_list(
    client, db, coordinator
):
    coordinator("breckland")
    base = start_blank(client)
    build(client, base)
    assert client.page(base).select_one(f"a[href='{base}/delete']") is not None
    confirm = client.page(f"{base}/delete").get_text(" ", strip=True)
    assert "Delete the draft “Breckland audit”?" in confirm
    response = client.post(f"{base}/delete", data={"revision": "1"}, follow_redirects=False)
    assert response.status_code in (400, 403)  # no CSRF token: nothing deleted
    assert db.scalar(select(QuestionnaireDraft)) is not None
    response = post(client, f"{base}/delete", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/questionnaire-drafts"
    assert db.scalar(select(QuestionnaireDraft)) is None
    assert "Breckland audit" not in client.get("/questionnaire-drafts").text
    assert client.get(base, follow_redirects=False).status_code == 404


def test_another_partnerships_draft_cannot_be_deleted(client, db, coordinator):
    coordinator("breckland")
    base = start_blank(client)
    revision = fields_of(client, f"{base}/delete", f"{base}/delete")["revision"]
    coordinator("suffolk")
    assert client.get(f"{base}/delete", follow_redirects=False).status_code == 404
    response = client.post(
        f"{base}/delete",
        data={"csrf_token": client.csrf_token("/questionnaire-drafts"), "revision": revision},
        follow_redirects=False,
    )
    assert response.status_code == 404
    assert db.scalar(select(QuestionnaireDraft)) is not None


def test_the_sectors_a_questionnaire_is_for_are_ticked_on_its_details_page(client, db, coordinator):
    coordinator("breckland")
    base = start_blank(client)
    build(client, base)
    details = {"title": "Breckland audit", "version": "1"}
    response = post(client, f"{base}/details", details | {"sectors": ["health_provider", "police"]})
    assert response.status_code == 303
    page = client.page(f"{base}/details")
    ticked = [box["value"] for box in page.select("input[name=sectors][checked]")]
    assert sorted(ticked) == ["health_provider", "police"]
    response = post(client, f"{base}/details", details | {"sectors": "nowhere"})
    assert response.status_code == 400
    assert "Choose sectors from the list" in response.text
    draft = db.scalar(select(QuestionnaireDraft))
    db.refresh(draft)
    assert draft.content["sectors"] == ["health_provider", "police"]


def test_an_options_hint_is_written_on_the_options_editor_and_shown_to_agencies(
    client, db, coordinator
):
    coordinator("breckland")
    base = start_blank(client)
    url = f"{base}/sections/section-1/questions/new"
    assert post(client, url, {"type": "single_choice", "label": "How often?"}).status_code == 303
    question = f"{base}/questions/how-often"
    form = {"label": "How often?", "required": "yes", "option_rows": "3"}
    form |= {"option_0_label": "Monthly", "option_0_hint": "At least twelve times a year"}
    form |= {"option_1_label": "Rarely", "option_1_hint": ""}
    assert post(client, question, form).status_code == 303
    page = client.page(question)
    assert page.select_one("input[name=option_0_hint]")["value"] == "At least twelve times a year"
    preview = client.page(f"{base}/preview").get_text(" ", strip=True)
    assert "At least twelve times a year" in preview
    too_long = form | {"option_1_hint": "x" * 2001}
    response = post(client, question, too_long)
    assert response.status_code == 400
    text = BeautifulSoup(response.text, "html.parser").get_text(" ", strip=True)
    assert "The option's hint must be 2,000 characters or fewer" in text
    draft = db.scalar(select(QuestionnaireDraft))
    db.refresh(draft)
    assert question_at(draft.content, "how-often")["options"] == [
        {"value": "monthly", "label": "Monthly", "hint": "At least twelve times a year"},
        {"value": "rarely", "label": "Rarely"},
    ]


def test_a_coordinator_removes_a_spare_scale_but_is_told_which_questions_use_one(
    client, db, coordinator
):
    coordinator("breckland")
    base = start_blank(client)
    build(client, base)
    assert post(client, f"{base}/scales/new", LEVELS | {"label": "Spare"}).status_code == 303
    used = client.page(f"{base}/scales/four-levels/remove")
    assert used.select_one(f"form[action='{base}/scales/four-levels/remove']") is None
    assert "How well is safeguarding led?" in used.select_one("#scale-users").get_text()
    response = post(
        client,
        f"{base}/scales/four-levels/remove",
        {},
        page=f"{base}/scales/spare/remove",
        action=f"{base}/scales/spare/remove",
    )
    assert response.status_code == 400  # a hand-made post is refused, naming the user
    assert "How well is safeguarding led?" in response.text
    assert client.get(f"{base}/scales/new/remove").status_code == 404
    assert client.page(base).select_one(f"a[href='{base}/scales/spare/remove']") is not None
    assert post(client, f"{base}/scales/spare/remove", {}).status_code == 303
    draft = db.scalar(select(QuestionnaireDraft))
    db.refresh(draft)
    assert set(draft.content["scales"]) == {"four-levels"}


def test_a_questions_type_is_changed_on_its_own_page_and_a_stranded_follow_up_is_named(
    client, db, coordinator
):
    coordinator("breckland")
    base = start_blank(client)
    build(client, base)
    lead = f"{base}/questions/is-there-a-named-lead"
    assert client.page(lead).select_one(f"a[href='{lead}/type']") is not None
    page = client.page(f"{lead}/type")
    assert "Why is there no lead?" in page.select_one("#readers").get_text()
    assert page.select_one("input[name=type][value=yes_no][checked]") is not None
    response = post(client, f"{lead}/type", {"type": "long_text"})
    assert response.status_code == 400
    text = BeautifulSoup(response.text, "html.parser").get_text(" ", strip=True)
    assert "“Why is there no lead?” is shown only on answers a question of this type" in text
    rating = f"{base}/questions/how-well-is-safeguarding-led"
    response = post(client, f"{rating}/type", {"type": "number", "scale": ""})
    assert response.status_code == 303
    assert response.headers["location"] == rating
    draft = db.scalar(select(QuestionnaireDraft))
    db.refresh(draft)
    assert question_at(draft.content, "how-well-is-safeguarding-led")["type"] == "number"
    assert "scale" not in question_at(draft.content, "how-well-is-safeguarding-led")
    assert question_at(draft.content, "is-there-a-named-lead")["type"] == "yes_no"


def test_the_type_page_warns_before_and_the_question_page_after_that_answers_stop_carrying_over(
    client, db, coordinator
):
    coordinator("breckland")
    path = Path(__file__).resolve().parents[2] / "questionnaires" / "norfolk-2021.yaml"
    questionnaire_service.publish_file(db, path=path, actor=None)
    db.commit()
    response = post(
        client,
        "/questionnaire-drafts",
        {"start": "version:norfolk-section11/2021"},
        page="/questionnaire-drafts",
        action="/questionnaire-drafts",
    )
    assert response.status_code == 303
    base = response.headers["location"]
    question = f"{base}/questions/neglect-rating"
    before = client.page(f"{question}/type").get_text(" ", strip=True)
    assert "Last year's answers to this question were given as “Rating on a scale”" in before
    assert "Any other type stops them carrying over" in before
    assert post(client, f"{question}/type", {"type": "long_text"}).status_code == 303
    after = client.page(question).get_text(" ", strip=True)
    assert "last year's answers to it will not carry over" in after
