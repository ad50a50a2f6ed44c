"""The journeys a person makes, in a real browser (headless Chromium driven by
Playwright), against the app selling the repository's catalog through the Stripe
emulator, whose clock the test moves:

- a visitor reads a free note, finds a paid one locked, and sees the prices;
- a person registers, picks a plan, is declined with 4000 0000 0000 0002, pays with
  4242, reads a note the plan opens; the trial ends and is charged; they upgrade (the
  preview says what is charged), cancel at the period's end and resume it from the
  account page, and log out;
- a subscriber whose renewal failed sees it on the account page.

Every page on the way passes axe-core (vendored in tests/e2e/vendor, evaluated in the
page) with no serious or critical violation, at 375 and 1280 px wide, and fits a 375 px
screen without sideways scrolling. `SCREENSHOTS=DIR` (`make screenshots`: docs/screenshots)
keeps the screenshots the README shows; a normal run writes none.

Skipped without Chromium (tests/e2e/chromium.py); CI requires it.
"""

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.chromium import CHROMIUM, CHROMIUM_ARGS, browser_or_skip
from tests.e2e.stripe_stack import StripeStack, stripe_stack
from tests.e2e.support import Browser
from tests.e2e.test_plan_changes import PAYS_ONCE, subscribe
from tests.e2e.test_plans_and_trials import REPO_CATALOG, EmulatorClock, advance

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_VERSION = "4.14.1"
WIDTHS = (1280, 375)
DAY = 24 * 3600
EMAIL = "journey@example.com"
PASSWORD = "a journey passphrase"
FREE_NOTE = "/notes/capture-first"
BASIC_NOTE = "/notes/the-weekly-review"  # requires notes.basic
PRO_NOTE = "/notes/from-notes-to-draft"  # requires notes.pro
# A long date in words, in the browser's region (Chromium asks for en-US: "January 8, 2027").
DATE = r"(?:\d{1,2} [A-Z][a-z]+ \d{4}|[A-Z][a-z]+ \d{1,2}, \d{4})"
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
}"""


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StripeStack]:
    browser_or_skip()
    with stripe_stack(tmp_path, catalog_file=REPO_CATALOG) as stack:
        stack.server.container.clock.override(EmulatorClock(stack.emulator))
        yield stack


@pytest.fixture
def chromium() -> Iterator[Any]:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Journey:
    """One person's tab: audits every page it is shown, keeps the screenshots asked for,
    and records what the browser's console reports (a CSP refusal among it)."""

    def __init__(self, chromium: Any, stack: StripeStack) -> None:
        self.context = chromium.new_context(viewport={"width": WIDTHS[0], "height": 900})
        self.page = self.context.new_page()
        self.stack = stack
        self.base = stack.server.url
        self.audited: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("console", self._console)
        shots = os.environ.get("SCREENSHOTS")
        self.shots = Path(shots) if shots else None
        if self.shots:
            self.shots.mkdir(parents=True, exist_ok=True)

    def _console(self, message: Any) -> None:
        # A locked note (403) and a declined card (402) answer with an error status on
        # purpose; Chromium reports each as a failed resource. Anything else is a problem.
        text = message.text
        if message.type == "error" and not re.search(r"status of (403|402)", text):
            self.console_errors.append(f"{text} ({message.location.get('url', '')})")

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.audit(path)

    def audit(self, label: str) -> None:
        """axe-core with no serious or critical violation at each width; nothing wider
        than a 375 px screen. The page is left at the first width."""
        page = self.page
        page.wait_for_load_state("load")
        for width in (*WIDTHS[1:], WIDTHS[0]):
            page.set_viewport_size({"width": width, "height": 900})
            if width == 375:
                fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
                assert fits, f"{label} scrolls sideways at 375 px"
            if not page.evaluate("typeof window.axe === 'object'"):
                page.evaluate(AXE.read_text(encoding="utf-8"))  # not subject to the CSP
            found = page.evaluate(RUN_AXE)
            assert found == [], f"{label} at {width} px:\n{json.dumps(found, indent=1)}"
        self.audited.append(label)

    def shot(self, name: str) -> None:
        if self.shots is not None:
            self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def text(self) -> str:
        return " ".join(self.page.locator("main").inner_text().split())

    def close(self) -> None:
        assert self.console_errors == [], self.console_errors
        self.context.close()


def test_the_vendored_axe_is_the_version_named() -> None:
    assert AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{AXE_VERSION}")


def test_a_visitor_reads_a_free_note_finds_a_paid_one_locked_and_sees_the_prices(
    stack: StripeStack, chromium: Any
) -> None:
    from playwright.sync_api import expect

    journey = Journey(chromium, stack)
    page = journey.page
    journey.go("/")
    journey.shot("landing")

    page.get_by_role("link", name="Capture first, sort later").first.click()
    page.wait_for_url(f"**{FREE_NOTE}")
    journey.audit(FREE_NOTE)
    expect(page.locator("article.note")).not_to_have_class(re.compile("locked"))

    journey.go(PRO_NOTE)
    expect(page.get_by_text("The rest of this note is included in")).to_be_visible()
    journey.shot("note-locked")

    page.get_by_role("link", name="See plans and prices").click()
    page.wait_for_url("**/pricing")
    journey.audit("/pricing")
    expect(page.get_by_text("$12.00 / month").first).to_be_visible()
    journey.shot("pricing")
    journey.close()


def verify_email(journey: Journey) -> None:
    """The email issue's hook: once accounts verify their address, open the link the
    local mail server received here. Until then a new account needs no verification."""


def test_a_person_subscribes_upgrades_cancels_and_resumes_then_logs_out(
    stack: StripeStack, chromium: Any
) -> None:
    from playwright.sync_api import expect

    journey = Journey(chromium, stack)
    page = journey.page

    journey.go("/register")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Registration successful")).to_be_visible()
    journey.audit("/login after registering")
    verify_email(journey)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(f"Signed in as {EMAIL}")).to_be_visible()

    # Pick a plan; a declined card first, then one that pays.
    journey.go("/pricing")
    page.get_by_role("button", name="Choose Basic monthly").click()
    page.wait_for_url(f"{stack.emulator.url}/checkout/**")
    journey.audit("checkout")
    journey.shot("checkout")
    pay(page, "4000 0000 0000 0002")
    expect(page.get_by_text("Your card was declined.")).to_be_visible()
    journey.audit("checkout, declined")
    pay(page, "4242 4242 4242 4242")
    page.wait_for_url(f"{journey.base}/success?session_id=*")
    expect(page.get_by_role("heading", name="Thank you for subscribing")).to_be_visible()
    journey.audit("/success")
    assert stack.emulator.delivery.wait_idle(10)

    journey.go(BASIC_NOTE)  # locked to visitors, open to Basic
    expect(page.locator("article.note.locked")).to_have_count(0)
    expect(page.get_by_role("heading", name="The weekly review")).to_be_visible()
    journey.shot("note-read")

    # The trial ends and the card is charged.
    advance(stack, 8 * DAY)
    journey.go("/account")
    assert re.search(rf"Basic \(\$5\.00 / month\) Renews on {DATE}", journey.text())
    expect(page.get_by_text("Visa ending in 4242")).to_be_visible()
    expect(page.locator("table.invoices tbody tr")).to_have_count(2)
    journey.shot("account-active")

    # Upgrade, with what it charges said first.
    page.get_by_role("link", name="Upgrade to Pro (monthly)").click()
    journey.audit("plan change preview")
    due = re.search(r"You pay (\$\d+\.\d\d) now", journey.text())
    assert due, journey.text()
    page.get_by_role("button", name=f"Confirm and pay {due.group(1)}").click()
    expect(page.get_by_text("You are now on Pro (monthly).")).to_be_visible()
    journey.audit("/account after the upgrade")
    assert "Pro ($12.00 / month)" in journey.text()
    journey.go(PRO_NOTE)
    expect(page.locator("article.note.locked")).to_have_count(0)

    # Cancel at the period's end, after a confirmation; then resume.
    journey.go("/account")
    page.get_by_role("link", name="Cancel subscription").click()
    expect(page.get_by_role("heading", name="Cancel your subscription?")).to_be_visible()
    journey.audit("cancel confirmation")
    page.get_by_role("button", name="Cancel subscription").click()
    expect(page.get_by_text("Your subscription is canceled")).to_be_visible()
    assert re.search(rf"Canceling Pro \(\$12\.00 / month\) Cancels on {DATE}", journey.text())
    journey.audit("/account, canceling")
    journey.shot("account-canceling")
    page.get_by_role("button", name="Resume subscription").click()
    expect(page.get_by_text("Your subscription goes on")).to_be_visible()
    assert re.search(rf"Renews on {DATE}", journey.text())
    journey.audit("/account, resumed")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    journey.audit("logged out")
    assert len(journey.audited) >= 15
    journey.close()


def test_a_subscriber_whose_renewal_failed_is_told_until_when_and_how_to_fix_it(
    stack: StripeStack, chromium: Any
) -> None:
    from playwright.sync_api import expect

    subscriber = Browser(stack.server.url).sign_up(EMAIL, PASSWORD)
    subscribe(stack, subscriber, "pro_monthly", PAYS_ONCE)
    advance(stack, 15 * DAY)  # the trial ends; its charge is declined

    journey = Journey(chromium, stack)
    page = journey.page
    journey.go("/login?next=/account")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account")
    journey.audit("/account, payment failed")
    assert re.search(rf"Payment failed: access until {DATE}", journey.text())
    expect(page.get_by_role("button", name="Fix card")).to_be_visible()
    journey.shot("account-past-due")
    journey.close()


def pay(page: Any, card: str) -> None:
    """Fill in the emulator's checkout page and submit it."""
    page.fill("input[name=card_number]", card)
    page.fill("input[name=card_expiry]", "12 / 34")
    page.fill("input[name=card_cvc]", "123")
    page.locator("form button[type=submit]").click()
