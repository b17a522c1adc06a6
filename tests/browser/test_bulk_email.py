"""A coordinator reminds a filtered set of 200 returns in Chromium: the page answers at once,
and the emails' counts move on it, refreshed by HTMX, as the mail worker sends them."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, run_cli, serve, server_env, sign_in_as


@pytest.fixture(scope="module")
def base_url(
    tmp_path_factory: pytest.TempPathFactory, smtp_server, oidc_provider: str
) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("bulk-email-var")
    env, url = server_env(var_dir, smtp_server[1], oidc_provider)
    run_cli(env, "migrate")
    run_cli(env, "demo", "--returns", "242")  # the joint demo round's 42 and 200 schools
    yield from serve(var_dir, env, url)


def test_a_coordinator_reminds_200_schools_and_watches_every_email_go(page: Page, mailbox):
    sign_in_as(page, "Priya Shah")
    page.goto("/round/cycles/s11-2021?q=grown")
    expect(page.locator("#results-count")).to_contain_text("of 200 returns")
    page.get_by_role("link", name="remind the leads of those not submitted").click()
    started = time.monotonic()
    page.get_by_role("button", name=re.compile("Remind the leads of")).click()
    page.wait_for_url("**/round/emails/sends/*")
    assert time.monotonic() - started < 5  # at once, not after 200 emails (a shared machine)
    heading = page.get_by_role("heading", level=1).inner_text()
    waiting = int(re.fullmatch(r"Reminders to (\d+) leads", heading).group(1))
    assert waiting > 50
    assert_accessible(page)

    # The worker sends them; HTMX swaps the counts in without a reload.
    sent = page.locator('[data-count="sent"]')
    expect(sent).to_have_text(str(waiting), timeout=60_000)
    expect(page.locator('[data-count="queued"]')).to_have_text("0")
    expect(page.locator('[data-count="failed"]')).to_have_text("0")
    expect(page.locator("#counts caption")).to_have_text("All emails handed over")
    assert_accessible(page)
    reminded = [m for m in mailbox.messages if "grown.example.org" in m["To"]]
    assert len({m["To"] for m in reminded}) == len(reminded) == waiting
