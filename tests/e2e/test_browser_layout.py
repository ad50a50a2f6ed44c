"""The pages in a real browser at a phone's width (375 px) and a laptop's (1280 px):
nothing wider than the screen, the nav's items each on one line, no request refused (the
favicon included), nothing the CSP blocks, and the show-password toggle working.

The app sells the repository's catalog through the Stripe emulator; a visitor's pages
are looked at first, then a subscriber's (Pro, paid with 4242 in the emulator's
checkout). `BROWSER_SCREENSHOTS=DIR` keeps a screenshot of every page looked at.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.chromium import CHROMIUM, CHROMIUM_ARGS, browser_or_skip
from tests.e2e.stripe_stack import StripeStack, stripe_stack

REPO_CATALOG = Path(__file__).resolve().parents[2] / "catalog.toml"
EMAIL = "layout.reader@example.com"
PASSWORD = "a layout passphrase"
FREE_NOTE = "/notes/capture-first"
PRO_NOTE = "/notes/from-notes-to-draft"  # requires notes.pro
VISITOR_PAGES = ("/", "/pricing", "/notes", FREE_NOTE, PRO_NOTE, "/login", "/register")
SUBSCRIBER_PAGES = ("/", "/pricing", "/notes", PRO_NOTE, "/account")
WIDTHS = (375, 1280)

# Every nav item whose text spans more than one line (a wrapped "Log in").
WRAPPED_NAV_ITEMS = """() => Array.from(
  document.querySelectorAll('.site-nav .nav-link, .site-nav .badge')
).filter((el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = Array.from(range.getClientRects()).map((r) => Math.round(r.top));
  return tops.length > 0 && Math.max(...tops) - Math.min(...tops) > 4;
}).map((el) => el.textContent.trim())"""
# Elements whose right edge lies past the window (what makes a page scroll sideways).
WIDER_THAN_SCREEN = """() => Array.from(document.querySelectorAll('body *'))
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
  .slice(0, 5).map((el) => el.tagName + '.' + el.className)"""


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StripeStack]:
    browser_or_skip()
    with stripe_stack(tmp_path, catalog_file=REPO_CATALOG) as stack:
        yield stack


@pytest.fixture
def chromium() -> Iterator[Any]:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watched:
    """A page whose failed sub-requests and console errors (CSP refusals among them) are
    recorded."""

    def __init__(self, page: Any, width: int, shots: Path) -> None:
        self.page = page
        self.width = width
        self.shots = shots
        self.problems: list[str] = []
        self.who = "visitor"
        page.on("response", self._response)
        page.on("console", self._console)

    def _response(self, response: Any) -> None:
        # A locked note's page answers 403 by design; nothing else may fail.
        locked_page = response.status == 403 and response.request.resource_type == "document"
        if response.status >= 400 and not locked_page:
            self.problems.append(f"{response.status} {response.url}")

    def _console(self, message: Any) -> None:
        # Also where a failed favicon request shows (it is no page's response).
        where = message.location.get("url", "")
        if message.type == "error" and not (where.endswith(PRO_NOTE) and "403" in message.text):
            self.problems.append(f"console: {message.text} ({where})")

    def look_at(self, url: str, path: str) -> None:
        self.page.goto(url + path)
        self.check(path)

    def check(self, label: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, (self.width, label, page.evaluate(WIDER_THAN_SCREEN))
        assert page.evaluate(WRAPPED_NAV_ITEMS) == [], (self.width, label)
        assert page.title().endswith("Premium Notes") or page.title().startswith("Premium Notes")
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "landing"
        shot = self.shots / f"{self.width}-{self.who}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)


def sign_in(watched: Watched, base: str, *, register: bool) -> None:
    from playwright.sync_api import expect

    page = watched.page
    if register:
        page.goto(f"{base}/register")
        page.fill("input[name=email]", EMAIL)
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_text("Registration successful")).to_be_visible()
        expect(page.locator("input[name=email]")).to_have_value(EMAIL)  # kept for the log-in
    else:
        page.goto(f"{base}/login")
        page.fill("input[name=email]", EMAIL)
    password = page.locator("input[name=password]")
    password.fill(PASSWORD)
    page.get_by_role("button", name="Show password").click()
    expect(password).to_have_attribute("type", "text")
    watched.check("login-password-shown")
    page.get_by_role("button", name="Hide password").click()
    expect(password).to_have_attribute("type", "password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(f"Signed in as {EMAIL}")).to_be_visible()


def subscribe_to_pro(watched: Watched, stack: StripeStack) -> None:
    from playwright.sync_api import expect

    page = watched.page
    page.goto(f"{stack.server.url}/pricing")
    page.get_by_role("button", name="Choose Pro yearly").click()
    page.wait_for_url(f"{stack.emulator.url}/checkout/**")
    page.fill("input[name=card_number]", "4242 4242 4242 4242")
    page.fill("input[name=card_expiry]", "12 / 34")
    page.fill("input[name=card_cvc]", "123")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{stack.server.url}/success?session_id=*")
    expect(page.get_by_role("heading", name="Thank you for subscribing")).to_be_visible()
    assert stack.emulator.delivery.wait_idle(10)


def test_every_page_fits_a_phone_and_a_laptop_screen(
    stack: StripeStack, chromium: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shots = Path(os.environ.get("BROWSER_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    base = stack.server.url
    for number, width in enumerate(WIDTHS):
        context = chromium.new_context(viewport={"width": width, "height": 900})
        watched = Watched(context.new_page(), width, shots)
        for path in VISITOR_PAGES:
            watched.look_at(base, path)

        sign_in(watched, base, register=number == 0)
        watched.who = "subscriber"
        if number == 0:
            subscribe_to_pro(watched, stack)
        for path in SUBSCRIBER_PAGES:
            watched.look_at(base, path)
        page = watched.page
        expect(page.locator(".site-nav .plan-badge")).to_have_text("Pro")
        expect(page.locator(".site-nav [aria-current=page]")).to_have_text("Account")
        expect(page.locator(".panel .plan")).to_contain_text("Pro")

        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_text("You are logged out.")).to_be_visible()
        assert watched.problems == [], (width, watched.problems)
        context.close()
