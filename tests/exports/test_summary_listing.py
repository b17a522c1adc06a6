"""The chair's summary of a large round: the change by agency since last cycle is searched,
filtered, sorted and paged; odd query strings get a message, never a 500."""

from __future__ import annotations

import re

from app.exports.summary import Change, YearOnYear, change_by_agency, read_change_listing
from tests.conftest import person_by_email, sign_in

CHAIR = "chair@nscp.example.org"
SUMMARY = "/summary/s11-2021"


def _changes(n: int) -> YearOnYear:
    return YearOnYear(
        previous=None,  # type: ignore[arg-type]
        agencies=[
            Change(
                f"School {i:04d}", "Education" if i % 2 else "Health provider", 10, i % 7, 3, i % 5
            )
            for i in range(n)
        ],
        questions=[],
    )


def test_a_round_of_600_agencies_shows_its_change_by_agency_fifty_at_a_time():
    year = _changes(600)
    first = change_by_agency(year, read_change_listing({}))
    assert (first.total, len(first.rows), first.pages) == (600, 50, 12)
    assert first.rows[0].name == "School 0000"
    last = change_by_agency(year, read_change_listing({"page": "999999"}))
    assert last.listing.page == 12 and last.rows[-1].name == "School 0599"
    most_declined = change_by_agency(year, read_change_listing({"sort": "declined"}))
    assert most_declined.rows[0].declined == 4
    schools = change_by_agency(year, read_change_listing({"sector": "education", "q": "school 01"}))
    assert schools.total == 50  # 0100..0199, the odd ones are schools
    assert all(row.detail == "Education" for row in schools.rows)


def test_the_chair_searches_the_change_by_agency_and_bad_values_get_a_message(client, db, demo):
    sign_in(client, person_by_email(db, CHAIR))
    whole = client.get(SUMMARY)
    assert whole.status_code == 200
    names = re.findall(
        r'<th scope="row" class="govuk-table__header govuk-!-font-weight-regular">([^<]+)<br>',
        whole.text,
    )
    assert names, "the demo compares an agency with last cycle"
    searched = client.get(f"{SUMMARY}?q={names[0][:10]}")
    assert "Showing 1 to 1 of 1 agencies" in searched.text
    assert "No agencies match" in client.get(f"{SUMMARY}?q=no+such+agency").text
    odd = client.get(f"{SUMMARY}?sort=nonsense&sector=moon&page=-5")
    assert odd.status_code == 200
    assert "cannot be sorted that way" in odd.text and "is not one of the choices" in odd.text
    swapped = client.get(
        f"{SUMMARY}?sort=declined", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert swapped.text.lstrip().startswith('<div id="results">')
    assert "<html" not in swapped.text
