"""An autosave and a section page run a few SQL statements, however full the return is."""

from __future__ import annotations

from tests.conftest import lead_of, sign_in
from tests.returns.conftest import answer_everything, form_of, section_url

# Each within the test's own SAVEPOINT and RELEASE (2): the session and its person with their
# roles, the return through the access rule, the answer, its UPDATE and its revision.
AUTOSAVE_STATEMENTS = 2 + 5
# The session and person, the return, its answers and files, last year's return, its answers
# and files, and the names of the people who changed answers.
SECTION_PAGE_STATEMENTS = 2 + 8


def autosave_statements(client, agency_return, count_queries, text: str) -> int:
    url = section_url(agency_return)
    hidden = form_of(client, url)
    fields = {k: v for k, v in hidden.items() if k.endswith("lead-name") or k == "csrf_token"}
    with count_queries() as counted:
        response = client.post(
            f"{url}/autosave/lead-name",
            data=fields | {"lead-name": text},
            headers={"HX-Request": "true", "X-CSRF-Token": hidden["csrf_token"]},
        )
    assert "Saved at" in response.text
    return counted.count


def page_statements(client, agency_return, count_queries) -> int:
    with count_queries() as counted:
        assert client.get(section_url(agency_return)).status_code == 200
    return counted.count


def test_an_autosave_stays_a_handful_of_statements_as_the_return_fills_up(
    client, db, nspcc_return, count_queries
):
    sign_in(client, lead_of(db, "NSPCC"))
    autosave_statements(client, nspcc_return, count_queries, "First words")  # inserts it
    few = autosave_statements(client, nspcc_return, count_queries, "More words")
    answer_everything(client, nspcc_return)
    many = autosave_statements(client, nspcc_return, count_queries, "Yet more words")
    assert few == many <= AUTOSAVE_STATEMENTS, (few, many)


def test_a_section_page_runs_the_same_statements_with_one_answer_or_all(
    client, db, nspcc_return, count_queries
):
    sign_in(client, lead_of(db, "NSPCC"))
    autosave_statements(client, nspcc_return, count_queries, "First words")
    few = page_statements(client, nspcc_return, count_queries)
    answer_everything(client, nspcc_return)
    many = page_statements(client, nspcc_return, count_queries)
    assert few == many <= SECTION_PAGE_STATEMENTS, (few, many)
