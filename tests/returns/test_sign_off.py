"""Senior sign-off of a submitted return, and a coordinator reopening one with a reason."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.cycle_models import Cycle
from app.db import utcnow
from app.returns.models import Answer, ReturnStatus, SignOffRequest
from tests.conftest import lead_of, person_by_email, sign_in
from tests.returns.conftest import answer_everything, form_of, section_url

OFFICER = {
    "officer_name": "Dr Ada Byron",
    "officer_role": "Director of Safeguarding",
    "officer_email": "ada.byron@nspcc.example.org",
}


def needs_sign_off(db, agency_return) -> None:
    db.get(Cycle, agency_return.cycle_id).senior_sign_off_required = True
    db.flush()


def submit_for_sign_off(client, agency_return, **fields):
    token = client.csrf_token(f"/returns/{agency_return.id}/check")
    return client.post(
        f"/returns/{agency_return.id}/submit",
        data={"csrf_token": token} | (fields or OFFICER),
        follow_redirects=False,
    )


def test_the_return_waits_locked_until_the_named_officer_signs_it_off(
    mail_client, mailbox, db, nspcc_return
):
    needs_sign_off(db, nspcc_return)
    lead = lead_of(db, "NSPCC")
    sign_in(mail_client, lead)
    answer_everything(mail_client, nspcc_return)
    for _ in range(2):  # a double click asks the officer once
        response = submit_for_sign_off(mail_client, nspcc_return)
        assert response.headers["location"] == f"/returns/{nspcc_return.id}/submitted"
    db.refresh(nspcc_return)
    assert nspcc_return.status is ReturnStatus.AWAITING_SIGN_OFF
    assert len(mailbox.to(OFFICER["officer_email"])) == 1
    assert "Dr Ada Byron" in mail_client.page(f"/returns/{nspcc_return.id}/submitted").get_text()
    url = section_url(nspcc_return)
    locked = mail_client.post(url, data=form_of(mail_client, url) | {"lead-name": "Changed"})
    assert locked.status_code == 409

    link = mailbox.link_in_last_to(OFFICER["officer_email"], "/sign-off/")
    mail_client.cookies.clear()  # the officer has no account
    page = mail_client.page(link)
    assert "Sign off this Section 11 return" in page.get_text()
    assert "We know because we audit." in page.get_text()  # they read the answers
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    confirmed = mail_client.post(
        link,
        data={
            "csrf_token": token,
            "choice": "confirm",
            "name": "Dr Ada Byron",
            "role": "Director of Safeguarding",
        },
    )
    assert confirmed.status_code == 200 and "Return signed off" in confirmed.text
    db.refresh(nspcc_return)
    assert nspcc_return.status is ReturnStatus.SUBMITTED
    assert nspcc_return.signed_off_name == "Dr Ada Byron"
    assert nspcc_return.signed_off_at is not None
    [receipt] = mailbox.to(lead.email)
    assert "signed off by Dr Ada Byron, Director of Safeguarding" in receipt.get_content()
    again = mail_client.post(link, data={"csrf_token": token, "choice": "confirm"})
    assert again.status_code == 410 and "was signed off on" in again.text
    assert len(mailbox.to(lead.email)) == 1


def test_submitting_without_the_officers_details_explains_each_and_keeps_the_rest(
    client, db, nspcc_return
):
    needs_sign_off(db, nspcc_return)
    sign_in(client, lead_of(db, "NSPCC"))
    answer_everything(client, nspcc_return)
    response = submit_for_sign_off(
        client,
        nspcc_return,
        officer_name="Dr Ada Byron",
        officer_role="",
        officer_email="not an address",
    )
    assert response.status_code == 400
    page = response.text
    assert "Enter the senior officer&#39;s role" in page
    assert "Enter an email address in the correct format" in page
    assert 'value="Dr Ada Byron"' in page
    assert nspcc_return.status is ReturnStatus.IN_PROGRESS


def test_the_officer_sends_it_back_and_the_lead_reads_why(mail_client, mailbox, db, nspcc_return):
    needs_sign_off(db, nspcc_return)
    lead = lead_of(db, "NSPCC")
    sign_in(mail_client, lead)
    answer_everything(mail_client, nspcc_return)
    submit_for_sign_off(mail_client, nspcc_return)
    link = mailbox.link_in_last_to(OFFICER["officer_email"], "/sign-off/")
    mail_client.cookies.clear()
    token = mail_client.csrf_token(link)
    blank = mail_client.post(
        link, data={"csrf_token": token, "choice": "send_back", "comment": " "}
    )
    assert blank.status_code == 400 and "Say what needs to change" in blank.text
    response = mail_client.post(
        link,
        data={"csrf_token": token, "choice": "send_back", "comment": "Add the 2021 audit <b>."},
    )
    assert "Return sent back" in response.text
    db.refresh(nspcc_return)
    assert nspcc_return.status is ReturnStatus.IN_PROGRESS
    [message] = mailbox.to(lead.email)
    assert "Add the 2021 audit <b>." in message.get_content()


def test_an_expired_or_made_up_sign_off_link_opens_nothing(mail_client, mailbox, db, nspcc_return):
    needs_sign_off(db, nspcc_return)
    sign_in(mail_client, lead_of(db, "NSPCC"))
    answer_everything(mail_client, nspcc_return)
    submit_for_sign_off(mail_client, nspcc_return)
    link = mailbox.link_in_last_to(OFFICER["officer_email"], "/sign-off/")
    db.execute(update(SignOffRequest).values(expires_at=utcnow() - timedelta(minutes=1)))
    mail_client.cookies.clear()
    for url in (link, "/sign-off/made-up-token"):
        response = mail_client.get(url)
        assert response.status_code == 410
        assert "We know because we audit." not in response.text


def submitted_return(client, db, agency_return):
    sign_in(client, lead_of(db, "NSPCC"))
    answer_everything(client, agency_return)
    token = client.csrf_token(f"/returns/{agency_return.id}/check")
    client.post(f"/returns/{agency_return.id}/submit", data={"csrf_token": token})
    db.refresh(agency_return)
    assert agency_return.status is ReturnStatus.SUBMITTED


def test_a_coordinator_reopens_a_submitted_return_with_a_reason_the_lead_receives(
    mail_client, mailbox, db, nspcc_return
):
    submitted_return(mail_client, db, nspcc_return)
    lead = lead_of(db, "NSPCC")
    sign_in(mail_client, person_by_email(db, "coordinator@nscp.example.org"))
    listing = mail_client.page("/round/returns")
    link = listing.find("a", href=f"/round/returns/{nspcc_return.id}/reopen")
    form = mail_client.page(link["href"])
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    refused = mail_client.post(link["href"], data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 400 and "Say why the return is being reopened" in refused.text
    response = mail_client.post(
        link["href"],
        data={"csrf_token": token, "reason": "Section II needs the 2021 audit figures."},
        follow_redirects=False,
    )
    assert response.status_code == 303
    db.refresh(nspcc_return)
    assert nspcc_return.status is ReturnStatus.IN_PROGRESS
    reopened = mailbox.to(lead.email)[-1]
    assert "Section II needs the 2021 audit figures." in reopened.get_content()
    assert "safeguarding children partnership has reopened NSPCC's Section 11 return" in (
        " ".join(reopened.get_content().split())
    )
    event = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "return_status_changed")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.detail["reason"] == "Section II needs the 2021 audit figures."
    # Open again: the lead can change an answer.
    sign_in(mail_client, lead)
    url = section_url(nspcc_return)
    mail_client.post(url, data=form_of(mail_client, url) | {"lead-name": "Changed after reopening"})
    answer = db.scalars(select(Answer).where(Answer.question_id == "lead-name")).one()
    assert answer.value == "Changed after reopening"


def test_a_return_still_being_written_cannot_be_reopened(client, db, nspcc_return):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    token = client.csrf_token("/round/returns")
    response = client.post(
        f"/round/returns/{nspcc_return.id}/reopen", data={"csrf_token": token, "reason": "Why not"}
    )
    assert response.status_code == 400
    assert "Only a submitted return can be reopened" in response.text


def test_another_partnerships_coordinator_cannot_reopen_it(client, db, nspcc_return):
    submitted_return(client, db, nspcc_return)
    sign_in(client, person_by_email(db, "coordinator@ssp.example.org"))
    assert client.get(f"/round/returns/{nspcc_return.id}/reopen").status_code == 404
    token = client.csrf_token("/round/returns")
    response = client.post(
        f"/round/returns/{nspcc_return.id}/reopen", data={"csrf_token": token, "reason": "x"}
    )
    assert response.status_code == 404
    assert nspcc_return.status is ReturnStatus.SUBMITTED
