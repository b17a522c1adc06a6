"""Both ways of signing in, in Chromium: a link by email (real SMTP) and an organisation's
account (a real OpenID Connect provider), starting from a coordinator's invitation."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import assert_accessible, sign_in_as


def test_a_person_without_an_identity_provider_signs_in_with_a_link_sent_by_email(
    page: Page, mailbox
):
    page.goto("/sign-in")
    assert_accessible(page)
    address = "coordinator@nscp.example.org"
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page)

    link = mailbox.link_in_last_to(address, "/sign-in/email/")
    page.goto(link)
    assert_accessible(page)
    page.get_by_role("button", name="Continue to s11").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Section 11 work")
    expect(page.locator("main")).to_contain_text(f"({address})")


def test_an_invited_person_signs_in_with_their_organisations_account(
    page: Page, browser: Browser, base_url: str, mailbox
):
    sign_in_as(page, "Priya Shah")
    page.get_by_role("link", name="People").click()
    assert_accessible(page)
    page.get_by_role("button", name="Invite someone").click()
    assert_accessible(page)
    page.get_by_label("Their name").fill("Alice Example")
    page.get_by_label("Their email address").fill("alice@trust.example.org")
    page.get_by_label("Panel member").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("invitation has been sent")
    expect(page.locator("main")).to_contain_text("alice@trust.example.org")
    assert mailbox.wait_for("alice@trust.example.org")

    alice = browser.new_context(base_url=base_url).new_page()
    alice.goto("/sign-in")
    alice.get_by_role("link", name="Sign in with your organisation's account").click()
    alice.locator("input[name=sub]").fill("alice-sub")  # the provider's own sign-in form
    alice.locator("button[type=submit]").first.click()
    expect(alice.get_by_role("heading", level=1)).to_have_text("Your Section 11 work")
    expect(alice.locator("main")).to_contain_text("Panel member")
    assert_accessible(alice)
    alice.context.close()
