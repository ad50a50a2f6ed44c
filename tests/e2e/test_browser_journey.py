"""The main journey in a real browser (headless Chromium driven by Playwright):
register, log in, subscribe, pay on the emulator's checkout page, read premium content.

Skipped without Chromium (tests/e2e/chromium.py); CI requires it.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.chromium import CHROMIUM, CHROMIUM_ARGS, browser_or_skip
from tests.e2e.stripe_stack import StripeStack, stripe_stack
from tests.e2e.support import OutboxMailbox
from tests.support.mail import path_of


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StripeStack]:
    browser_or_skip()
    with stripe_stack(tmp_path, real_hasher=True) as stack:
        yield stack


@pytest.fixture
def page(tmp_path: Path) -> Iterator[object]:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        yield page
        browser.close()


def test_a_person_subscribes_in_a_browser_and_reads_premium_content(
    stack: StripeStack, page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    shots = Path(os.environ.get("BROWSER_SCREENSHOTS", tmp_path))
    base = stack.server.url

    page.goto(f"{base}/register")
    page.fill("input[name=email]", "browser@example.com")
    page.fill("input[name=password]", "a browser passphrase")
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    link = OutboxMailbox(stack.server.container).link("browser@example.com", "/verify-email/")
    page.goto(base + path_of(link))
    expect(page.get_by_text("browser@example.com is verified")).to_be_visible()
    expect(page.locator("input[name=email]")).to_have_value("browser@example.com")
    page.fill("input[name=password]", "a browser passphrase")
    page.click("main button[type=submit]")
    expect(page.get_by_text("Signed in as browser@example.com")).to_be_visible()

    page.goto(f"{base}/premium")
    expect(page.get_by_role("heading", name="Subscribers only")).to_be_visible()
    page.screenshot(path=str(shots / "1-subscribe-offer.png"))
    page.get_by_role("button", name="Subscribe").click()

    page.wait_for_url(f"{stack.emulator.url}/checkout/**")
    page.fill("input[name=card_number]", "4000 0000 0000 0002")
    page.fill("input[name=card_expiry]", "12 / 34")
    page.fill("input[name=card_cvc]", "123")
    page.locator("form button[type=submit]").click()
    expect(page.get_by_text("Your card was declined.")).to_be_visible()
    page.screenshot(path=str(shots / "2-declined.png"))

    page.fill("input[name=card_number]", "4242 4242 4242 4242")
    page.fill("input[name=card_expiry]", "12 / 34")
    page.fill("input[name=card_cvc]", "123")
    page.locator("form button[type=submit]").click()

    page.wait_for_url(f"{base}/success?session_id=*")
    expect(page.get_by_role("heading", name="Thank you for subscribing")).to_be_visible()
    page.screenshot(path=str(shots / "3-success.png"))

    page.get_by_role("link", name="Read premium content").click()
    expect(page.get_by_role("heading", name="Premium content")).to_be_visible()
    page.goto(f"{base}/account")
    expect(page.locator("dd.status")).to_have_text("Active")
    page.screenshot(path=str(shots / "4-account.png"))
