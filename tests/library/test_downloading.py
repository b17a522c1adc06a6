"""Downloading a published version's YAML from the library, as a coordinator who wants to change
it in a text editor does: the file passes check, names itself, and uploads as the same version."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import func, select

from app.questionnaires import service as questionnaire_service
from app.questionnaires.checks import check_text
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.writing import SCHEMA_LINE
from tests.library.conftest import FIXTURE, ours, publish_from, upload


def versions(db) -> int:
    return db.scalar(select(func.count()).select_from(QuestionnaireVersion))


def download(client, questionnaire_id: str, version: str):
    return client.get(f"/questionnaires/{quote(questionnaire_id)}/{quote(version, safe='')}/yaml")


def test_a_coordinator_downloads_their_version_as_a_yaml_file_that_passes_check(
    client, db, coordinator
):
    coordinator("breckland")
    assert publish_from(client, upload(client, ours(FIXTURE)).text).status_code == 303
    published = db.scalars(select(QuestionnaireVersion)).one()

    response = download(client, "breckland-s11", "1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    assert response.headers["content-disposition"] == (
        'attachment; filename="breckland-s11-1.yaml"'
    )
    assert response.text.splitlines()[0] == SCHEMA_LINE
    checked = check_text(response.text)
    assert checked.ok, [str(problem) for problem in checked.problems]
    assert questionnaire_service.content_hash(checked.questionnaire) == published.sha256


def uploads_as_already_published(client, db, questionnaire_id: str, version: str) -> bool:
    response = download(client, questionnaire_id, version)
    assert response.status_code == 200
    again = upload(client, response.text, f"{questionnaire_id}-{version}.yaml")
    assert again.status_code == 200, again.text
    assert "Publish version" not in again.text and "already used by" not in again.text
    assert versions(db) == 1
    return "already published with exactly this content" in again.text


def test_the_downloaded_file_uploaded_again_is_the_version_already_published(
    client, db, coordinator
):
    coordinator("breckland")
    publish_from(client, upload(client, ours(FIXTURE)).text)
    assert uploads_as_already_published(client, db, "breckland-s11", "1")


def test_a_shared_library_version_downloaded_and_uploaded_is_already_published_not_refused(
    client, db, coordinator
):
    coordinator("breckland")
    client.post(
        "/questionnaire-library/norfolk-2021.yaml",
        data={"csrf_token": client.csrf_token("/")},
        follow_redirects=False,
    )
    assert uploads_as_already_published(client, db, "norfolk-section11", "2021")


def test_another_partnerships_version_is_not_found_and_its_copy_is_still_refused(
    client, db, coordinator
):
    coordinator("breckland")
    publish_from(client, upload(client, ours(FIXTURE)).text)
    theirs = download(client, "breckland-s11", "1").text

    coordinator("norwich")
    assert download(client, "breckland-s11", "1").status_code == 404
    assert download(client, "breckland-s11", "2").status_code == 404
    assert download(client, "no-such-questionnaire", "1").status_code == 404
    copied = upload(client, theirs)
    assert copied.status_code == 400 and "already used by another partnership" in copied.text
    assert versions(db) == 1


def test_the_library_and_the_preview_offer_the_download(client, db, coordinator):
    coordinator("breckland")
    publish_from(client, upload(client, ours(FIXTURE)).text)
    href = "/questionnaires/breckland-s11/1/yaml"
    link = client.page("/questionnaires").select_one(f"a[href='{href}']")
    assert link is not None and "the YAML of Every question type version 1" in link.get_text()
    assert client.page("/questionnaires/breckland-s11/1").select_one(f"a[href='{href}']")


def test_a_version_named_with_awkward_characters_downloads_under_a_safe_file_name(
    client, db, coordinator
):
    partnership = coordinator("breckland")
    awkward = 'Spring "2026" <ü> ; draft'
    questionnaire = check_text(ours(FIXTURE)).questionnaire
    questionnaire = questionnaire.model_copy(update={"version": awkward})
    questionnaire_service.publish(
        db,
        questionnaire=questionnaire,
        source_name="awkward.yaml",
        actor=None,
        partnership_id=partnership.id,
    )
    response = download(client, "breckland-s11", awkward)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="breckland-s11-Spring-2026-draft.yaml"'
    )
    assert check_text(response.text).questionnaire.version == awkward
