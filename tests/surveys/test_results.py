"""The survey's results: figures only for groups of k or more, free text only to coordinators,
and a page whose statements do not grow with the responses."""

from __future__ import annotations

from markupsafe import escape

from app.directory.models import Role
from tests.conftest import person_by_email, person_with_role, sign_in

RESULTS = "/round/cycles/s11-2021/survey/results"


def test_results_hide_small_agencies_and_show_free_text_only_to_coordinators(client, db, demo):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    page = client.get(RESULTS)
    assert page.status_code == 200, page.text
    assert "<svg" in page.text and "fewer than 5 responses" in page.text
    # The fire service sent 3 responses: its row says so instead of showing figures.
    row = page.text.split("Norfolk Fire and Rescue Service</th>", 2)[-1].split("</tr>")[0]
    assert "fewer than 5 responses" in row
    assert "Remove anything that could identify" in page.text
    assert "Diverges" in page.text  # Great Yarmouth's staff agree far less than it rated
    sign_in(client, person_by_email(db, "chair@nscp.example.org"))
    chair = client.get(RESULTS)
    assert chair.status_code == 200 and "What people wrote" not in chair.text
    sign_in(client, person_with_role(db, Role.AGENCY_LEAD))
    assert client.get(RESULTS).status_code == 404


def test_results_page_statements_do_not_grow_with_responses(client, db, demo, count_queries):
    from sqlalchemy import select

    from app.surveys import service as surveys_service
    from app.surveys.models import SurveyLink

    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    client.get(RESULTS)
    with count_queries() as before:
        client.get(RESULTS)
    link = db.scalars(select(SurveyLink).where(SurveyLink.agency_id.is_not(None))).first()
    survey = db.get(surveys_service.Survey, link.survey_id)
    questionnaire = surveys_service.questionnaire_of(db, survey)
    for _ in range(40):
        surveys_service.record_response(
            db,
            survey=survey,
            questionnaire=questionnaire,
            agency_id=link.agency_id,
            values={"supervision-regular": 2, "what-works-well": "Good supervision"},
        )
    db.commit()
    with count_queries() as after:
        client.get(RESULTS)
    assert after.count == before.count


def test_chair_downloads_the_survey_workbook_without_small_groups_or_free_text(client, db, demo):
    import io

    from openpyxl import load_workbook

    sign_in(client, person_by_email(db, "chair@nscp.example.org"))
    download = client.get("/exports/s11-2021/survey")
    assert download.status_code == 200, download.text
    book = load_workbook(io.BytesIO(download.content), read_only=True)
    assert {"Results by question", "Triangulation"} <= set(book.sheetnames)
    cells = [str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row if c]
    assert "fewer than 5 responses" in cells and "Yes" in cells
    assert not any("supervision is regular and my manager" in c for c in cells)


def test_panel_pre_reading_and_chairs_summary_set_staff_agreement_beside_self_ratings(
    client, db, demo
):
    from sqlalchemy import select

    from app.cycle_models import Cycle
    from app.directory.models import Agency
    from app.returns.models import AgencyReturn

    yarmouth = db.scalars(
        select(AgencyReturn.id)
        .join(Cycle)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(Cycle.slug == "s11-2021", Agency.name == "Great Yarmouth Borough Council")
    ).one()
    sign_in(client, person_with_role(db, Role.PANEL_MEMBER))
    reading = client.get(f"/panels/returns/{yarmouth}")
    assert reading.status_code == 200
    assert "Frontline staff agreement" in reading.text and "of 12 agree" in reading.text
    assert "Diverges" in reading.text
    assert 'href="/round/cycles/s11-2021/survey/results"' in reading.text
    assert client.get("/round/cycles/s11-2021/survey/results").status_code == 200
    sign_in(client, person_by_email(db, "chair@nscp.example.org"))
    summary = client.get("/summary/s11-2021").text
    gaps = summary.split('id="frontline-survey"')[1]
    assert "Great Yarmouth Borough Council" in gaps and "Diverges" in gaps
    assert "Norfolk Fire and Rescue Service" not in gaps  # 3 responses: below k


def test_a_coordinator_raises_the_smallest_group_shown_and_cannot_set_it_below_five(
    client, db, demo
):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    settings_url = "/round/cycles/s11-2021/survey/settings"
    token = client.csrf_token("/round/cycles/s11-2021/survey")
    refused = client.post(
        settings_url,
        data={"csrf_token": token, "threshold": "4", "green_below": "60", "amber_below": "40"},
    )
    assert refused.status_code == 400 and "could be picked out" in refused.text
    assert "fewer than 5 responses" in client.get(RESULTS).text
    saved = client.post(
        settings_url,
        data={"csrf_token": token, "threshold": "10", "green_below": "70", "amber_below": "40"},
    )
    assert saved.status_code == 200 and saved.url.path.endswith("/survey"), saved.text
    page = client.get(RESULTS).text
    # City College Norwich sent 8 responses: shown at k = 5, hidden at k = 10.
    row = page.split("City College Norwich</th>", 2)[-1].split("</tr>")[0]
    assert "fewer than 10 responses" in row
    assert "70%" in client.get("/round/cycles/s11-2021/survey").text


def test_a_panel_member_sees_the_survey_results_of_the_agencies_whose_returns_they_read(
    client, db, demo
):
    from sqlalchemy import select

    from app.cycle_models import Cycle
    from app.directory.models import Agency
    from app.panels import reading
    from app.returns.models import AgencyReturn
    from app.surveys.models import SurveyLink

    member = person_with_role(db, Role.PANEL_MEMBER)
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    partnership = member.memberships[0].partnership
    read = reading.returns_to_read(db, person=member, cycle=cycle, partnership=partnership)
    theirs = set(
        db.scalars(
            select(Agency.name)
            .join(AgencyReturn, AgencyReturn.agency_id == Agency.id)
            .where(AgencyReturn.id.in_(read))
        )
    )
    surveyed = set(
        db.scalars(
            select(Agency.name)
            .join(SurveyLink, SurveyLink.agency_id == Agency.id)
            .where(SurveyLink.replaced_at.is_(None))
        )
    )
    assert theirs & surveyed and surveyed - theirs, "the demo member reads some surveyed agencies"
    sign_in(client, member)
    page = client.get(RESULTS)
    assert page.status_code == 200, page.text
    counts = page.text.split('id="response-counts"')[1].split("</table>")[0]
    for name in surveyed:
        assert (f">{escape(name)}</th>" in counts) is (name in theirs), name
    assert "What people wrote" not in page.text  # free text stays with coordinators
    assert "/exports/s11-2021/survey" not in page.text
    assert "agencies whose returns you read" in page.text
