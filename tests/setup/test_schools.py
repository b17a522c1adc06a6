"""Schools in the agency directory: type, phase, local authority or trust and URN, typed on the
agency's page or imported from a spreadsheet, with every bad value explained on the page."""

from __future__ import annotations

from sqlalchemy import func, select

from app.directory.models import Agency, SchoolPhase, SchoolType
from tests.setup.test_directory import AGENCY, post

SCHOOL = {
    **AGENCY,
    "name": "Dereham Church of England Junior Academy",
    "sector": "education",
    "lead_email": "dsl@dereham.example.org",
    "school_type": "academy",
    "school_phase": "primary",
    "school_body": "Diocese of Norwich Education and Academies Trust",
    "urn": "139412",
}


def test_a_coordinator_adds_a_school_with_its_type_phase_trust_and_urn(client, db, coordinator):
    response = post(client, "/agencies/new", SCHOOL)
    assert response.status_code == 303, response.text
    school = db.scalars(select(Agency).where(Agency.urn == "139412")).one()
    assert (school.school_type, school.school_phase) == (SchoolType.ACADEMY, SchoolPhase.PRIMARY)
    assert school.school_body == "Diocese of Norwich Education and Academies Trust"
    listing = client.page("/agencies").get_text(" ", strip=True)
    assert "Academy, primary URN 139412" in listing


def test_a_school_without_a_urn_or_with_seven_digits_is_refused_beside_the_urn_box(
    client, db, coordinator
):
    for urn, message in (
        ("", "Enter the school&#39;s URN"),
        ("1394120", "The URN must be 6 digits, like 123456 (got 1394120, 7 characters)"),
        ("13941A", "The URN must be 6 digits"),
    ):
        response = post(client, "/agencies/new", {**SCHOOL, "urn": urn})
        assert response.status_code == 400, urn
        assert message in response.text and 'href="#urn"' in response.text, urn
        assert 'value="Diocese of Norwich' in response.text  # what was typed is kept
    assert db.scalar(select(func.count()).select_from(Agency)) == 0
    unknown = post(client, "/agencies/new", {**SCHOOL, "school_type": "grammar"})
    assert unknown.status_code == 400 and "grammar is not a school type s11 knows" in unknown.text


def test_a_second_school_with_the_same_urn_is_refused_by_name(client, db, coordinator):
    assert post(client, "/agencies/new", SCHOOL).status_code == 303
    again = post(client, "/agencies/new", {**SCHOOL, "name": "Another", "lead_email": "a@b.org"})
    assert again.status_code == 400
    assert "Dereham Church of England Junior Academy already has the URN 139412" in again.text


SCHOOLS_CSV = """Agency,Sector,Lead name,Lead email,School type,Phase,Local authority or trust,URN
Toftwood Infant School,Education,Ann Dsl,ann@toftwood.example.org,Maintained,Primary,NCC,120876
Gresham's School,Education,Ben Dsl,ben@greshams.example.org,Independent,All-through,Gresham's,121234
Grammar Towers,Education,Cat Dsl,cat@towers.example.org,Grammar school,Secondary,,123456
Long URN Academy,Education,Dan Dsl,dan@long.example.org,Academy,Secondary,A Trust,1234567
No URN Academy,Education,Eve Dsl,eve@none.example.org,Academy,Secondary,A Trust,
Home-Start Breckland,Voluntary,Fay Lead,fay@homestart.example.org,,,,
"""


def test_an_import_names_the_line_of_each_bad_school_and_saves_nothing(client, db, coordinator):
    checked = post(
        client, "/agencies/import", files={"file": ("s.csv", SCHOOLS_CSV.encode(), "text/csv")}
    )
    assert checked.status_code == 400
    text = checked.text
    assert "Line 4: School type: Grammar school is not a school type s11 knows" in text
    assert "Line 5: URN: The URN must be 6 digits, like 123456 (got 1234567, 7 characters)" in text
    assert "Line 6: URN: Enter the school&#39;s URN" in text
    assert "Line 2:" not in text and "Line 3:" not in text and "Line 7:" not in text
    assert db.scalar(select(func.count()).select_from(Agency)) == 0

    good = "\n".join(SCHOOLS_CSV.splitlines()[:3] + SCHOOLS_CSV.splitlines()[-1:]) + "\n"
    checked = post(client, "/agencies/import", files={"file": ("s.csv", good.encode(), "text/csv")})
    assert checked.status_code == 200, checked.text
    token = checked.text.split('action="/agencies/import/')[1].split('"')[0]
    assert post(client, f"/agencies/import/{token}").status_code == 303
    schools = {a.name: a for a in db.scalars(select(Agency))}
    assert schools["Toftwood Infant School"].school_type is SchoolType.MAINTAINED
    assert schools["Gresham's School"].school_type is SchoolType.INDEPENDENT
    assert schools["Gresham's School"].school_phase is SchoolPhase.ALL_THROUGH
    assert schools["Home-Start Breckland"].school_type is None
