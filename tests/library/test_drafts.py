"""The editor's rules, as a coordinator would notice them: a shipped questionnaire opened in the
editor comes out identical, two coordinators never overwrite each other, bad input is refused
with nothing stored, ids never reused for another question, publishing through the upload's path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from app.directory import service as directory_service
from app.directory.models import Role
from app.library import draft_publishing, drafts, editing, form_fields, scales, show_if
from app.library.models import QuestionnaireDraft
from app.questionnaires import service as questionnaire_service
from app.questionnaires.checks import check_file, check_text
from app.questionnaires.models import QuestionnaireVersion

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "questionnaires").glob("*.yaml"))


@pytest.fixture
def breckland(db):
    partnership = directory_service.ensure_partnership(
        db, slug="breckland", name="Breckland", short_name="BRE", colour="#1d4f91"
    )
    person = directory_service.ensure_person(db, email="cora@breckland.example.org", name="Cora")
    directory_service.ensure_membership(
        db, person=person, partnership=partnership, role=Role.COORDINATOR
    )
    other = directory_service.ensure_person(db, email="col@breckland.example.org", name="Col")
    directory_service.ensure_membership(
        db, person=other, partnership=partnership, role=Role.COORDINATOR
    )
    return partnership, person, other


def edit(db, draft, person, change):
    return drafts.save(db, draft=draft, actor=person, read_revision=draft.revision, change=change)


FOUR_LEVELS = {
    "label": "Four levels",
    "level_rows": "4",
    **{f"level_{i}_label": name for i, name in enumerate(["Poor", "Fair", "Good", "Great"])},
    **{f"level_{i}_value": str(i + 1) for i in range(4)},
    **{f"level_{i}_colour": c for i, c in enumerate(["red", "amber", "green", "blue"])},
    **{f"level_{i}_descriptor": f"Level {i + 1} in words" for i in range(4)},
}


def blank_with_questions(db, partnership, person):
    """A draft from blank: a scale, a rating, a yes/no and a follow-up shown only on "No"."""
    draft = drafts.start_blank(db, partnership=partnership, actor=person)
    edit(
        db,
        draft,
        person,
        lambda c: editing.set_details(
            c, {"title": "Breckland self-assessment", "version": "1"}, id_editable=True
        ),
    )
    edit(db, draft, person, lambda c: scales.set_scale(c, None, FOUR_LEVELS))
    for kind, label in [
        ("rating", "How well is safeguarding led?"),
        ("yes_no", "Is there a named safeguarding lead?"),
        ("long_text", "Why is there no lead?"),
    ]:
        edit(
            db,
            draft,
            person,
            lambda c, kind=kind, label=label: editing.add_question(
                c, "section-1", {"type": kind, "label": label}, published_ids={}
            ),
        )
    edit(
        db,
        draft,
        person,
        lambda c: show_if.set_show_if(
            c,
            "why-is-there-no-lead",
            {
                "questions": "is-there-a-named-safeguarding-lead",
                "answers_is-there-a-named-safeguarding-lead": "no",
            },
        ),
    )
    return draft


def norfolk_draft(db, partnership, person):
    """The next version of the shared Norfolk 2021 questionnaire, published first."""
    shared, _ = questionnaire_service.publish_file(
        db, path=SHIPPED[[p.name for p in SHIPPED].index("norfolk-2021.yaml")], actor=None
    )
    return drafts.start_from_version(
        db,
        partnership=partnership,
        actor=person,
        questionnaire_id=shared.questionnaire_id,
        version=shared.version,
    )


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_questionnaire_opened_in_the_editor_comes_out_identical(db, breckland, path):
    partnership, person, _ = breckland
    original = check_file(path).questionnaire
    draft = drafts.start_from_text(
        db, partnership=partnership, actor=person, text=path.read_text(), source_name=path.name
    )
    assert drafts.problems(draft.content, base="") == []
    written = check_text(draft_publishing.yaml_of(draft), source=path.name)
    assert written.ok, written.problems
    assert written.questionnaire == original
    assert questionnaire_service.content_hash(written.questionnaire) == (
        questionnaire_service.content_hash(original)
    )
    # Published unchanged through the editor's path, the frozen version is the same model.
    version = draft_publishing.publish_draft(
        db, partnership=partnership, actor=person, draft=draft, read_revision=draft.revision
    )
    # (As data: a snapshot shared in the process may carry its rendering caches.)
    assert questionnaire_service.snapshot(version).model_dump() == original.model_dump()
    assert version.sha256 == questionnaire_service.content_hash(original)


def test_two_coordinators_changing_one_question_give_one_saved_and_one_told(db, breckland):
    partnership, cora, col = breckland
    draft = blank_with_questions(db, partnership, cora)
    read = draft.revision  # both open the question's page at this revision
    question = "is-there-a-named-safeguarding-lead"
    drafts.save(
        db,
        draft=draft,
        actor=cora,
        read_revision=read,
        change=lambda c: editing.set_question(
            c, question, {"label": "Cora's wording"}, published_ids={}
        ),
    )
    with pytest.raises(drafts.DraftConflict, match="Cora changed this questionnaire"):
        drafts.save(
            db,
            draft=draft,
            actor=col,
            read_revision=read,
            change=lambda c: editing.set_question(
                c, question, {"label": "Col's wording"}, published_ids={}
            ),
        )
    db.refresh(draft)
    assert editing.question_at(draft.content, question)["label"] == "Cora's wording"
    assert draft.revision == read + 1


def test_a_save_racing_a_colleagues_is_refused_by_the_database_not_only_by_the_page(db, breckland):
    partnership, cora, col = breckland
    draft = blank_with_questions(db, partnership, cora)
    read = draft.revision
    # A colleague's save lands between this request reading the draft and writing it.
    db.execute(
        update(QuestionnaireDraft)
        .where(QuestionnaireDraft.id == draft.id)
        .values(revision=read + 1, updated_by_id=col.id)
        .execution_options(synchronize_session=False)
    )
    assert draft.revision == read  # what this request read, still in its session
    with pytest.raises(drafts.DraftConflict, match="Col changed this questionnaire"):
        drafts.save(
            db,
            draft=draft,
            actor=cora,
            read_revision=read,
            change=lambda c: editing.set_question(
                c, "why-is-there-no-lead", {"label": "Mine"}, published_ids={}
            ),
        )
    db.refresh(draft)
    assert editing.question_at(draft.content, "why-is-there-no-lead")["label"] != "Mine"


@pytest.mark.parametrize(
    ("what", "change", "field"),
    [
        (
            "a 10,000-character label",
            lambda c: editing.set_question(
                c, "why-is-there-no-lead", {"label": "x" * 10_000}, published_ids={}
            ),
            "label",
        ),
        (
            "500 options",
            lambda c: (
                editing.add_question(
                    c, "section-1", {"type": "single_choice", "label": "Pick"}, published_ids={}
                )
                and editing.set_question(
                    c,
                    "pick",
                    {"label": "Pick", "option_rows": "500"}
                    | {f"option_{i}_label": f"Option {i}" for i in range(500)},
                    published_ids={},
                )
            ),
            "option-0-label",
        ),
        (
            "a show_if on a later question",
            lambda c: show_if.set_show_if(
                c,
                "how-well-is-safeguarding-led",
                {"questions": "why-is-there-no-lead", "answers_why-is-there-no-lead": "no"},
            ),
            "questions",
        ),
        (
            "a rating without a scale",
            lambda c: editing.set_question(
                c,
                "how-well-is-safeguarding-led",
                {"label": "Led?", "scale": "nope"},
                published_ids={},
            ),
            "scale",
        ),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_stored(
    db, breckland, what, change, field
):
    partnership, person, _ = breckland
    draft = blank_with_questions(db, partnership, person)
    before, revision = draft.content, draft.revision
    with pytest.raises(drafts.EditRefused) as refused:
        edit(db, draft, person, change)
    assert field in refused.value.errors, what
    db.refresh(draft)
    assert draft.content == before and draft.revision == revision


def test_a_new_question_never_takes_the_id_a_published_version_gave_another_question(db, breckland):
    partnership, person, _ = breckland
    draft = blank_with_questions(db, partnership, person)
    draft_publishing.publish_draft(
        db, partnership=partnership, actor=person, draft=draft, read_revision=draft.revision
    )
    published = drafts.published_question_ids(db, questionnaire_id="breckland-self-assessment")
    assert "is-there-a-named-safeguarding-lead" in published
    version = db.scalar(select(QuestionnaireVersion))
    second = drafts.start_from_version(
        db,
        partnership=partnership,
        actor=person,
        questionnaire_id=version.questionnaire_id,
        version=version.version,
    )
    assert second.content["version"] == "2"
    edit(
        db,
        second,
        person,
        lambda c: editing.remove_question(
            c, "is-there-a-named-safeguarding-lead", with_dependents=False
        ),
    )
    new_id = edit_result(
        db,
        second,
        person,
        lambda c: editing.add_question(
            c,
            "section-1",
            {"type": "yes_no", "label": "Is there a named safeguarding lead?"},
            published_ids=published,
        ),
    )
    assert new_id != "is-there-a-named-safeguarding-lead"
    with pytest.raises(drafts.EditRefused) as refused:
        edit(
            db,
            second,
            person,
            lambda c: editing.set_question(
                c,
                new_id,
                {"label": "Lead?", "id": "is-there-a-named-safeguarding-lead"},
                published_ids=published,
            ),
        )
    assert "published version uses the id" in refused.value.errors["id"]


def edit_result(db, draft, person, change):
    result = {}
    edit(db, draft, person, lambda c: result.setdefault("value", change(c)))
    return result["value"]


def test_removing_a_question_others_depend_on_keeps_them_shown_always_or_removes_them(
    db, breckland
):
    partnership, person, _ = breckland
    draft = blank_with_questions(db, partnership, person)
    lead = "is-there-a-named-safeguarding-lead"
    assert [q["id"] for q in form_fields.dependents(draft.content, {lead})] == [
        "why-is-there-no-lead"
    ]
    edit(db, draft, person, lambda c: editing.remove_question(c, lead, with_dependents=False))
    assert "show_if" not in editing.question_at(draft.content, "why-is-there-no-lead")
    other = blank_with_questions(db, partnership, person)
    edit(db, other, person, lambda c: editing.remove_question(c, lead, with_dependents=True))
    with pytest.raises(KeyError):
        editing.question_at(other.content, "why-is-there-no-lead")


def test_a_draft_with_problems_cannot_be_published_and_says_where_in_plain_words(db, breckland):
    partnership, person, _ = breckland
    draft = blank_with_questions(db, partnership, person)
    edit(db, draft, person, lambda c: editing.add_section(c, {"title": "Evidence"}))
    edit(
        db,
        draft,
        person,
        lambda c: editing.set_section(
            c, "evidence", {"title": "Evidence", "evidence_required": "yes"}
        ),
    )
    found = drafts.problems(draft.content, base="/d")
    assert any(p.where == "Section 2 “Evidence”" and p.field == "Evidence needed" for p in found), (
        found
    )
    assert all("sections[" not in str(p) for p in found)
    with pytest.raises(draft_publishing.publishing.PublishRefused):
        draft_publishing.publish_draft(
            db, partnership=partnership, actor=person, draft=draft, read_revision=draft.revision
        )
    assert db.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 0


def test_a_published_draft_is_the_partnerships_own_version_and_is_closed(db, breckland):
    partnership, person, _ = breckland
    draft = blank_with_questions(db, partnership, person)
    version = draft_publishing.publish_draft(
        db, partnership=partnership, actor=person, draft=draft, read_revision=draft.revision
    )
    assert version.partnership_id == partnership.id
    assert version.questionnaire_id == "breckland-self-assessment"
    snapshot = questionnaire_service.snapshot(version)
    follow_up = snapshot.question("why-is-there-no-lead")
    assert follow_up.show_if.question == "is-there-a-named-safeguarding-lead"
    db.refresh(draft)
    assert draft.published_version_id == version.id
    assert drafts.list_drafts(db, partnership=partnership) == []
    with pytest.raises(drafts.DraftError):
        edit(db, draft, person, lambda c: None)


def test_a_new_version_of_a_shared_questionnaire_keeps_its_id_and_warns_of_a_changed_scale(
    db, breckland
):
    partnership, person, _ = breckland
    draft = norfolk_draft(db, partnership, person)
    assert draft.content["id"] == "norfolk-section11" and draft.content["version"] == "2022"
    edit(db, draft, person, lambda c: scales.set_scale(c, None, FOUR_LEVELS))
    edit(
        db,
        draft,
        person,
        lambda c: editing.set_question(
            c,
            "neglect-rating",
            {"label": "How well do you respond to neglect?", "scale": "four-levels"},
            published_ids={},
        ),
    )
    seen = drafts.view(db, partnership=partnership, draft=draft)
    assert "neglect-rating" in seen.lost
    version = draft_publishing.publish_draft(
        db, partnership=partnership, actor=person, draft=draft, read_revision=draft.revision
    )
    assert (version.questionnaire_id, version.version) == ("norfolk-section11", "2022")
    assert version.partnership_id == partnership.id


def test_another_partnerships_draft_is_not_found(db, breckland):
    partnership, person, _ = breckland
    draft = drafts.start_blank(db, partnership=partnership, actor=person)
    other = directory_service.ensure_partnership(
        db, slug="suffolk", name="Suffolk", short_name="SUF", colour="#1d4f91"
    )
    assert drafts.get_draft(db, partnership=other, draft_id=draft.id) is None
    assert db.scalar(select(func.count()).select_from(QuestionnaireDraft)) == 1


def test_an_abandoned_draft_is_deleted_but_a_published_or_newer_one_is_kept(db, breckland):
    partnership, person, other = breckland
    draft = blank_with_questions(db, partnership, person)
    stale = draft.revision - 1
    with pytest.raises(drafts.DraftConflict):
        drafts.delete_draft(db, draft=draft, actor=other, read_revision=stale)
    drafts.delete_draft(db, draft=draft, actor=other, read_revision=draft.revision)
    assert db.scalar(select(func.count()).select_from(QuestionnaireDraft)) == 0
    published = blank_with_questions(db, partnership, person)
    draft_publishing.publish_draft(
        db, partnership=partnership, actor=person, draft=published, read_revision=published.revision
    )
    db.refresh(published)
    with pytest.raises(drafts.DraftError):
        drafts.delete_draft(db, draft=published, actor=person, read_revision=published.revision)
    assert db.get(QuestionnaireDraft, published.id) is not None


def test_the_questionnaires_sectors_are_ticked_on_its_details_and_a_wider_question_is_flagged(
    db, breckland
):
    partnership, person, _ = breckland
    draft = blank_with_questions(db, partnership, person)
    details = {"title": "Breckland self-assessment", "version": "1"}
    with pytest.raises(drafts.EditRefused) as refused:
        edit(
            db,
            draft,
            person,
            lambda c: editing.set_details(
                c, details | {"sectors": ["health_provider", "made-up"]}, id_editable=True
            ),
        )
    assert refused.value.errors == {"sectors": "Choose sectors from the list"}
    edit(
        db,
        draft,
        person,
        lambda c: editing.set_details(
            c, details | {"sectors": ["health_provider", "police"]}, id_editable=True
        ),
    )
    assert draft.content["sectors"] == ["health_provider", "police"]
    assert drafts.questionnaire_of(draft.content).sectors is not None
    content = copy.deepcopy(draft.content)
    question = form_fields.question_at(content, "is-there-a-named-safeguarding-lead")
    question["sectors"] = ["education"]
    found = drafts.problems(content, base="/d")
    assert any(p.field == "Sectors" and "/questions/is-there" in p.href for p in found)
    edit(db, draft, person, lambda c: editing.set_details(c, details, id_editable=True))
    assert "sectors" not in draft.content  # none ticked: every agency, left out as a file would


def test_an_options_hint_is_changed_or_cleared_and_a_form_without_hints_keeps_them(db, breckland):
    partnership, person, _ = breckland
    draft = blank_with_questions(db, partnership, person)
    edit(
        db,
        draft,
        person,
        lambda c: editing.add_question(
            c, "section-1", {"type": "single_choice", "label": "How often?"}, published_ids={}
        ),
    )
    rows = {"label": "How often?", "option_rows": "2", "option_0_label": "Monthly"}
    rows |= {"option_1_label": "Rarely"}

    def options_after(form):
        edit(
            db,
            draft,
            person,
            lambda c: editing.set_question(c, "how-often", form, published_ids={}),
        )
        return form_fields.question_at(draft.content, "how-often")["options"]

    hinted = options_after(rows | {"option_0_hint": "Twelve times a year", "option_1_hint": ""})
    assert hinted == [
        {"value": "monthly", "label": "Monthly", "hint": "Twelve times a year"},
        {"value": "rarely", "label": "Rarely"},
    ]
    assert options_after(rows) == hinted  # a form without the hint fields loses nothing
    cleared = options_after(rows | {"option_0_hint": "", "option_1_hint": "Hardly ever"})
    assert cleared == [
        {"value": "monthly", "label": "Monthly"},
        {"value": "rarely", "label": "Rarely", "hint": "Hardly ever"},
    ]


def test_a_scale_nothing_uses_is_removed_and_one_in_use_says_who_uses_it(db, breckland):
    partnership, person, _ = breckland
    draft = blank_with_questions(db, partnership, person)
    edit(db, draft, person, lambda c: scales.set_scale(c, None, FOUR_LEVELS | {"label": "Spare"}))
    assert set(draft.content["scales"]) == {"four-levels", "spare"}
    with pytest.raises(drafts.EditRefused) as refused:
        edit(db, draft, person, lambda c: scales.remove_scale(c, "four-levels"))
    assert "“How well is safeguarding led?”" in refused.value.errors["_"]
    draft.content["sections"][0]["scale"] = "spare"  # a section scored on it counts too
    assert scales.scale_users(draft.content, "spare") == ["Section “Section 1”"]
    db.refresh(draft)
    edit(db, draft, person, lambda c: scales.remove_scale(c, "spare"))
    assert set(draft.content["scales"]) == {"four-levels"}


def retype(db, draft, person, question_id, form):
    from app.library import question_types

    edit(db, draft, person, lambda c: question_types.change_type(c, question_id, form))
    return form_fields.question_at(draft.content, question_id)


def test_a_question_given_another_type_keeps_its_wording_and_drops_what_the_old_type_had(
    db, breckland
):
    partnership, person, _ = breckland
    draft = blank_with_questions(db, partnership, person)
    rating = "how-well-is-safeguarding-led"
    edit(
        db,
        draft,
        person,
        lambda c: form_fields.question_at(c, rating).update(
            hint="Think of the last year",
            required=False,
            descriptors={1: "Poor in words"},
            evidence_prompts=["A policy"],
        ),
    )
    as_number = retype(db, draft, person, rating, {"type": "number"})
    assert as_number == {
        "id": rating,
        "type": "number",
        "label": "How well is safeguarding led?",
        "hint": "Think of the last year",
        "required": False,
    }
    as_choice = retype(db, draft, person, rating, {"type": "multiple_choice"})
    assert [o["label"] for o in as_choice["options"]] == ["Option 1", "Option 2"]
    edit(
        db,
        draft,
        person,
        lambda c: form_fields.question_at(c, rating)["options"].__setitem__(
            0, {"value": "well", "label": "Well", "hint": "Most of the time"}
        ),
    )
    assert retype(db, draft, person, rating, {"type": "single_choice"})["options"][0] == {
        "value": "well",
        "label": "Well",
        "hint": "Most of the time",
    }
    with pytest.raises(drafts.EditRefused) as refused:
        retype(db, draft, person, rating, {"type": "rating"})
    assert refused.value.errors == {"scale": "Choose a scale"}
    again = retype(db, draft, person, rating, {"type": "rating", "scale": "four-levels"})
    assert again["scale"] == "four-levels" and "options" not in again
    assert drafts.questionnaire_of(draft.content) is not None


def test_a_type_change_that_would_hide_a_follow_up_for_good_is_refused_naming_it(db, breckland):
    partnership, person, _ = breckland
    draft = blank_with_questions(db, partnership, person)
    lead = "is-there-a-named-safeguarding-lead"
    for kind in ("long_text", "single_choice"):
        with pytest.raises(drafts.EditRefused) as refused:
            retype(db, draft, person, lead, {"type": kind})
        assert "“Why is there no lead?” is shown only on answers" in refused.value.errors["type"]
    assert form_fields.question_at(draft.content, lead)["type"] == "yes_no"
    edit(db, draft, person, lambda c: show_if.set_show_if(c, "why-is-there-no-lead", {}))
    assert retype(db, draft, person, lead, {"type": "long_text"})["type"] == "long_text"


def test_a_follow_up_on_an_option_stays_when_one_choice_becomes_several(db, breckland):
    partnership, person, _ = breckland
    draft = blank_with_questions(db, partnership, person)
    lead = "is-there-a-named-safeguarding-lead"
    retype(db, draft, person, "why-is-there-no-lead", {"type": "long_text"})
    edit(db, draft, person, lambda c: show_if.set_show_if(c, "why-is-there-no-lead", {}))
    retype(db, draft, person, lead, {"type": "single_choice"})
    edit(
        db,
        draft,
        person,
        lambda c: show_if.set_show_if(
            c, "why-is-there-no-lead", {"questions": lead, f"answers_{lead}": "option-2"}
        ),
    )
    assert retype(db, draft, person, lead, {"type": "multiple_choice"})["options"][1] == {
        "value": "option-2",
        "label": "Option 2",
    }
    assert drafts.questionnaire_of(draft.content) is not None


def test_last_years_answers_stop_carrying_over_when_a_published_question_changes_type(
    db, breckland
):
    partnership, person, _ = breckland
    draft = norfolk_draft(db, partnership, person)
    last_year = drafts.last_published_question(
        db,
        partnership=partnership,
        questionnaire_id="norfolk-section11",
        question_id="neglect-rating",
    )
    assert (last_year.type, last_year.scale) == ("rating", "ofsted")
    assert "neglect-rating" not in drafts.view(db, partnership=partnership, draft=draft).lost
    as_text = retype(db, draft, person, "neglect-rating", {"type": "long_text"})
    assert as_text["scale"] == "ofsted"  # still scored by the panel on it
    assert "descriptors" not in as_text
    assert "neglect-rating" in drafts.view(db, partnership=partnership, draft=draft).lost
