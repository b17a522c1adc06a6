"""Filling in a return through the pages: task list, sections, validation and conflicts."""

from __future__ import annotations

from sqlalchemy import select

from app.returns import service as returns_service
from app.returns.models import Answer, ReturnStatus
from tests.conftest import client_for, lead_of, person_by_email, sign_in
from tests.returns.conftest import answer_everything, form_of, section_url


def test_the_task_list_shows_sections_progress_and_days_left(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    text = client.page(f"/returns/{nspcc_return.id}").get_text(" ", strip=True)
    assert "Test round" in text and "(10 days left)" in text
    assert "0 of 7 required questions answered" in text  # the rest are hidden for NSPCC
    assert "All types" in text and "Not started" in text


def test_a_lead_saves_a_section_without_javascript(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    url = section_url(nspcc_return)
    typed = {
        "lead-name": "Sam Lead",
        "has-policy": "yes",
        "accountability": "3",
        "training__0__course": "Level 3",
        "training__0__trained": "12",
    }
    response = client.post(url, data=form_of(client, url) | typed, follow_redirects=False)
    # "Yes" opens a follow-up question: the page comes back to show it.
    assert response.headers["location"] == (
        f"{url}?added=policy-date&added=channels#question-policy-date"
    )
    date_parts = {"policy-date-day": "1", "policy-date-month": "4", "policy-date-year": "2026"}
    response = client.post(
        url, data=form_of(client, url) | typed | date_parts, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    answers = {
        a.question_id: a.value
        for a in db.scalars(select(Answer).where(Answer.return_id == nspcc_return.id))
    }
    assert answers["lead-name"] == "Sam Lead" and answers["accountability"] == 3
    assert answers["policy-date"] == "2026-04-01"
    assert answers["training"] == [
        {"course": "Level 3", "trained": "12", "date": "", "mandatory": "", "level": ""}
    ]
    page = client.page(url)
    assert page.find("input", attrs={"name": "lead-name"})["value"] == "Sam Lead"
    assert nspcc_return.status is ReturnStatus.IN_PROGRESS


def test_bad_input_is_explained_and_what_was_typed_is_kept(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    url = section_url(nspcc_return)
    data = form_of(client, url) | {
        "lead-name": "Kept",
        "staff-count": "lots",
        "narrative__na": "yes",
    }
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Say why this question does not apply to your agency" in response.text
    assert 'value="Kept"' in response.text
    assert (
        db.scalars(select(Answer).where(Answer.return_id == nspcc_return.id)).all() == []
    )  # nothing half-saved


def test_a_question_for_other_sectors_is_not_shown(client, db, nspcc_return):
    # staff-count is only for police and health providers: NSPCC never sees it
    sign_in(client, lead_of(db, "NSPCC"))
    assert (
        client.page(section_url(nspcc_return)).find("input", attrs={"name": "staff-count"}) is None
    )


def test_two_people_change_the_same_answer_and_nobody_loses_their_text(
    client, settings, engine, db, nspcc_return
):
    lead = lead_of(db, "NSPCC")
    sign_in(client, lead)
    url = section_url(nspcc_return)
    seen_by_lead = form_of(client, url)  # the lead opens the section...

    same_lead_elsewhere = person_by_email(db, lead.email)  # another browser, same return
    with client_for(settings, engine, db) as colleague:
        sign_in(colleague, same_lead_elsewhere)
        colleague_form = form_of(colleague, url)
        colleague.post(url, data=colleague_form | {"lead-name": "Colleague's answer"})

    response = client.post(url, data=seen_by_lead | {"lead-name": "Lead's answer"})
    assert response.status_code == 409
    assert "Someone else changed this answer while you were working" in response.text
    assert "Colleague&#39;s answer" in response.text or "Colleague's answer" in response.text
    assert 'value="Lead&#39;s answer"' in response.text  # their own text, still in the box
    stored = db.scalars(
        select(Answer).where(Answer.return_id == nspcc_return.id, Answer.question_id == "lead-name")
    ).one()
    assert stored.value == "Colleague's answer"

    # Saving again from the conflict page is the deliberate choice to use their own answer.
    again = form_of_response(response) | {"lead-name": "Lead's answer"}
    assert client.post(url, data=again, follow_redirects=False).status_code == 303
    db.refresh(stored)
    assert stored.value == "Lead's answer"


def form_of_response(response) -> dict[str, str]:
    from bs4 import BeautifulSoup

    page = BeautifulSoup(response.text, "html.parser")
    return {
        f["name"]: f.get("value", "") for f in page.select("form[method=post] input[type=hidden]")
    }


def test_an_untouched_answer_never_overwrites_a_newer_one(
    client, settings, engine, db, nspcc_return
):
    lead = lead_of(db, "NSPCC")
    sign_in(client, lead)
    url = section_url(nspcc_return)
    seen = form_of(client, url)
    with client_for(settings, engine, db) as colleague:
        sign_in(colleague, lead)
        colleague.post(url, data=form_of(colleague, url) | {"lead-name": "Newer"})
    response = client.post(url, data=seen | {"has-policy": "no"}, follow_redirects=False)
    assert response.status_code == 303
    answers = {
        a.question_id: a.value
        for a in db.scalars(select(Answer).where(Answer.return_id == nspcc_return.id))
    }
    assert answers == {"lead-name": "Newer", "has-policy": "no"}


def test_answers_with_markup_are_shown_as_text(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    url = section_url(nspcc_return)
    nasty = '<script>alert(1)</script>"><img src=x onerror=alert(2)> hx-get="/x"'
    client.post(url, data=form_of(client, url) | {"narrative": nasty})
    html = client.get(url).text
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_save_after_submission_is_refused_and_changes_nothing(client, db, nspcc_return):
    lead = lead_of(db, "NSPCC")
    sign_in(client, lead)
    url = section_url(nspcc_return)
    client.post(url, data=form_of(client, url) | {"lead-name": "Final"})
    returns_service.move_return(
        db, agency_return=nspcc_return, to=ReturnStatus.SUBMITTED, actor=lead
    )
    response = client.post(url, data=form_of(client, url) | {"lead-name": "Changed"})
    assert response.status_code == 409
    assert (
        db.scalars(select(Answer).where(Answer.return_id == nspcc_return.id)).one().value == "Final"
    )


def test_another_agencys_return_does_not_exist_for_them(client, db, nspcc_return):
    sign_in(client, lead_of(db, "Barnardo's"))
    for url in (f"/returns/{nspcc_return.id}", section_url(nspcc_return)):
        assert client.get(url).status_code == 404
    token = client.csrf_token("/returns")
    response = client.post(section_url(nspcc_return), data={"csrf_token": token, "lead-name": "x"})
    assert response.status_code == 404
    assert db.scalars(select(Answer).where(Answer.return_id == nspcc_return.id)).all() == []


def test_check_answers_lists_missing_required_answers_first_and_blocks_submission(
    client, db, nspcc_return
):
    sign_in(client, lead_of(db, "NSPCC"))
    page = client.page(f"/returns/{nspcc_return.id}/check")
    assert "required questions still to answer" in page.get_text()
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post(f"/returns/{nspcc_return.id}/submit", data={"csrf_token": token})
    assert response.status_code == 400
    assert "before you submit" in response.text
    assert nspcc_return.status is not ReturnStatus.SUBMITTED


def test_the_lead_submits_once_however_often_they_press_and_gets_a_receipt(
    mail_client, mailbox, db, nspcc_return
):
    lead = lead_of(db, "NSPCC")
    sign_in(mail_client, lead)
    answer_everything(mail_client, nspcc_return)
    token = mail_client.csrf_token(f"/returns/{nspcc_return.id}/check")
    for _ in range(3):  # a double click, then the back button and another try
        response = mail_client.post(
            f"/returns/{nspcc_return.id}/submit",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert response.headers["location"] == f"/returns/{nspcc_return.id}/submitted"
    assert "Return submitted" in mail_client.page(f"/returns/{nspcc_return.id}/submitted").text
    db.refresh(nspcc_return)
    assert nspcc_return.status is ReturnStatus.SUBMITTED
    assert len(mailbox.to(lead.email)) == 1
    assert "Received: NSPCC's return" in mailbox.to(lead.email)[0]["Subject"]
    from app.audit.models import AuditEvent

    moves = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "return_status_changed",
            AuditEvent.object_id == str(nspcc_return.id),
        )
    )
    assert [e.detail["to"] for e in moves] == ["in_progress", "submitted"]
    # Locked: the section shows answers as text and offers no save button.
    section = mail_client.page(section_url(nspcc_return))
    assert not section.find("button", string="Save and continue")


def test_each_answer_shows_who_changed_it_and_its_history(client, db, nspcc_return):
    lead = lead_of(db, "NSPCC")
    sign_in(client, lead)
    url = section_url(nspcc_return)
    client.post(url, data=form_of(client, url) | {"lead-name": "First"})
    client.post(url, data=form_of(client, url) | {"lead-name": "Second"})
    assert f"by {lead.name}" in client.page(url).get_text()
    rows = client.page(f"/returns/{nspcc_return.id}/answers/lead-name/history").select("tbody tr")
    assert [[td.get_text(strip=True) for td in row.select("td")][2:] for row in rows] == [
        ["Not answered", "First"],
        ["First", "Second"],
    ]


def autosave(client, agency_return, question_id: str, fields: dict[str, str]):
    url = section_url(agency_return)
    hidden = form_of(client, url)
    data = {
        k: v for k, v in hidden.items() if k.endswith(question_id) or k == "csrf_token"
    } | fields
    return client.post(
        f"{url}/autosave/{question_id}",
        data=data,
        headers={"HX-Request": "true", "X-CSRF-Token": hidden["csrf_token"]},
    )


def test_autosave_saves_one_answer_and_returns_its_new_version(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    response = autosave(client, nspcc_return, "lead-name", {"lead-name": "Typed so far"})
    assert response.status_code == 200
    assert "Saved at" in response.text
    assert 'id="version-lead-name"' in response.text and 'value="1"' in response.text
    assert (
        db.scalars(select(Answer).where(Answer.return_id == nspcc_return.id)).one().value
        == "Typed so far"
    )


def test_autosave_of_a_stale_answer_is_refused_and_says_so(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    url = section_url(nspcc_return)
    stale = form_of(client, url)
    autosave(client, nspcc_return, "lead-name", {"lead-name": "Someone else's"})
    response = client.post(
        f"{url}/autosave/lead-name",
        data={k: v for k, v in stale.items() if k.endswith("lead-name") or k == "csrf_token"}
        | {"lead-name": "Mine"},
        headers={"HX-Request": "true"},
    )
    assert "Not saved: someone else changed this answer" in response.text
    assert (
        db.scalars(select(Answer).where(Answer.return_id == nspcc_return.id)).one().value
        == "Someone else's"
    )


def test_autosave_of_bad_input_explains_and_saves_nothing(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    response = autosave(client, nspcc_return, "narrative", {"narrative__na": "yes"})
    assert "Not saved: Say why this question does not apply" in response.text
    assert db.scalars(select(Answer).where(Answer.return_id == nspcc_return.id)).all() == []


def test_text_typed_into_a_follow_up_is_kept_even_before_the_answer_that_opens_it_is_saved(
    client, db, nspcc_return
):
    # The page opens the follow-up as soon as Yes is chosen, while Yes's own autosave may still
    # be on its way: what the lead types into the follow-up meanwhile must not be refused.
    sign_in(client, lead_of(db, "NSPCC"))
    url = section_url(nspcc_return)
    token = form_of(client, url)["csrf_token"]
    fields = {"csrf_token": token, "__version__policy-date": "0", "policy-date-day": "1"}
    fields |= {"policy-date-month": "4", "policy-date-year": "2021"}
    response = client.post(f"{url}/autosave/policy-date", data=fields)
    assert response.status_code == 200 and "Saved at" in response.text
    saved = db.scalars(select(Answer).where(Answer.question_id == "policy-date")).one()
    assert saved.value == "2021-04-01"

    autosave(client, nspcc_return, "has-policy", {"has-policy": "yes"})
    assert "2021" in client.get(url).text  # shown with the answer typed before it opened


def test_autosave_of_a_question_for_other_sectors_or_sections_is_not_found(
    client, db, nspcc_return
):
    sign_in(client, lead_of(db, "NSPCC"))
    url = section_url(nspcc_return)
    token = form_of(client, url)["csrf_token"]
    fields = {"csrf_token": token, "__version__staff-count": "0", "staff-count": "12"}
    # staff-count is asked of police and health providers only; NSPCC is voluntary sector.
    assert client.post(f"{url}/autosave/staff-count", data=fields).status_code == 404
    elsewhere = f"/returns/{nspcc_return.id}/sections/no-such-section/autosave/lead-name"
    fields = {"csrf_token": token, "__version__lead-name": "0", "lead-name": "Sam"}
    assert client.post(elsewhere, data=fields).status_code == 404
    assert db.scalars(select(Answer).where(Answer.return_id == nspcc_return.id)).all() == []


def test_the_print_view_shows_every_answer_read_only(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    url = section_url(nspcc_return)
    client.post(
        url, data=form_of(client, url) | {"lead-name": "Printed name", "accountability": "2"}
    )
    page = client.page(f"/returns/{nspcc_return.id}/print")
    assert not page.select("main input, main textarea, main select")
    assert page.select_one("#question-lead-name .s11-answer__text").get_text() == "Printed name"
    assert page.select_one("#question-accountability .s11-answer__text").get_text() == (
        "Partially met"
    )
