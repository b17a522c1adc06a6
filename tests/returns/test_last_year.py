"""Starting this year's return from last year's answers and evidence, and seeing them beside
each question."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.cycles import service as cycles_service
from app.directory.models import Agency, Partnership
from app.questionnaires.models import QuestionnaireVersion
from app.returns import service as returns_service
from app.returns import submitting
from app.returns.models import Answer, EvidenceFile, ReturnStatus
from app.storage.backends import storage_for
from tests.conftest import attach_pdf, lead_of, person_by_email, sign_in
from tests.returns.conftest import answer_everything, form_of, section_url


@pytest.fixture
def last_years_return(client, db, settings, nspcc_return):
    """NSPCC's return in an earlier round on the same questionnaire, answered and submitted."""
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    nspcc = db.scalars(select(Agency).where(Agency.name == "NSPCC")).one()
    this_year = db.get(type(nspcc_return), nspcc_return.id)
    version = db.get(
        QuestionnaireVersion,
        db.scalar(
            select(cycles_service.Cycle.questionnaire_version_id).where(
                cycles_service.Cycle.id == this_year.cycle_id
            )
        ),
    )
    cycle = cycles_service.ensure_cycle(
        db,
        slug="last-round",
        name="Last round",
        version=version,
        partnerships=[norfolk],
        # Later than the demo's own last round, so this is the one "last year" finds.
        opens_on=date.today() - timedelta(days=60),
        deadline_on=date.today() - timedelta(days=5),
    )
    [earlier] = cycles_service.open_returns(db, cycle=cycle, agencies=[nspcc])
    lead = lead_of(db, "NSPCC")
    sign_in(client, lead)
    answer_everything(client, earlier)
    attach_pdf(db, settings, lead, earlier.id, question_id="accountability")
    view = returns_service.return_for(db, person=lead, return_id=earlier.id)
    assert submitting.submit_return(db, view=view, actor=lead)
    return earlier


def test_each_question_shows_last_years_answer_beside_it(
    client, db, nspcc_return, last_years_return
):
    page = client.page(section_url(nspcc_return))
    beside = page.select_one("#question-lead-name").find_parent(class_="s11-question")
    assert "Your answer in Last round: Sam" in beside.get_text(" ", strip=True)


def test_the_lead_copies_last_years_answers_without_touching_this_years(
    client, db, settings, nspcc_return, last_years_return
):
    url = section_url(nspcc_return)
    client.post(url, data=form_of(client, url) | {"lead-name": "Written this year"})
    task_list = client.page(f"/returns/{nspcc_return.id}")
    assert "Start from last year's answers" in task_list.get_text()
    token = task_list.find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post(
        f"/returns/{nspcc_return.id}/start-from-last-year",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    banner = client.page(response.headers["location"]).get_text(" ", strip=True)
    assert "evidence files from Last round" in banner
    answers = {
        a.question_id: a.value
        for a in db.scalars(select(Answer).where(Answer.return_id == nspcc_return.id))
    }
    assert answers["lead-name"] == "Written this year"
    assert answers["narrative"] == "We know because we audit."
    assert answers["accountability"] == 2
    [copied] = db.scalars(select(EvidenceFile).where(EvidenceFile.return_id == nspcc_return.id))
    [original] = db.scalars(
        select(EvidenceFile).where(EvidenceFile.return_id == last_years_return.id)
    )
    assert copied.stored_name != original.stored_name and copied.sha256 == original.sha256
    # Removing this year's copy leaves last year's file where it was.
    token = client.csrf_token(f"/returns/{nspcc_return.id}/evidence/{copied.id}/remove")
    client.post(
        f"/returns/{nspcc_return.id}/evidence/{copied.id}/remove", data={"csrf_token": token}
    )
    kept = set(storage_for(settings).names())
    assert original.stored_name in kept
    assert copied.stored_name not in kept


def test_only_the_lead_may_copy_last_years_answers(client, db, nspcc_return, last_years_return):
    from app.directory import service as directory_service
    from app.directory.models import Role

    nspcc = db.scalars(select(Agency).where(Agency.name == "NSPCC")).one()
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    colleague = directory_service.ensure_person(
        db, email="colleague@nspcc.example.org", name="Col League"
    )
    directory_service.ensure_membership(
        db, person=colleague, partnership=norfolk, role=Role.CONTRIBUTOR, agency=nspcc
    )
    sign_in(client, person_by_email(db, "colleague@nspcc.example.org"))
    page = client.page(f"/returns/{nspcc_return.id}")
    assert "Copy last year's answers" not in page.get_text()
    token = page.find("input", attrs={"name": "csrf_token"}) or None
    token = token["value"] if token else client.csrf_token("/returns")
    response = client.post(
        f"/returns/{nspcc_return.id}/start-from-last-year", data={"csrf_token": token}
    )
    assert response.status_code == 409
    assert "Only the agency&#39;s safeguarding lead" in response.text
    assert db.scalars(select(Answer).where(Answer.return_id == nspcc_return.id)).all() == []


def test_without_an_earlier_return_there_is_nothing_to_copy(client, db, demo):
    lead = lead_of(db, "Barnardo's")  # not in the demo's 2020 round
    sign_in(client, lead)
    [(agency_return, _cycle, _agency)] = returns_service.returns_for(db, person=lead)
    assert (
        "Start from last year's answers"
        not in client.page(f"/returns/{agency_return.id}").get_text()
    )
    token = client.csrf_token("/returns")
    response = client.post(
        f"/returns/{agency_return.id}/start-from-last-year", data={"csrf_token": token}
    )
    assert response.status_code == 409
    assert "no earlier return" in response.text


def test_the_action_plan_section_says_where_last_years_actions_will_appear(client, db, demo):
    lead = person_by_email(db, lead_of(db, "Norfolk Constabulary").email)
    sign_in(client, lead)
    [(agency_return, _cycle, _agency)] = [
        row for row in returns_service.returns_for(db, person=lead) if row[1].slug == "s11-2021"
    ]
    page = client.page(f"/returns/{agency_return.id}/sections/action-plan-progress")
    assert "Last year's action plan" in page.get_text()
    assert agency_return.status is ReturnStatus.NOT_STARTED
