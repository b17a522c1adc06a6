"""Freezing: a published version keeps its content and sha256, whatever the file does later."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import FrozenVersionError, QuestionnaireVersion
from tests.conftest import person_by_email, sign_in
from tests.questionnaires.test_checks import VALID


@pytest.fixture
def questionnaire_file(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(VALID)
    return path


def test_publishing_stores_the_full_content_and_its_sha256(db, questionnaire_file):
    version, created = questionnaire_service.publish_file(db, path=questionnaire_file, actor=None)
    assert created
    assert (version.questionnaire_id, version.version, version.source_name) == (
        "small",
        "1",
        "small.yaml",
    )
    assert len(version.sha256) == 64
    snapshot = questionnaire_service.snapshot(version)
    assert [q.id for _, q in snapshot.questions()] == ["q1", "q2", "q3"]
    assert version.content["sections"][0]["questions"][0]["required"] is True
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "questionnaire_published"))
    assert event.one().detail["sha256"] == version.sha256


def test_publishing_the_same_file_again_changes_nothing(db, questionnaire_file):
    first, _ = questionnaire_service.publish_file(db, path=questionnaire_file, actor=None)
    questionnaire_file.write_text("# a comment only\n" + VALID)
    again, created = questionnaire_service.publish_file(db, path=questionnaire_file, actor=None)
    assert not created and again.id == first.id


def test_a_changed_file_with_a_published_version_is_refused_until_it_has_a_new_version(
    db, questionnaire_file
):
    questionnaire_service.publish_file(db, path=questionnaire_file, actor=None)
    questionnaire_file.write_text(VALID.replace("Do you have a policy?", "Have you a policy?"))
    with pytest.raises(
        questionnaire_service.PublishError, match="give the changed file a new version"
    ):
        questionnaire_service.publish_file(db, path=questionnaire_file, actor=None)
    questionnaire_file.write_text(
        VALID.replace("Do you have a policy?", "Have you a policy?").replace(
            "version: 1", "version: 2"
        )
    )
    version, created = questionnaire_service.publish_file(db, path=questionnaire_file, actor=None)
    assert created and version.version == "2"


def test_a_file_with_problems_is_not_published(db, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(VALID.replace("scale: compliance", "scale: nope"))
    with pytest.raises(questionnaire_service.PublishError, match="unknown scale 'nope'"):
        questionnaire_service.publish_file(db, path=path, actor=None)
    assert db.scalars(select(QuestionnaireVersion)).all() == []


def test_a_published_version_cannot_change_under_an_existing_return(db, client, questionnaire_file):
    version, _ = questionnaire_service.publish_file(db, path=questionnaire_file, actor=None)
    db.commit()  # as the publishing request would
    # The file changes on disk after the version went out to agencies...
    questionnaire_file.write_text(VALID.replace("Do you have a policy?", "Changed wording?"))
    # ...and nobody can change the stored snapshot, through the service or the ORM.
    with pytest.raises(questionnaire_service.PublishError):
        questionnaire_service.publish_file(db, path=questionnaire_file, actor=None)
    version.content = {**version.content, "title": "Tampered"}
    with pytest.raises(FrozenVersionError):
        db.flush()
    db.rollback()
    with pytest.raises(FrozenVersionError):
        db.delete(db.get(QuestionnaireVersion, version.id))
        db.flush()
    db.rollback()
    stored = db.get(QuestionnaireVersion, version.id)
    assert questionnaire_service.snapshot(stored).question("q1").label == "Do you have a policy?"


def test_the_preview_renders_the_stored_snapshot_not_the_file(db, client, demo, questionnaire_file):
    questionnaire_service.publish_file(db, path=questionnaire_file, actor=None)
    questionnaire_file.write_text(VALID.replace("Do you have a policy?", "Changed wording?"))
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    text = client.page("/questionnaires/small/1").get_text(" ", strip=True)
    assert "Do you have a policy?" in text and "Changed wording?" not in text


def test_publish_command_reports_published_and_already_published(tmp_path, questionnaire_file):
    from tests.test_config import run_s11

    env = {"S11_VAR_DIR": str(tmp_path / "var")}
    assert run_s11("migrate", **env).returncode == 0
    first = run_s11("questionnaire", "publish", str(questionnaire_file), **env)
    second = run_s11("questionnaire", "publish", str(questionnaire_file), **env)
    assert "published small version 1" in first.stdout
    assert "already published small version 1" in second.stdout
    questionnaire_file.write_text(VALID.replace("Do you have a policy?", "Changed?"))
    third = run_s11("questionnaire", "publish", str(questionnaire_file), **env)
    assert third.returncode == 2 and "give the changed file a new version" in third.stderr
    assert "Traceback" not in third.stderr
