"""A schools round in Chromium: thirty schools of mixed types imported, the schools audit sent
to them, a maintained school and an independent school each shown their own duty question,
one return with a table submitted, scored by a panel member and exported; every page axe-clean.

It moves a return on for good, so it runs its own s11 on a fresh copy of the demo.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, load_demo, serve_a_copy, sign_in_as
from tests.browser.test_day_zero import follow_link, upload
from tests.browser.test_panels import add_member, schedule_a_session, session_day

COORDINATOR = "Priya Shah"
MEMBER = "Ben Oakes"
TYPES = [
    ("Maintained", "Primary"),
    ("Academy", "Secondary"),
    ("Free school", "Primary"),
    ("Independent", "Secondary"),
    ("Special", "All-through"),
    ("Alternative provision", "Secondary"),
    ("Further education college", "16 plus"),
    ("Early years", "Nursery"),
]
SCHOOLS = [
    (f"Breckland School {n:02d}", *TYPES[n % len(TYPES)], f"{130000 + n}") for n in range(30)
]
MAINTAINED, INDEPENDENT = SCHOOLS[0], SCHOOLS[3]


def lead_email(school: tuple[str, ...]) -> str:
    return f"dsl{school[0][-2:]}@schools.example.org"


def schools_csv() -> bytes:
    lines = ["Agency,Sector,Lead name,Lead email,School type,Phase,Local authority or trust,URN"]
    for school in SCHOOLS:
        name, kind, phase, urn = school
        body = "Norfolk County Council" if kind == "Maintained" else "A Trust"
        lines.append(
            f"{name},Education,DSL {name[-2:]},{lead_email(school)},{kind},{phase},{body},{urn}"
        )
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def demo_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_demo(tmp_path_factory, "schools")


@pytest.fixture
def base_url(
    tmp_path_factory: pytest.TempPathFactory, demo_var: Path, smtp_server, oidc_provider: str
) -> Iterator[str]:
    yield from serve_a_copy(tmp_path_factory, demo_var, smtp_server, oidc_provider, "schools")


def fill_section(page: Page) -> None:
    """Answer every question on a section page as a school might: a middling rating, "no" to
    yes/no questions, a first table row, a date, and text; then save."""
    page.evaluate(
        """() => {
        const form = document.querySelector("main form[enctype]");
        const picked = new Set();
        for (const box of form.querySelectorAll("input, textarea, select")) {
          if (box.type === "hidden" || box.type === "file" || box.type === "checkbox") continue;
          const row = box.name.match(/__(\\d+)__/);
          if (row && row[1] !== "0") continue;
          if (box.type === "radio") {
            if (picked.has(box.name)) continue;
            const options = [...form.querySelectorAll(`input[name="${box.name}"]`)];
            const choice = ["3", "100", "no"].map(v => options.find(o => o.value === v))
              .find(Boolean) || options[0];
            choice.checked = true;
            picked.add(box.name);
          } else if (box.tagName === "SELECT") {
            box.selectedIndex = box.options.length > 1 ? 1 : 0;
          } else if (/-day$/.test(box.name)) { box.value = "1"; }
          else if (/-month$/.test(box.name)) { box.value = "9"; }
          else if (/-year$/.test(box.name)) { box.value = "2025"; }
          else { box.value = "12"; }
        }
      }"""
    )
    evidence = page.locator("input[type=file][name$='evidence__files']")
    if evidence.count():
        evidence.set_input_files(
            {"name": "scr-check.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
        )
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)


def open_school_return(page: Page, mailbox, school: tuple[str, ...]) -> str:
    follow_link(page, mailbox, lead_email(school), "/join/")
    page.get_by_role("button", name="Accept the invitation").click()
    page.get_by_role("link", name="Returns").click()
    page.get_by_role("link", name=f"{school[0]}: Schools 2025").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return page.url


def test_a_schools_round_from_import_to_a_scored_exported_return(page: Page, smtp_server):
    mailbox = smtp_server[0]

    # Thirty schools of eight types, imported into the directory.
    sign_in_as(page, COORDINATOR)
    page.goto("/agencies/import")
    upload(page, "Spreadsheet of agencies", "schools.csv", schools_csv(), "text/csv")
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("main table")).to_contain_text("Independent school (section 157)")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Confirm and invite 30 leads")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("30 agencies imported")

    # A cycle on the schools audit, for the education sector.
    page.goto("/round/cycles/new")
    page.get_by_label("Name", exact=True).fill("Schools 2025")
    page.get_by_label("Short name for links").fill("schools-2025")
    page.get_by_label("Questionnaire", exact=True).select_option(
        label="Schools and colleges safeguarding audit (version 2025.1)"
    )
    for prefix, day in (("opens", date.today()), ("deadline", date.today() + timedelta(days=40))):
        page.locator(f"#{prefix}-day").fill(str(day.day))
        page.locator(f"#{prefix}-month").fill(str(day.month))
        page.locator(f"#{prefix}-year").fill(str(day.year))
    page.get_by_role("button", name="Set up the cycle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schools 2025")
    page.get_by_role("button", name="Take agencies from the directory").click()
    page.get_by_label("The agencies of the sectors ticked below").check()
    page.get_by_label("Education", exact=True).check()
    page.get_by_role("button", name="Open their returns").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("returns opened")
    page.get_by_role("button", name="Invite agency leads not yet invited").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invitations to the leads of")
    # The coordinator watches them go: until then a lead's newest mail may still be the import's
    # invitation, whose link the round's invitation replaces.
    expect(page.locator('[data-count="queued"]')).to_have_text("0", timeout=60_000)

    # The maintained school is asked about the governing body's section 175 duty ...
    open_school_return(page, mailbox, MAINTAINED)
    page.locator(".govuk-task-list__link").first.click()
    main = page.locator("main")
    expect(main).to_contain_text("duty under section 175")
    expect(main).not_to_contain_text("section 157")
    expect(main).to_contain_text("named safeguarding governor")
    assert_accessible(page)

    # ... the independent school about the proprietor's section 157 duty, and it answers all.
    task_list = open_school_return(page, mailbox, INDEPENDENT)
    page.locator(".govuk-task-list__link").first.click()
    expect(main).to_contain_text("section 157")
    expect(main).not_to_contain_text("duty under section 175")
    assert_accessible(page)
    for number in range(8):  # the ninth section carries last year's actions: none here
        page.goto(task_list)
        page.locator(".govuk-task-list__link").nth(number).click()
        fill_section(page)
    page.goto(task_list)
    page.get_by_role("link", name="Check your answers and submit").click()
    expect(main).not_to_contain_text("still to answer")
    expect(main).not_to_contain_text("without the evidence")
    expect(main).to_contain_text("Training delivered this year")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Submit")).click()
    expect(main).to_contain_text("submitted")

    # A panel member scores it.
    sign_in_as(page, COORDINATOR)
    page.goto("/round/cycles/schools-2025/panels")
    day = session_day(page)
    page.get_by_role("button", name="Schedule a panel session").click()
    schedule_a_session(page, "Schools panel", day)
    add_member(page, MEMBER)
    page.get_by_label("Agency for 09:30 to 10:15").select_option(label=INDEPENDENT[0])
    page.get_by_role("button", name="Book the slot at 09:30 to 10:15").click()
    sign_in_as(page, MEMBER)
    page.get_by_role("link", name="Panels", exact=True).click()
    page.get_by_role("link", name=f"Read {INDEPENDENT[0]}'s return").click()
    return_id = re.search(r"/panels/returns/(\d+)", page.url)[1]
    page.goto(f"/panels/returns/{return_id}/scores")
    assert_accessible(page)
    for group in page.locator("main form .s11-question").all():
        group.locator("input[type=radio]").nth(2).check()
    page.get_by_role("button", name="Submit my scores").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Moderation: {INDEPENDENT[0]}")
    expect(page.locator("main")).to_contain_text(f"{MEMBER}: Submitted")
    assert_accessible(page)

    # The coordinator's scored returns workbook: the school's columns and the table's sheet.
    sign_in_as(page, COORDINATOR)
    response = page.request.get("/exports/schools-2025/scored-returns")
    assert response.status == 200
    book = load_workbook(io.BytesIO(response.body()))
    summary = [[c.value for c in row] for row in book["Summary"].iter_rows()]
    assert summary[0][:6] == ["Agency", "Sector", "School type", "Phase",
                              "Local authority or trust", "URN"]  # fmt: skip
    assert [INDEPENDENT[0], "Education", "Independent school (section 157)", "Secondary",
            "A Trust", INDEPENDENT[3]] in [row[:6] for row in summary]  # fmt: skip
    training = [[c.value for c in row] for row in book["Training delivered this year"].iter_rows()]
    assert training[1][:3] == [INDEPENDENT[0], 1, "12"]
    [leadership] = [name for name in book.sheetnames if name.startswith("1. Leadership")]
    rows = list(book[leadership].iter_rows(values_only=True))
    by_member = rows[0].index(f"Rating by {MEMBER}")
    duty = next(row for row in rows if row[0] == INDEPENDENT[0] and "section 157" in row[2])
    assert duty[3] == "Good" and duty[by_member] == "Good"  # its own rating, and the member's
