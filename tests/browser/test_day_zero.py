"""Day zero in Chromium: from an empty database (no demo) to a lead's first saved answer, as the
real people would do it, on SQLite and on PostgreSQL; every page axe-clean."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from app.db import make_engine
from tests.browser.conftest import (
    CHROMIUM,
    PROJECT_ROOT,
    REQUIRE_BROWSER,
    ConsoleErrors,
    assert_accessible,
    run_cli,
    serve,
    server_env,
)
from tests.conftest import REQUIRE_POSTGRES, Mailbox

ADMIN = "it@council.example.org"
COORDINATOR = "cora@breckland.example.org"
LEAD = "pat@police.example.org"
FIXTURE = (PROJECT_ROOT / "tests" / "fixtures" / "every-type.yaml").read_text()
SCHEMA = "dayzero"


def questionnaire(*, broken: bool = False) -> bytes:
    """The test questionnaire as the partnership's own; `broken` misspells a question type."""
    yaml = FIXTURE.replace("id: every-type", "id: breckland-s11", 1)
    if broken:
        yaml = yaml.replace("type: rating", "type: ratting", 1)
    return yaml.encode()


def _database_url(backend: str, var_dir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{var_dir / 's11.db'}"
    url = os.environ.get("S11_TEST_POSTGRES_URL")
    if not url:
        if REQUIRE_POSTGRES:
            pytest.fail("S11_TEST_POSTGRES_URL is not set but PostgreSQL is required")
        pytest.skip("the PostgreSQL run needs S11_TEST_POSTGRES_URL")
    engine = make_engine(url)
    with engine.begin() as connection:  # an empty schema of its own, whatever ran before
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{SCHEMA}"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_site(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    smtp_server,
    oidc_provider: str,
) -> Iterator[str]:
    """A production-like install: migrated, one site administrator, nothing else."""
    if not Path(CHROMIUM).exists() and not REQUIRE_BROWSER:
        pytest.skip("browser tests need Debian's chromium")
    var_dir = tmp_path_factory.mktemp(f"day-zero-{request.param}")
    env, url = server_env(var_dir, smtp_server[1], oidc_provider)
    env["S11_DATABASE_URL"] = _database_url(request.param, var_dir)
    run_cli(env, "migrate")
    run_cli(env, "create-admin", ADMIN, "--name", "Council IT")
    yield from serve(var_dir, env, url)


@pytest.fixture
def site_page(browser: Browser, empty_site: str, console_errors: ConsoleErrors) -> Iterator[Page]:
    context = browser.new_context(base_url=empty_site)
    page = context.new_page()
    console_errors.watch(page)
    yield page
    context.close()
    assert list(console_errors) == [], console_errors


def link_to(mailbox: Mailbox, address: str, path: str, *, after: int = 0) -> str:
    """The newest link to `path` in the mail `address` received (plain text part), once the
    server's mail worker has sent it."""
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message in reversed(mailbox.to(address)[after:]):
            body = message.get_body(preferencelist=("plain",)).get_content()
            if path in body:
                return path + body.split(path, 1)[1].split()[0]
        time.sleep(0.05)
    raise AssertionError(f"no mail to {address} holds a link to {path}")


def follow_link(page: Page, mailbox: Mailbox, address: str, path: str) -> None:
    page.context.clear_cookies()  # each person on their own browser
    page.goto(link_to(mailbox, address, path))
    assert_accessible(page)


def type_into(page: Page, label: str, value: str) -> None:
    """Focus the field and type, as a keyboard user does."""
    page.get_by_label(label, exact=True).focus()
    page.keyboard.type(value)


def upload(page: Page, label: str, name: str, data: bytes, mime: str) -> None:
    page.get_by_label(label).set_input_files({"name": name, "mimeType": mime, "buffer": data})


def test_a_partnership_goes_from_an_empty_install_to_a_leads_first_answer(
    site_page: Page, smtp_server
):
    page, mailbox = site_page, smtp_server[0]

    # The site administrator signs in with the link `s11 create-admin` sent.
    follow_link(page, mailbox, ADMIN, "/sign-in/email/")
    page.get_by_role("button", name="Continue to s11").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Section 11 work")
    assert_accessible(page)
    page.get_by_role("button", name="Set up a partnership").click()
    assert_accessible(page)
    type_into(page, "Name", "Breckland Safeguarding Children Partnership")
    type_into(page, "Short name", "BSCP")
    type_into(page, "Web-address name", "breckland")
    page.get_by_label("Brand colour").fill("#ffdd00")  # too light for white text
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_contain_text("try a darker shade")
    assert_accessible(page)
    page.get_by_label("Brand colour").fill("#1d4f91")
    page.get_by_role("button", name="Set up the partnership").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Breckland Safeguarding")
    assert_accessible(page)
    type_into(page, "Name", "Cora Ordinator")
    type_into(page, "Email address", COORDINATOR)
    page.get_by_role("button", name="Send the invitation").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Invitation sent")
    page.goto("/admin")
    expect(page.locator("main")).to_contain_text("Breckland Safeguarding Children Partnership")
    assert_accessible(page)

    # The coordinator accepts and sees the set-up checklist.
    follow_link(page, mailbox, COORDINATOR, "/join/")
    page.get_by_role("button", name="Accept the invitation").click()
    expect(page.get_by_role("heading", name="Set up your partnership")).to_be_visible()
    assert_accessible(page)

    # One agency by hand, by keyboard.
    page.get_by_role("link", name="Add your agencies").click()
    assert_accessible(page)
    page.get_by_role("button", name="Add an agency").click()
    assert_accessible(page)
    type_into(page, "Agency", "Breckland Police")
    page.get_by_label("Sector").select_option("police")
    type_into(page, "Safeguarding lead's name", "Pat Lead")
    type_into(page, "Safeguarding lead's email", LEAD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Breckland Police")
    assert_accessible(page)

    # Two by import: a bad row first, then the corrected file.
    page.goto("/agencies")
    page.get_by_role("button", name="Import agencies from a spreadsheet").click()
    assert_accessible(page)
    rows = (
        "Agency,Sector,Lead name,Lead email\n"
        "Home-Start Breckland,Voluntary,Ann Other,ann@homestart.example.org\n"
        "Breckland District Council,District council,Bob Jones,{email}\n"
    )
    upload(page, "Spreadsheet of agencies", "agencies.csv",
           rows.format(email="bob at council").encode(), "text/csv")  # fmt: skip
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Line 3")
    assert_accessible(page)
    upload(page, "Corrected spreadsheet of agencies", "agencies.csv",
           rows.format(email="bob@council.example.org").encode(), "text/csv")  # fmt: skip
    page.get_by_role("button", name="Check the corrected file").click()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Confirm and invite 2 leads")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("2 agencies imported")
    expect(page.locator("main table")).to_contain_text("Home-Start Breckland")
    assert_accessible(page)

    # A questionnaire with a mistake, its located error, then the fixed file.
    page.goto("/questionnaires")
    assert_accessible(page)
    page.get_by_role("button", name="Upload a questionnaire").click()
    assert_accessible(page)
    upload(page, "Questionnaire file", "breckland.yaml", questionnaire(broken=True), "text/yaml")
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(re.compile(r"breckland\.yaml:\d+"))
    assert_accessible(page)
    upload(page, "Questionnaire file", "breckland.yaml", questionnaire(), "text/yaml")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Every question type")
    assert_accessible(page)
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("breckland-s11 version 1")
    assert_accessible(page)

    # The first cycle, its agencies from the directory, and the invitations.
    page.get_by_role("link", name="Round").click()
    assert_accessible(page)
    page.get_by_role("button", name="Set up a cycle").click()
    assert_accessible(page)
    opens, deadline = date.today(), date.today() + timedelta(days=56)
    type_into(page, "Name", "Section 11 2027")
    type_into(page, "Short name for links", "bscp-2027")
    questionnaire_box = page.get_by_label("Questionnaire", exact=True)
    questionnaire_box.select_option(label="Every question type (version 1)")
    for prefix, day in (("opens", opens), ("deadline", deadline)):
        page.locator(f"#{prefix}-day").fill(str(day.day))
        page.locator(f"#{prefix}-month").fill(str(day.month))
        page.locator(f"#{prefix}-year").fill(str(day.year))
    page.get_by_role("button", name="Set up the cycle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Section 11 2027")
    assert_accessible(page)
    page.get_by_role("button", name="Take agencies from the directory").click()
    assert_accessible(page)
    page.get_by_label("All 3 agencies in the directory").check()
    page.get_by_role("button", name="Open their returns").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("3 returns opened")
    page.get_by_role("button", name="Invite agency leads not yet invited").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invitations to the leads of")
    assert_accessible(page)

    # The agency lead accepts and saves an answer.
    follow_link(page, mailbox, LEAD, "/join/")
    page.get_by_role("button", name="Accept the invitation").click()
    page.get_by_role("link", name="Returns").click()
    assert_accessible(page)
    page.get_by_role("link", name="Breckland Police: Section 11 2027").click()
    assert_accessible(page)
    page.locator(".govuk-task-list__link").first.click()
    section = page.url
    page.locator("#q-narrative").focus()
    page.keyboard.type("Our first answer, typed on day zero.")
    page.get_by_role("button", name="Save and continue").focus()
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(section)
    page.goto(section)
    expect(page.locator("#q-narrative")).to_have_value("Our first answer, typed on day zero.")
    assert_accessible(page)


def test_setting_up_works_with_javascript_turned_off(
    browser: Browser, empty_site: str, smtp_server
):
    mailbox = smtp_server[0]
    context = browser.new_context(base_url=empty_site, java_script_enabled=False)
    page = context.new_page()
    page.goto(link_to(mailbox, ADMIN, "/sign-in/email/"))
    page.get_by_role("button", name="Continue to s11").click()
    page.goto("/admin/partnerships/new")
    page.get_by_label("Name", exact=True).fill("Breckland Partnership")
    page.get_by_label("Short name").fill("BP")
    page.get_by_label("Web-address name").fill("breckland")
    page.get_by_label("Brand colour").fill("#1d4f91")
    page.get_by_role("button", name="Set up the partnership").click()
    page.get_by_label("Name", exact=True).fill("Cora Ordinator")
    page.get_by_label("Email address").fill(COORDINATOR)
    earlier = len(mailbox.to(COORDINATOR))  # the other test's invitation, already used
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Invitation sent")

    context.clear_cookies()
    page.goto(link_to(mailbox, COORDINATOR, "/join/", after=earlier))
    page.get_by_role("button", name="Accept the invitation").click()
    page.goto("/agencies/new")
    page.get_by_label("Agency", exact=True).fill("Breckland Police")
    page.get_by_label("Sector").select_option("police")
    page.get_by_label("Safeguarding lead's name").fill("Pat Lead")
    page.get_by_label("Safeguarding lead's email").fill(LEAD)
    page.get_by_role("button", name="Add the agency and invite its lead").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Breckland Police")
    page.goto("/questionnaires/new")
    upload(page, "Questionnaire file", "breckland.yaml", questionnaire(), "text/yaml")
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is published")
    page.goto("/")
    tasks = page.locator(".govuk-task-list")
    expect(tasks).to_contain_text("Add your agencies")
    expect(tasks.locator(".govuk-task-list__status").nth(0)).to_have_text("Done")
    expect(tasks.locator(".govuk-task-list__status").nth(2)).to_have_text("Done")
    context.close()
