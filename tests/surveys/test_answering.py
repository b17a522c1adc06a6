"""Answering the frontline survey with no account: the pages, what is kept, and what is refused."""

from __future__ import annotations

from bs4 import BeautifulSoup
from sqlalchemy import func, inspect, select

from app.surveys.answering import SubmissionLimiter
from app.surveys.models import SurveyAnswer, SurveyLink, SurveyResponse
from tests.conftest import lead_of

CHILDRENS = "Norfolk County Council Children's Services"
ANSWERS = {
    "practitioner-sector": "childrens_services",
    "practitioner-role": "practitioner",
    "clear-responsibilities": "4",
    "leaders-value-safeguarding": "5",
    "know-safeguarding-lead": "4",
    "safe-to-raise-concerns": "2",
    "know-whistleblowing-procedure": "yes",
    "colleague-concerns": "4",
    "child-voice-makes-a-difference": "3",
    "information-sharing-confidence": "4",
    "escalation-confidence": "4",
    "escalation-used": "no",
    "supervision-regular": "2",
    "training-up-to-date": "yes",
    "what-works-well": '=HYPERLINK("http://evil.example","x") <script>alert(1)</script>',
}


def _link(db, agency_name: str | None = CHILDRENS) -> SurveyLink:
    links = db.scalars(select(SurveyLink).where(SurveyLink.replaced_at.is_(None))).all()
    if agency_name is None:
        return next(link for link in links if link.agency_id is None)
    agency_id = lead_of(db, agency_name).memberships[0].agency_id
    return next(link for link in links if link.agency_id == agency_id)


def _responses(db) -> int:
    return db.scalar(select(func.count()).select_from(SurveyResponse))


def _send(client, token: str, answers: dict[str, str], csrf: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/survey/{token}/submit", data=answers | {"csrf_token": csrf}, follow_redirects=False
    )


def test_practitioner_answers_page_by_page_and_nothing_kept_names_them(client, db, demo):
    token = _link(db).token
    start = client.get(f"/survey/{token}")
    assert start.status_code == 200 and "Start now" in start.text
    csrf = client.csrf_token(f"/survey/{token}")
    page = client.post(f"/survey/{token}", data={"csrf_token": csrf})
    assert "About you" in page.text
    sections = ["about-you", "your-organisation", "working-with-children", "support-and-training"]
    for section in sections:
        page = client.post(
            f"/survey/{token}", data=ANSWERS | {"csrf_token": csrf, "__step": section}
        )
        assert page.status_code == 200, page.text
    page = client.post(
        f"/survey/{token}", data=ANSWERS | {"csrf_token": csrf, "__step": "your-views"}
    )
    assert "Check your answers" in page.text
    before = db.scalar(select(func.max(SurveyResponse.id)))
    sent = _send(client, token, ANSWERS, csrf)
    assert sent.status_code == 303 and sent.headers["location"].endswith("/done")
    assert "Answers sent" in client.get(sent.headers["location"]).text
    response = db.scalars(select(SurveyResponse).where(SurveyResponse.id > before)).one()
    answers = db.scalars(select(SurveyAnswer).where(SurveyAnswer.response_id == response.id)).all()
    # No column could hold a person or an address, and no value written holds the client's.
    for table in (SurveyResponse, SurveyAnswer):
        columns = {c.key for c in inspect(table).columns}
        assert not columns & {"person_id", "ip", "client_address", "user_agent", "created_at"}
    written = [
        str(getattr(row, c.key)) for row in [response, *answers] for c in inspect(type(row)).columns
    ]
    assert not any("testclient" in value or value == "50000" for value in written)
    # The formula and the script are kept as the text typed, never as anything live.
    assert ANSWERS["what-works-well"] in [a.text for a in answers]


def test_bad_submissions_are_refused_plainly_and_store_nothing(client, db, demo):
    token = _link(db).token
    csrf = client.csrf_token(f"/survey/{token}")
    count = _responses(db)
    assert client.get("/survey/" + "x" * 43).status_code == 404
    assert _send(client, "y" * 43, ANSWERS, csrf).status_code == 404
    assert _send(client, token, ANSWERS | {"safe-to-raise-concerns": "9"}, csrf).status_code == 400
    huge = ANSWERS | {"what-works-well": "a" * (10 * 1024 * 1024)}
    assert _send(client, token, huge, csrf).status_code == 413
    many = ANSWERS | {f"field{i}": "1" for i in range(10_000)}
    assert _send(client, token, many, csrf).status_code == 400
    missing = {k: v for k, v in ANSWERS.items() if k != "supervision-regular"}
    refused = _send(client, token, missing, csrf)
    assert refused.status_code == 400 and "Answer this question" in refused.text
    assert _responses(db) == count


def test_replaced_or_closed_link_says_so_and_takes_no_answers(client, db, demo):
    from app.surveys import service as surveys_service
    from tests.conftest import person_by_email

    link = _link(db)
    old = link.token
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    survey = db.get(surveys_service.Survey, link.survey_id)
    surveys_service.replace_link(db, survey=survey, link_id=link.id, actor=coordinator)
    db.commit()
    page = client.get(f"/survey/{old}")
    assert page.status_code == 410 and "replaced" in page.text
    csrf = client.csrf_token("/sign-in")
    count = _responses(db)
    assert _send(client, old, ANSWERS, csrf).status_code == 410
    surveys_service.close_survey(db, survey=survey, actor=coordinator)
    db.commit()
    new = _link(db).token
    assert "closed" in client.get(f"/survey/{new}").text
    assert _send(client, new, ANSWERS, csrf).status_code == 410
    assert _responses(db) == count


def test_many_submissions_from_one_address_wait_and_the_address_is_then_forgotten():
    limiter = SubmissionLimiter(limit=10, window_seconds=60)
    assert all(limiter.allow("203.0.113.9", now=0) for _ in range(10))
    assert not limiter.allow("203.0.113.9", now=30)
    assert limiter.allow("198.51.100.1", now=30)
    assert limiter.addresses_kept(now=61) == 1
    assert limiter.addresses_kept(now=91) == 0
    assert limiter.allow("203.0.113.9", now=91)


def test_coordinator_opens_a_survey_with_their_own_divergence_thresholds(client, db, demo):
    from datetime import date, timedelta

    from app.cycle_models import Cycle
    from app.questionnaires.models import QuestionnaireVersion
    from app.surveys.models import Survey
    from tests.conftest import person_by_email, sign_in

    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    version = db.scalars(
        select(QuestionnaireVersion.id).where(QuestionnaireVersion.audience == "frontline_survey")
    ).first()
    today = date.today()
    form = {
        "csrf_token": client.csrf_token("/round/cycles/s11-2020/survey"),
        "version": str(version),
        **{f"opens-{p}": str(getattr(today, p)) for p in ("day", "month", "year")},
        **{
            f"closes-{p}": str(getattr(today + timedelta(days=9), p))
            for p in ("day", "month", "year")
        },
    }
    path = "/round/cycles/s11-2020/survey"
    refused = client.post(path, data=form | {"green_below": "150"}, follow_redirects=False)
    assert refused.status_code == 400 and "percentage from 0 to 100" in refused.text
    opened = client.post(path, data=form | {"green_below": "70"}, follow_redirects=False)
    assert opened.status_code == 303
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2020")).one()
    survey = db.scalars(select(Survey).where(Survey.cycle_id == cycle.id)).one()
    assert (survey.green_below, survey.amber_below) == (70, 40)
    page = client.get(path).text
    assert "General link: asks which agency" in page and "fewer than 70%" in page


def _soup(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.text, "html.parser")


FOLLOW_UP = "When I challenged another agency's decision, my manager supported me."


def _working_with_children(client, token: str, csrf: str, answers: dict[str, str]):  # type: ignore[no-untyped-def]
    return _soup(
        client.post(
            f"/survey/{token}",
            data=ANSWERS | answers | {"csrf_token": csrf, "__step": "working-with-children"},
        )
    )


def test_a_yes_that_asks_a_follow_up_brings_the_page_back_with_it_and_a_banner(client, db, demo):
    token = _link(db).token
    csrf = client.csrf_token(f"/survey/{token}")
    page = _working_with_children(client, token, csrf, {"escalation-used": "yes"})
    assert page.find(attrs={"data-follow-up": "escalation-supported"}).get("hidden") is None
    banner = page.select_one(".govuk-notification-banner").get_text(" ", strip=True)
    assert "A question was added because of your answer" in banner and FOLLOW_UP in banner
    assert page.select(".govuk-error-summary") == []  # asked for, not an error yet
    assert page.find("input", attrs={"name": "__step"})["value"] == "working-with-children"

    # Answered, with the follow-up on screen: on to the next page.
    page = _working_with_children(
        client,
        token,
        csrf,
        {
            "escalation-used": "yes",
            "escalation-supported": "4",
            "__shown__": "escalation-supported",
        },
    )
    assert page.find("input", attrs={"name": "__step"})["value"] == "support-and-training"


def test_the_follow_up_stays_hidden_for_no_and_the_page_moves_on(client, db, demo):
    token = _link(db).token
    csrf = client.csrf_token(f"/survey/{token}")
    page = _working_with_children(client, token, csrf, {"escalation-used": "no"})
    assert page.find("input", attrs={"name": "__step"})["value"] == "support-and-training"


def test_the_survey_says_which_follow_ups_the_answers_on_screen_ask_for(client, db, demo):
    token = _link(db).token
    csrf = client.csrf_token(f"/survey/{token}")
    url = f"/survey/{token}/follow-ups"
    common = ANSWERS | {"__step": "working-with-children"}
    opened = client.post(
        url, data=common | {"escalation-used": "yes"}, headers={"X-CSRF-Token": csrf}
    )
    assert opened.status_code == 200
    shown = _soup(opened).find(attrs={"data-shown": True})
    assert shown["data-shown"] == "escalation-supported"
    assert shown.get_text(strip=True) == f"A question was added: {FOLLOW_UP}."
    closed = client.post(
        url,
        data=common | {"escalation-used": "no", "__shown__": "escalation-supported"},
        headers={"X-CSRF-Token": csrf},
    )
    shown = _soup(closed).find(attrs={"data-shown": True})
    assert shown["data-shown"] == ""
    assert shown.get_text(strip=True) == f"A question was removed: {FOLLOW_UP}."
    refused = client.post(url, data=common | {"escalation-used": "yes"})  # no CSRF token
    assert refused.status_code in (400, 403)
