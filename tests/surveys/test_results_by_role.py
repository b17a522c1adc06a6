"""Figures by agency × staff role: shown only when every role group of the agency reaches k,
so that no small group can be read off or worked out by subtraction from the agency's total."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.directory.models import Agency
from app.surveys import results as survey_results
from app.surveys import service as surveys_service
from app.surveys.models import SurveyLink
from tests.conftest import person_by_email, sign_in

RESULTS = "/round/cycles/s11-2021/survey/results"
ROLES = ("practitioner", "manager", "volunteer", "other")


def _biggest_agency(db):
    survey = db.scalars(select(surveys_service.Survey)).first()
    people = survey_results.respondents(db, survey=survey)
    link = db.scalars(
        select(SurveyLink).where(
            SurveyLink.survey_id == survey.id, SurveyLink.agency_id.is_not(None)
        )
    ).all()
    agency_id = max((x.agency_id for x in link), key=lambda a: people.get(a, 0))
    return survey, agency_id


def _answer(db, survey, agency_id, role, times):
    questionnaire = surveys_service.questionnaire_of(db, survey)
    for _ in range(times):
        surveys_service.record_response(
            db,
            survey=survey,
            questionnaire=questionnaire,
            agency_id=agency_id,
            values={"supervision-regular": 2, **({"practitioner-role": role} if role else {})},
        )
    db.commit()


def _results(db, survey):
    return survey_results.results_of(
        db,
        survey=survey,
        questionnaire=surveys_service.questionnaire_of(db, survey),
        k=5,
        agency_ids={a.id for a in surveys_service.agencies_taking_part(db, survey=survey)},
    )


def _rows_of(results, name):
    qr = next(q for q in results.questions if q.question.id == "supervision-regular")
    return [d for d in qr.by_role if d.group.startswith(name + ":")]


def test_role_figures_show_for_groups_of_k_and_all_hide_when_one_role_is_small(db, demo):
    survey, agency_id = _biggest_agency(db)
    name = db.get(surveys_service.Agency, agency_id).name
    for role in ROLES:
        _answer(db, survey, agency_id, role, 5)
    rows = {d.group: d for d in _rows_of(_results(db, survey), name)}
    assert rows[f"{name}: Practitioner"].bars is not None
    assert rows[f"{name}: Practitioner"].respondents >= 5
    assert f"{name}: Role not given" not in rows
    # One person gives no role: their group (of one) is below k and the agency's total is shown,
    # so every role row of the agency hides (else their answer = total − the others).
    _answer(db, survey, agency_id, None, 1)
    rows = _rows_of(_results(db, survey), name)
    assert {d.group for d in rows} >= {f"{name}: Role not given", f"{name}: Practitioner"}
    assert all(d.bars is None and d.respondents == 0 for d in rows)
    # Smaller agencies never show role figures either.
    for qr in _results(db, survey).questions:
        for dist in qr.by_role:
            assert dist.bars is None or dist.respondents >= 5


def test_coordinator_sees_no_figure_for_a_small_role_group_on_the_page_or_in_the_workbook(
    client, db, demo
):
    from openpyxl import load_workbook

    survey, agency_id = _biggest_agency(db)
    name = db.get(surveys_service.Agency, agency_id).name
    for role in ROLES:
        _answer(db, survey, agency_id, role, 5)
    _answer(db, survey, agency_id, None, 1)
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    assert "By agency and staff role" not in client.get(RESULTS).text  # one agency at a time
    page = client.get(RESULTS, params={"agency": agency_id})
    assert page.status_code == 200, page.text
    assert "By agency and staff role" in page.text
    row = page.text.split(f"{name}: Role not given</th>", 1)[1].split("</tr>")[0]
    assert "fewer than 5 responses" in row and "%" not in row
    row = page.text.split(f"{name}: Practitioner</th>", 1)[1].split("</tr>")[0]
    assert "fewer than 5 responses" in row and "%" not in row
    book = load_workbook(io.BytesIO(client.get("/exports/s11-2021/survey").content))
    for values in book["Results by question"].iter_rows(values_only=True):
        if str(values[1]).startswith(f"{name}: "):
            assert values[3] == "fewer than 5 responses" and values[4] in (None, "")


def test_each_agency_at_k_gets_its_own_chart_and_table_and_small_agencies_none(client, db, demo):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    yarmouth = db.scalar(select(Agency.id).where(Agency.name == "Great Yarmouth Borough Council"))
    fire = db.scalar(select(Agency.id).where(Agency.name == "Norfolk Fire and Rescue Service"))
    page = client.get(RESULTS).text
    # The page offers the agencies at k, one at a time, and not the others.
    assert f'<option value="{yarmouth}">' in page and f'<option value="{fire}">' not in page
    assert "Chart: " not in page
    page = client.get(RESULTS, params={"agency": yarmouth}).text
    # Great Yarmouth is above k (a chart in a details component), the fire service 3 (no chart).
    chart = page.split("Chart: Great Yarmouth Borough Council", 1)[1].split("</details>")[0]
    assert "<svg" in chart and 'caption--s">Great Yarmouth Borough Council (' in chart
    assert "Chart: Norfolk Fire and Rescue Service" not in page
    assert (
        "Chart: Norfolk Fire and Rescue Service"
        not in client.get(RESULTS, params={"agency": fire}).text
    )


def test_coordinator_sees_the_newest_free_text_with_a_count_and_a_link_to_all(
    client, db, demo, monkeypatch
):
    monkeypatch.setattr(survey_results, "FREE_TEXT_SHOWN", 1)
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    capped = client.get(RESULTS).text
    assert "more. <a" in capped and 'href="?all=1#q-' in capped
    everything = client.get(RESULTS + "?all=1").text
    assert "more. <a" not in everything
    assert everything.count('<li class="s11-break-word">') > capped.count(
        '<li class="s11-break-word">'
    )
    sign_in(client, person_by_email(db, "chair@nscp.example.org"))
    assert "What people wrote" not in client.get(RESULTS + "?all=1").text
