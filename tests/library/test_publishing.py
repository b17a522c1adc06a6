"""Publishing questionnaires from the browser, as a coordinator with no shell does it: upload,
read the located problems, fix, preview, compare with the last version, publish."""

from __future__ import annotations

from sqlalchemy import func, select

from app.questionnaires.models import QuestionnaireVersion
from tests.library.conftest import FIXTURE, ours, publish_from, upload

ACCOUNTABILITY = "How well is accountability for safeguarding set out?"


def test_a_mistake_is_shown_with_its_line_and_path_and_nothing_is_published(
    client, db, coordinator
):
    coordinator("breckland")
    broken = ours(FIXTURE).replace("type: rating", "type: ratting", 1)
    response = upload(client, broken)
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "ours.yaml:" in response.text and "sections[" in response.text
    assert db.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 0


def test_a_good_file_is_previewed_then_published_as_the_partnerships_own(client, db, coordinator):
    partnership = coordinator("breckland")
    checked = upload(client, ours(FIXTURE))
    assert checked.status_code == 200
    assert "Publish version 1" in checked.text
    assert publish_from(client, checked.text).status_code == 303
    version = db.scalars(select(QuestionnaireVersion)).one()
    assert version.questionnaire_id == "breckland-s11" and version.partnership_id == partnership.id
    assert client.get("/questionnaires/breckland-s11/1").status_code == 200

    changed = ours(FIXTURE, version="2").replace(ACCOUNTABILITY, "How well, now, is it set out?")
    second = upload(client, changed)
    assert "Changes from version 1" in second.text and "Reworded (1)" in second.text
    assert publish_from(client, second.text).status_code == 303

    coordinator("norwich")  # another partnership neither sees nor reuses the id
    assert client.get("/questionnaires/breckland-s11/1").status_code == 404
    assert "breckland-s11" not in client.page("/questionnaires").get_text()
    taken = upload(client, ours(FIXTURE, version="9"))
    assert taken.status_code == 400 and "already used by another partnership" in taken.text


def test_the_same_version_with_other_content_is_refused(client, db, coordinator):
    coordinator("breckland")
    publish_from(client, upload(client, ours(FIXTURE)).text)
    changed = ours(FIXTURE).replace(ACCOUNTABILITY, "How well, changed, is it set out?")
    response = upload(client, changed)
    assert response.status_code == 400 and "give the changed file a new version" in response.text


def test_oversized_aliased_binary_and_forged_files_are_refused(client, db, coordinator):
    coordinator("breckland")
    laughs = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    for data, says in (
        (laughs, "too large once its aliases"),
        (b"x" * (1_000_001), "smaller than 1000 kB"),
        (b"\xff\xfe\x00binary", "UTF-8"),
    ):
        response = upload(client, data)
        assert response.status_code == 400 and says in response.text
    forged = client.post(
        "/questionnaires/publish",
        data={"csrf_token": client.csrf_token("/"), "text": "id: x\n", "source_name": "x.yaml"},
    )
    assert forged.status_code == 400
    assert db.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 0


def test_a_library_questionnaire_is_previewed_and_published_for_every_partnership(
    client, db, coordinator
):
    coordinator("breckland")
    page = client.page("/questionnaires")
    assert page.select_one("a[href='/questionnaire-library/norfolk-2021.yaml']")
    preview = client.get("/questionnaire-library/norfolk-2021.yaml")
    assert "Publish version" in preview.text
    published = client.post(
        "/questionnaire-library/norfolk-2021.yaml",
        data={"csrf_token": client.csrf_token("/")},
        follow_redirects=False,
    )
    assert published.status_code == 303
    version = db.scalars(select(QuestionnaireVersion)).one()
    assert version.partnership_id is None  # shared
    coordinator("norwich")
    assert (
        client.get(f"/questionnaires/{version.questionnaire_id}/{version.version}").status_code
        == 200
    )
    assert client.get("/questionnaire-library/..%2Fpyproject.toml").status_code == 404


def test_the_schools_audit_preview_says_which_school_types_see_each_duty_question(
    client, db, coordinator
):
    coordinator("breckland")
    preview = client.page("/questionnaire-library/schools-safeguarding-2025.yaml")
    text = preview.get_text(" ", strip=True)
    assert "the agency's school type is one of Independent school (section 157), Academy" in text
    assert "Publish version 2025.1" in text


def test_the_library_says_which_kind_of_board_each_questionnaire_is_for(client, db, coordinator):
    coordinator("breckland")
    preview = client.page("/questionnaire-library/safeguarding-adults-board-2025.yaml")
    assert "Board Safeguarding adults board" in preview.get_text(" ", strip=True)
    for name in ("safeguarding-adults-board-2025.yaml", "norfolk-2021.yaml"):
        client.post(
            f"/questionnaire-library/{name}",
            data={"csrf_token": client.csrf_token("/")},
            follow_redirects=False,
        )
    rows = {
        table.select_one("caption").get_text(strip=True): [
            cell.get_text(strip=True) for cell in table.select("tbody td")
        ]
        for table in client.page("/questionnaires").select("table")
    }
    assert "Safeguarding adults board" in rows["Versions of sab-self-assessment"]
    assert "Children's partnership" in rows["Versions of norfolk-section11"]
    assert db.scalars(
        select(QuestionnaireVersion.board).order_by(QuestionnaireVersion.questionnaire_id)
    ).all() == ["children", "adults"]
