"""Follow-up questions on a return's pages: what the reveal says, that it agrees with the page
the server renders, and the task list once an earlier section's answer asks for more."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.conftest import lead_of, sign_in
from tests.returns.conftest import form_of, nspccs_return_on, section_url

# Within the test's SAVEPOINT and RELEASE (2): the session and its person with their roles,
# the return through the access rule, its answers and its files.
FOLLOW_UP_STATEMENTS = 2 + 5

TWO_SECTIONS = """\
id: two-sections
version: "1"
title: Two sections
audience: agency_return
sections:
  - id: leadership
    title: Leadership
    questions:
      - {id: lead-named, type: yes_no, label: "Is an executive lead named?", required: true}
      - id: why-not
        type: long_text
        label: Why not?
        show_if: {question: lead-named, equals: "no"}
  - id: training
    title: Training
    questions:
      - {id: trained, type: yes_no, label: "Are all staff trained?", required: true}
      - id: plan
        type: long_text
        label: What is your plan to appoint a lead?
        required: true
        show_if: {question: lead-named, equals: "no"}
"""


def _follow_ups(client, agency_return, answers: dict, token: str | None = None):  # type: ignore[no-untyped-def]
    url = section_url(agency_return)
    token = token or form_of(client, url)["csrf_token"]
    return client.post(
        f"{url}/follow-ups",
        data=answers,
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )


def _shown(response) -> list[str]:  # type: ignore[no-untyped-def]
    tag = BeautifulSoup(response.text, "html.parser").find(attrs={"data-shown": True})
    return tag["data-shown"].split()


def test_choosing_yes_opens_the_follow_ups_it_asks_for_and_says_so(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    opened = _follow_ups(client, nspcc_return, {"has-policy": "yes"})
    assert opened.status_code == 200
    assert _shown(opened) == ["policy-date", "channels"]
    assert "A question was added: When was the policy last reviewed?" in opened.text
    closed = _follow_ups(
        client, nspcc_return, {"__shown__": ["policy-date", "channels"], "has-policy": ""}
    )
    assert _shown(closed) == []
    assert "A question was removed" in closed.text
    refused = client.post(f"{section_url(nspcc_return)}/follow-ups", data={"has-policy": "yes"})
    assert refused.status_code in (400, 403)  # no CSRF token


def test_the_reveal_and_the_page_the_server_renders_agree_on_what_shows(client, db, nspcc_return):
    """Both come from app/questionnaires/rules.py: what the reveal opens for an answer is what
    the page shows once that answer is saved."""
    sign_in(client, lead_of(db, "NSPCC"))
    url = section_url(nspcc_return)
    for answer in ("yes", "no"):
        revealed = _shown(_follow_ups(client, nspcc_return, {"has-policy": answer}))
        client.post(url, data=form_of(client, url) | {"has-policy": answer})
        page = client.page(url)
        carried = page.select("[data-follow-up]")
        assert carried, "the section carries its follow-ups"
        on_page = [b["data-follow-up"] for b in carried if b.get("hidden") is None]
        assert on_page == revealed, answer


def test_the_reveal_runs_a_few_statements_however_full_the_return(
    client, db, nspcc_return, count_queries
):
    from tests.returns.conftest import answer_everything

    sign_in(client, lead_of(db, "NSPCC"))

    token = form_of(client, section_url(nspcc_return))["csrf_token"]

    def statements() -> int:
        with count_queries() as counted:
            response = _follow_ups(client, nspcc_return, {"has-policy": "yes"}, token)
            assert response.status_code == 200
        return counted.count

    few = statements()
    answer_everything(client, nspcc_return)
    many = statements()
    assert few == many <= FOLLOW_UP_STATEMENTS, (few, many)


def test_a_no_in_an_earlier_section_makes_a_finished_later_section_in_progress(
    client, db, demo, tmp_path
):
    path = tmp_path / "two-sections.yaml"
    path.write_text(TWO_SECTIONS)
    agency_return = nspccs_return_on(db, path, slug="two-sections", name="Two sections")
    sign_in(client, lead_of(db, "NSPCC"))
    base = f"/returns/{agency_return.id}/sections"
    for section, answers in (
        ("leadership", {"lead-named": "yes"}),
        ("training", {"trained": "yes"}),
    ):
        client.post(f"{base}/{section}", data=form_of(client, f"{base}/{section}") | answers)

    def status_of_training() -> str:
        page = client.page(f"/returns/{agency_return.id}")
        item = next(
            li for li in page.select(".govuk-task-list__item") if "Training" in li.get_text()
        )
        return item.select_one(".govuk-task-list__status").get_text(strip=True)

    assert status_of_training() == "Completed"
    client.post(
        f"{base}/leadership", data=form_of(client, f"{base}/leadership") | {"lead-named": "no"}
    )
    assert status_of_training() == "In progress"  # "What is your plan…?" is asked, unanswered
    training = client.page(f"{base}/training")
    assert training.find("textarea", attrs={"name": "plan"}) is not None
    assert training.find(attrs={"data-follow-up": True}) is None  # shown on load, not revealed
