"""The feed's JSON and CSV: the partnership's own rows only, the same rows in either form,
every row once through the pages, and never a draft score, an address or a formula."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import date, timedelta

from sqlalchemy import func, insert, select

from app.actions.models import Action, ActionSource, Recommendation
from app.api import feed
from app.api.models import TokenScope
from app.cycle_models import Cycle
from app.cycles import progress as round_progress
from app.cycles import service as cycles_service
from app.directory.models import (
    Agency,
    AgencyDuty,
    AgencySector,
    Partnership,
    PartnershipAgency,
    SchoolPhase,
    SchoolType,
)
from app.panels.models import PanelScore, ScoreSheet
from app.returns.models import AgencyReturn, ReturnStatus
from app.spreadsheets import safe_text
from tests.api.conftest import basic, bearer, make_token
from tests.conftest import person_by_email

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def _partnership(db, slug):  # type: ignore[no-untyped-def]
    return db.scalars(select(Partnership).where(Partnership.slug == slug)).one()


def _all_json(client, token, path, limit=1000):  # type: ignore[no-untyped-def]
    rows, url, pages = [], f"{path}{'&' if '?' in path else '?'}limit={limit}", 0
    while url:
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body["data"]
        url = body["next"]
        if url:
            assert response.headers["link"] == f'<{url}>; rel="next"'
        pages += 1
    return rows, pages


def _csv(client, token, path):  # type: ignore[no-untyped-def]
    response = client.get(f"{path}?format=csv", headers=bearer(token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


def _suffolk_only(db):  # type: ignore[no-untyped-def]
    """Objects of Suffolk's alone: an agency, its return in the joint cycle, a cycle of its
    own, a recommendation and an action on them."""
    suffolk = _partnership(db, "suffolk")
    norfolk_agencies = select(PartnershipAgency.agency_id).where(
        PartnershipAgency.partnership_id == _partnership(db, "norfolk").id
    )
    agency = db.scalars(
        select(Agency)
        .join(PartnershipAgency, PartnershipAgency.agency_id == Agency.id)
        .where(PartnershipAgency.partnership_id == suffolk.id, Agency.id.not_in(norfolk_agencies))
        .order_by(Agency.id)
    ).first()
    joint = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    agency_return = db.scalars(
        select(AgencyReturn).where(
            AgencyReturn.cycle_id == joint.id, AgencyReturn.agency_id == agency.id
        )
    ).one()
    agency_return.status = ReturnStatus.FEEDBACK_ISSUED
    recommendation = Recommendation(
        return_id=agency_return.id,
        worry_statement="Suffolk's worry",
        safety_goal="Suffolk's goal",
        next_steps="Suffolk's steps",
        priority="Neglect",
        theme="Collaborative working",
    )
    db.add(recommendation)
    own_cycle = cycles_service.ensure_cycle(
        db,
        slug="suffolk-2022",
        name="Suffolk 2022",
        version=_version_of(db, joint),
        partnerships=[suffolk],
        opens_on=date.today(),
        deadline_on=date.today() + timedelta(days=60),
    )
    item = Action(
        cycle_id=joint.id,
        partnership_id=suffolk.id,
        source=ActionSource.MULTI_AGENCY_AUDIT,
        theme="Collaborative working",
        priority="Neglect",
        description="Suffolk's own audit item",
        owner="Suffolk",
        due_on=date.today() + timedelta(days=30),
    )
    db.add(item)
    db.flush()
    return {
        "agencies": agency.id,
        "returns": agency_return.id,
        "cycles": own_cycle.id,
        "recommendations": recommendation.id,
        "actions": item.id,
        "cycle_slug": own_cycle.slug,
        "agency_name": agency.name,
    }


def _version_of(db, cycle):  # type: ignore[no-untyped-def]
    from app.questionnaires.models import QuestionnaireVersion

    return db.get(QuestionnaireVersion, cycle.questionnaire_version_id)


def test_every_endpoint_answers_not_found_for_another_partnerships_object(client, db, demo):
    foreign = _suffolk_only(db)
    token = make_token(db, "norfolk")
    for collection in ("agencies", "returns", "cycles", "recommendations", "actions"):
        response = client.get(f"/api/v1/{collection}/{foreign[collection]}", headers=bearer(token))
        assert response.status_code == 404, collection
        assert response.json()["error"]["code"] == "not_found"
    for cycle in (foreign["cycle_slug"], str(foreign["cycles"])):
        assert client.get(f"/api/v1/cycles/{cycle}", headers=bearer(token)).status_code == 404
        for collection in feed.COLLECTIONS:
            path = f"/api/v1/cycles/{cycle}/{collection}"
            assert client.get(path, headers=bearer(token)).status_code == 404, path
            assert client.get(path + "?format=csv", headers=bearer(token)).status_code == 404
    # Suffolk's own token reads each of them: "not found" is about whose, not whether.
    theirs = make_token(db, "suffolk")
    for collection in ("agencies", "returns", "cycles", "recommendations", "actions"):
        path = f"/api/v1/{collection}/{foreign[collection]}"
        assert client.get(path, headers=bearer(theirs)).status_code == 200, path


def test_a_joint_cycle_shows_each_partnership_its_own_agencies_and_the_shared_ones(
    client, db, demo
):
    foreign = _suffolk_only(db)
    token = make_token(db, "norfolk")
    for collection in feed.COLLECTIONS:
        rows, _pages = _all_json(client, token, f"/api/v1/{collection}")
        for row in rows:
            assert row.get("agency_id") != foreign["agencies"], collection
            assert row.get("return_id") != foreign["returns"], collection
            if collection in ("agencies", "returns", "cycles", "recommendations", "actions"):
                assert row["id"] != foreign[collection], collection
        text = client.get(f"/api/v1/{collection}?format=csv", headers=bearer(token)).text
        assert foreign["agency_name"] not in text and "Suffolk's" not in text, collection
        assert not EMAIL.search(text), f"{collection} holds an email address"
    returns, _pages = _all_json(client, token, "/api/v1/cycles/s11-2021/returns")
    names = {row["agency_name"] for row in returns}
    assert "Norfolk and Suffolk NHS Foundation Trust" in names  # shared with Suffolk
    assert "Suffolk Constabulary" not in names


def test_csv_and_json_of_each_collection_agree_row_for_row(client, db, demo):
    token = make_token(db, "norfolk")
    for collection in feed.COLLECTIONS.values():
        rows, _pages = _all_json(client, token, f"/api/v1/{collection.name}", limit=7)
        table = _csv(client, token, f"/api/v1/{collection.name}")
        assert table[0] == collection.field_names
        assert len(table) - 1 == len(rows) > 0, collection.name
        for line, row in zip(table[1:], rows, strict=True):
            assert line == [_as_csv(row[name]) for name in collection.field_names]


def _as_csv(value) -> str:  # type: ignore[no-untyped-def]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_text(value) if isinstance(value, str) else str(value)


def test_a_csv_cell_that_would_run_as_a_formula_is_neutralised_as_in_the_workbooks(
    client, db, demo
):
    token = make_token(db, "norfolk")
    agency = db.scalars(select(Agency).where(Agency.name == "Norfolk Constabulary")).one()
    agency.name = '=HYPERLINK("http://evil.example","Click")'
    db.flush()
    table = _csv(client, token, "/api/v1/agencies")
    cell = next(line[1] for line in table if line[0] == str(agency.id))
    assert cell == "'" + agency.name
    as_json = client.get(f"/api/v1/agencies/{agency.id}", headers=bearer(token)).json()
    assert as_json["data"]["name"] == agency.name  # JSON is data, not a spreadsheet


def test_ratings_are_only_of_received_returns_and_only_from_submitted_score_sheets(
    client, db, demo
):
    token = make_token(db, "norfolk")
    ratings, _pages = _all_json(client, token, "/api/v1/ratings")
    received = {s.value for s in round_progress.SUBMITTED}
    assert ratings and all(row["status"] in received for row in ratings)
    # A member's scores saved but not submitted: in the database, never in the feed.
    row = ratings[0]
    someone = person_by_email(db, "coordinator@nscp.example.org")  # no sheet of their own
    draft = PanelScore(return_id=row["return_id"], person_id=someone.id, item=row["item"], rating=4)
    db.add(draft)
    db.flush()
    members, _pages = _all_json(client, token, "/api/v1/panel_ratings")
    sheets = {tuple(row) for row in db.execute(select(ScoreSheet.return_id, ScoreSheet.person_id))}
    assert members and all((m["return_id"], m["panel_member_id"]) in sheets for m in members)
    assert draft.id not in {m["id"] for m in members}
    again, _pages = _all_json(client, token, "/api/v1/ratings")
    assert again == ratings  # the count of members who rated it is of submitted sheets only


def test_a_summaries_token_reads_figures_but_no_text_anyone_wrote_nor_members_ratings(
    client, db, demo
):
    token = make_token(db, "norfolk", TokenScope.SUMMARIES)
    for hidden in ("recommendations", "actions", "panel_ratings"):
        assert client.get(f"/api/v1/{hidden}", headers=bearer(token)).status_code == 404
        assert client.get(f"/api/odata/{hidden}", headers=bearer(token)).status_code == 404
    names = [c["name"] for c in client.get("/api/v1", headers=bearer(token)).json()["collections"]]
    assert names == ["cycles", "agencies", "returns", "ratings", "action_plan_counts"]


def test_a_cursor_edited_by_hand_or_from_another_collection_is_refused(client, db, demo):
    token = make_token(db, "norfolk")
    first = client.get("/api/v1/returns?limit=2", headers=bearer(token)).json()
    cursor = first["next"].split("cursor=")[1]
    for wrong in (cursor[:-3] + "abc", "eyJrIjpbMTAwXX0", "x" * 600, "' or 1=1 --"):
        response = client.get(f"/api/v1/returns?cursor={wrong}", headers=bearer(token))
        assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"
    elsewhere = client.get(f"/api/v1/agencies?cursor={cursor}", headers=bearer(token))
    assert elsewhere.status_code == 400
    other = make_token(db, "suffolk")
    assert client.get(f"/api/v1/returns?cursor={cursor}", headers=bearer(other)).status_code == 400


def test_bad_requests_answer_with_a_json_error_never_a_page_or_a_500(client, db, demo):
    token = make_token(db, "norfolk")
    for path, status in (
        ("/api/v1/returns?limit=0", 400),
        ("/api/v1/returns?limit=100000000", 400),
        ("/api/v1/returns?limit=ten", 400),
        ("/api/v1/returns?format=xml", 400),
        ("/api/v1/returns?filter=status eq 'x' or 1 eq 1", 400),
        ("/api/v1/returns?filter=name eq 'x'", 400),
        ("/api/v1/secrets", 404),
        ("/api/v1/returns/not-a-number", 404),
        ("/api/v1/returns/99999999999999999999", 404),
        ("/api/v2/returns", 404),
    ):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == status, path
        assert response.json()["error"]["message"], path
    posted = client.post("/api/v1/returns", headers=bearer(token))
    assert posted.status_code == 404 and posted.json()["error"]


def test_the_feed_filters_a_collection_as_odata_does(client, db, demo):
    token = make_token(db, "norfolk")
    rows, _pages = _all_json(client, token, "/api/v1/returns?filter=status eq 'closed'")
    assert rows and {row["status"] for row in rows} == {"closed"}


def test_the_openapi_document_describes_the_feed_alone_and_is_served_in_production(
    production_client, db, demo
):
    document = production_client.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "s11 read feed"
    assert all(path.startswith("/api/v1") for path in document["paths"])
    assert "/api/v1/{collection}" in document["paths"]


def _many_returns(db, count: int, status=None) -> set[int]:  # type: ignore[no-untyped-def]
    """`count` more agencies of Norfolk's with a return each in the joint cycle, inserted in
    bulk (the services would take minutes for thousands)."""
    norfolk = _partnership(db, "norfolk")
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    first = (db.scalar(select(func.max(Agency.id))) or 0) + 1
    db.execute(
        insert(Agency),
        [
            {
                "id": first + n,
                "name": f"Bulk agency {first + n:06d}",
                "sector": AgencySector.VOLUNTARY,
                "duty": AgencyDuty.EQUIVALENT_STANDARDS,
            }
            for n in range(count)
        ],
    )
    db.execute(
        insert(PartnershipAgency),
        [{"partnership_id": norfolk.id, "agency_id": first + n} for n in range(count)],
    )
    db.execute(
        insert(AgencyReturn),
        [
            {
                "cycle_id": cycle.id,
                "agency_id": first + n,
                "questionnaire_version_id": cycle.questionnaire_version_id,
                "status": status
                or (ReturnStatus.IN_PROGRESS if n % 3 else ReturnStatus.NOT_STARTED),
            }
            for n in range(count)
        ],
    )
    db.flush()
    return set(db.scalars(select(AgencyReturn.id).where(AgencyReturn.agency_id >= first)))


# Measured on this machine: 6,000 returns page through in about 3 s on SQLite, 4 s on
# PostgreSQL (JSON by 1,000, OData by nextLink, CSV at once), inside the ~20 s a test may take.
MANY = 6000


def test_paging_through_six_thousand_returns_yields_each_exactly_once(client, db, demo):
    added = _many_returns(db, MANY)
    token = make_token(db, "norfolk")
    started = time.monotonic()
    rows, pages = _all_json(client, token, "/api/v1/returns")
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) and added <= set(ids) and pages >= MANY // 1000
    seen, url = [], "/api/odata/returns?$select=id"
    while url:
        body = client.get(url, headers=bearer(token)).json()
        seen += [row["id"] for row in body["value"]]
        url = body.get("@odata.nextLink")
    assert seen == ids
    table = _csv(client, token, "/api/v1/returns")
    assert [int(line[0]) for line in table[1:]] == ids
    assert time.monotonic() - started < 20


def test_a_token_reaches_every_route_of_the_feed_that_a_session_never_does(client, db, demo):
    from app.auth.policy import Permission
    from tests.test_access import ACCESS_TABLE, FEED_SAMPLES

    token = make_token(db, "norfolk")
    feed_routes = [path for (_m, path), p in ACCESS_TABLE.items() if p is Permission.READ_FEED]
    assert len(feed_routes) == 7
    for path in feed_routes:
        response = client.get(FEED_SAMPLES.get(path, path), headers=bearer(token))
        assert response.status_code == 200, path


def test_a_page_or_a_whole_csv_costs_the_same_queries_however_many_returns_there_are(
    client, db, demo, count_queries
):
    token = make_token(db, "norfolk")
    counts = []
    for more in (300, 1200):
        _many_returns(db, more, ReturnStatus.SUBMITTED)
        client.get("/api/v1", headers=bearer(token))
        with count_queries() as counted:
            for path in ("/api/v1/ratings?limit=1000", "/api/v1/returns?format=csv"):
                assert client.get(path, headers=bearer(token)).status_code == 200
        counts.append(counted.count)
    assert counts[0] == counts[1], counts


def test_a_schools_type_phase_trust_and_urn_are_in_its_agency_and_return_rows_in_every_form(
    client, db, demo
):
    joint = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    agency_return = db.scalars(
        select(AgencyReturn)
        .join(PartnershipAgency, PartnershipAgency.agency_id == AgencyReturn.agency_id)
        .where(
            AgencyReturn.cycle_id == joint.id,
            PartnershipAgency.partnership_id == _partnership(db, "norfolk").id,
        )
        .order_by(AgencyReturn.id)
    ).first()
    school = db.get(Agency, agency_return.agency_id)
    school.sector = AgencySector.EDUCATION
    school.school_type = SchoolType.ACADEMY
    school.school_phase = SchoolPhase.SECONDARY
    school.school_body = "=Broadland Learning Trust"
    school.urn = "137654"
    db.flush()
    expected = {
        "school_type": "academy",
        "school_type_label": SchoolType.ACADEMY.label,
        "school_phase": "secondary",
        "school_phase_label": SchoolPhase.SECONDARY.label,
        "school_body": "=Broadland Learning Trust",
        "urn": "137654",
    }
    token = make_token(db, "norfolk", TokenScope.SUMMARIES)
    for path in (f"/api/v1/returns/{agency_return.id}", f"/api/v1/agencies/{school.id}"):
        row = client.get(path, headers=bearer(token)).json()["data"]
        assert {name: row[name] for name in expected} == expected, path
    returns = _all_json(client, token, "/api/v1/returns")[0]
    others = [row for row in returns if row["agency_id"] != school.id]
    assert others and all(row["urn"] is None and row["school_type"] is None for row in others)
    table = _csv(client, token, "/api/v1/returns")
    line = dict(zip(table[0], next(r for r in table if r[0] == str(agency_return.id)), strict=True))
    assert line["urn"] == "137654" and line["school_body"] == "'=Broadland Learning Trust"
    odata = client.get(
        "/api/odata/returns?$filter=urn eq '137654'&$select=id,school_type,urn",
        headers=basic(token),
    ).json()["value"]
    assert odata == [{"id": agency_return.id, "school_type": "academy", "urn": "137654"}]
