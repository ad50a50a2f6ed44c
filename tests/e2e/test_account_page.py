"""The account page end to end, through the emulator and the real Stripe adapter over
HTTP: plan, price and status in words, the card on file and the invoices from Stripe,
one primary button in every state, cancelling at the period's end (after a confirmation)
and resuming, a failed payment, a subscription that has ended, and Stripe out of reach."""

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from adapters.stripe import StripePaymentGateway, StripeSettings
from tests.e2e.stripe_stack import StripeStack, stripe_stack
from tests.e2e.support import Browser
from tests.e2e.test_plan_changes import PAYS_ONCE, period_end, subscribe
from tests.e2e.test_plans_and_trials import (
    PASSWORD,
    PRO_NOTE,
    REPO_CATALOG,
    EmulatorClock,
    advance,
    the_subscription,
)

CARD = "4242 4242 4242 4242"
DAY = 24 * 3600
DATE = r"\d{1,2} [A-Z][a-z]+ \d{4}"  # "30 December 2026"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StripeStack]:
    with stripe_stack(tmp_path, catalog_file=REPO_CATALOG) as stack:
        stack.server.container.clock.override(EmulatorClock(stack.emulator))
        yield stack


class _Primary(HTMLParser):
    """The texts of the primary buttons inside <main> (a button or a.button that is not
    secondary, danger or a password toggle)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_main = False
        self.current: list[str] | None = None
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "main":
            self.in_main = True
        primary = (tag == "button" or (tag == "a" and "button" in classes)) and not (
            classes & {"secondary", "danger", "reveal", "nav-link"}
        )
        if self.in_main and primary:
            self.current = []

    def handle_data(self, data: str) -> None:
        if self.current is not None:
            self.current.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.in_main = False
        if tag in ("button", "a") and self.current is not None:
            self.found.append(" ".join("".join(self.current).split()))
            self.current = None


def primary_buttons(html: str) -> list[str]:
    parser = _Primary()
    parser.feed(html)
    return parser.found


def text_of(html: str) -> str:
    """The page's words, tags dropped, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def invoice_rows(html: str) -> list[tuple[str, str, str]]:
    """(amount, status, link) of each invoice shown, checking its date is in words."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert body is not None, "no invoices shown"
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S):
        words = text_of(row)
        found = re.fullmatch(rf"({DATE}) (\S+) (.+?) (View|Pay) the invoice of \1", words)
        assert found, words
        rows.append((found.group(2), found.group(3), found.group(4)))
    return rows


def subscriber(stack: StripeStack, email: str, card: str = CARD) -> Browser:
    """Pro monthly, its 14-day trial over: the first month charged to `card`."""
    browser = Browser(stack.server.url).sign_up(email, PASSWORD)
    subscribe(stack, browser, "pro_monthly", card)
    advance(stack, 15 * DAY)
    return browser


def test_an_active_subscription_shows_plan_renewal_card_and_invoices(
    stack: StripeStack,
) -> None:
    browser = subscriber(stack, "active@example.com")
    html = browser.get("/account").text
    page = text_of(html)

    assert "Pro ($12.00 / month)" in page
    assert re.search(rf"Renews on {DATE}", page), page
    assert "Visa ending in 4242" in page and "Expires December 2034" in page
    assert invoice_rows(html) == [
        ("$12.00", "Paid", "View"),  # the first month, charged when the trial ended
        ("$0.00", "Paid", "View"),  # the trial's free invoice
    ]
    links = re.findall(r'<a href="([^"]+)">View', html)
    assert len(links) == 2 and all(link.startswith(f"{stack.emulator.url}/i/") for link in links)
    assert ">paid<" in browser.http.get(links[0], timeout=10).text  # Stripe's hosted invoice
    assert primary_buttons(html) == ["Manage billing"]
    assert 'href="/account/cancel"' in html
    for raw in ("active", "trialing", "past_due", "canceled"):
        assert f">{raw}<" not in html and f" {raw} " not in page
    assert not re.search(r"\d{4}-\d{2}-\d{2}", page)


def test_cancelling_asks_first_then_keeps_access_until_the_period_ends_and_resumes(
    stack: StripeStack,
) -> None:
    browser = subscriber(stack, "cancel@example.com")
    end = period_end(stack)

    confirm = browser.get("/account/cancel")
    assert confirm.status_code == 200
    words = text_of(confirm.text)
    assert "Cancel your subscription?" in words
    assert re.search(rf"You keep Pro until {DATE}\. Then the subscription ends", words), words
    assert primary_buttons(confirm.text) == []  # Cancel is a danger button, Keep a link
    assert the_subscription(stack)["cancel_at_period_end"] is False  # asking changes nothing

    forged = browser.http.post(f"{stack.server.url}/account/cancel", timeout=10)
    assert forged.status_code == 400  # no CSRF token
    assert the_subscription(stack)["cancel_at_period_end"] is False

    done = browser.submit("/account/cancel")
    assert done.status_code == 303 and done.headers["Location"] == "/account"
    assert the_subscription(stack)["cancel_at_period_end"] is True
    html = browser.get("/account").text  # before any webhook: what Stripe answered is stored
    words = text_of(html)
    assert re.search(rf"Your subscription is canceled: it ends on {DATE}", words), words
    assert re.search(rf"Canceling Pro \(\$12\.00 / month\) Cancels on {DATE}", words), words
    assert primary_buttons(html) == ["Resume subscription"]
    assert 'href="/account/cancel"' not in html
    assert "Change plan" not in words  # resume first
    assert browser.get(PRO_NOTE).status_code == 200  # access until the period ends
    again = browser.get("/account/cancel")
    assert "already set to cancel" in text_of(again.text)

    resumed = browser.submit("/account/resume")
    assert resumed.status_code == 303
    assert the_subscription(stack)["cancel_at_period_end"] is False
    html = browser.get("/account").text
    assert re.search(rf"Your subscription goes on: it renews on {DATE}", text_of(html))
    assert primary_buttons(html) == ["Manage billing"]
    assert stack.emulator.delivery.wait_idle(10)

    browser.get("/account")
    browser.submit("/account/cancel")
    advance(stack, end - stack.emulator.now() + 60)  # Stripe ends it at the period's end
    html = browser.get("/account").text
    words = text_of(html)
    assert re.search(rf"Ended Pro \(\$12\.00 / month\) Ended on {DATE}", words), words
    assert "Cancels on" not in words and "Access ends" not in words
    assert primary_buttons(html) == ["See plans and prices"]
    assert [status for _, status, _ in invoice_rows(html)] == ["Paid", "Paid"]
    assert 'href="/account/cancel"' not in html and "Resume" not in words
    refused = browser.submit("/account/resume")
    assert refused.status_code == 409
    assert "no subscription to resume" in text_of(refused.text)


def test_a_failed_renewal_says_until_when_access_lasts_and_offers_to_fix_the_card(
    stack: StripeStack,
) -> None:
    browser = subscriber(stack, "pastdue@example.com", PAYS_ONCE)  # the trial's end fails
    html = browser.get("/account").text
    words = text_of(html)

    assert the_subscription(stack)["status"] == "past_due"
    assert re.search(
        rf"Payment failed Pro \(\$12\.00 / month\) Payment failed: access until {DATE}", words
    ), words
    assert "Visa ending in 0341" in words
    assert invoice_rows(html)[0] == ("$12.00", "Payment failed", "Pay")
    assert primary_buttons(html) == ["Fix card"]
    assert 'href="/account/cancel"' in html  # one may still cancel


def test_a_trial_says_when_it_ends_and_can_be_cancelled_before_it_is_charged(
    stack: StripeStack,
) -> None:
    browser = Browser(stack.server.url).sign_up("trial@example.com", PASSWORD)
    subscribe(stack, browser, "basic_monthly", "")  # Basic's trial needs no card
    html = browser.get("/account").text
    words = text_of(html)
    assert re.search(rf"Trial Basic \(\$5\.00 / month\) Trial ends on {DATE}", words), words
    assert "No card on file." in words
    assert invoice_rows(html) == [("$0.00", "Paid", "View")]
    confirm = text_of(browser.get("/account/cancel").text)
    assert re.search(rf"Your free trial goes on until {DATE}\. Then the subscription ends", confirm)
    browser.submit("/account/cancel")
    assert re.search(rf"Canceling .* Cancels on {DATE}", text_of(browser.get("/account").text))


def test_without_a_subscription_nothing_can_be_cancelled(stack: StripeStack) -> None:
    browser = Browser(stack.server.url).sign_up("nobody@example.com", PASSWORD)
    html = browser.get("/account").text
    assert primary_buttons(html) == ["See plans and prices"]
    assert "Payment method" not in html and "Invoices" not in html  # no billing account yet
    asked = browser.get("/account/cancel")
    assert asked.url.endswith("/account")
    assert "You have no subscription to cancel." in text_of(asked.text)
    refused = browser.submit("/account/cancel")
    assert refused.status_code == 409
    assert "You have no subscription to cancel." in text_of(refused.text)


def test_the_page_shows_without_card_and_invoices_when_stripe_is_out_of_reach(
    stack: StripeStack,
) -> None:
    browser = subscriber(stack, "offline@example.com")
    unreachable = StripePaymentGateway(
        StripeSettings("sk_test_e2e_emulator", (), api_base="http://127.0.0.1:9", network_retries=0)
    )
    with stack.server.container.gateway.override(unreachable):
        html = browser.get("/account").text
    words = text_of(html)
    assert "Your card and invoices could not be loaded just now" in words
    assert "Pro ($12.00 / month)" in words and re.search(rf"Renews on {DATE}", words)
    assert "Visa ending" not in words and "<tbody>" not in html
    assert primary_buttons(html) == ["Manage billing"]
