"""Plans through the emulator and the real Stripe adapter: a signed-out visitor picks Pro
yearly on /pricing, registers, logs in and lands in Checkout; the trial shows on the
account page and is charged at its end; a Basic trial without a card ends canceled."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from application.ports import Clock, EventStatus
from stripe_emulator import Emulator
from tests.e2e.stripe_stack import StripeStack, pay, stripe_stack
from tests.e2e.support import Browser

REPO_CATALOG = Path(__file__).resolve().parents[2] / "catalog.toml"
DAY = 24 * 3600
PASSWORD = "a fine passphrase"
PRO_NOTE = "/notes/from-notes-to-draft"  # requires notes.pro


class EmulatorClock(Clock):
    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._emulator.now(), UTC)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StripeStack]:
    with stripe_stack(tmp_path, catalog_file=REPO_CATALOG) as stack:
        stack.server.container.clock.override(EmulatorClock(stack.emulator))
        yield stack


def advance(stack: StripeStack, seconds: float) -> None:
    stack.emulator.advance(seconds)
    assert stack.emulator.delivery.wait_idle(10)


def stripe_get(stack: StripeStack, path: str) -> dict[str, object]:
    response = requests.get(
        f"{stack.emulator.url}/v1/{path}",
        headers={"Authorization": "Bearer sk_test_e2e_emulator"},
        timeout=10,
    )
    response.raise_for_status()
    result: dict[str, object] = response.json()
    return result


def the_subscription(stack: StripeStack) -> dict[str, object]:
    listed = stripe_get(stack, "subscriptions?status=all")["data"]
    assert isinstance(listed, list) and len(listed) == 1
    subscription: dict[str, object] = listed[0]
    return subscription


def test_the_pricing_page_shows_the_providers_prices_savings_and_trials(
    stack: StripeStack,
) -> None:
    page = Browser(stack.server.url).get("/pricing")
    assert page.status_code == 200
    text = page.text
    for shown in ("$5.00 / month", "$50.00 / year", "$12.00 / month", "$120.00 / year"):
        assert shown in text
    assert "Save $24.00 a year against paying monthly" in text  # Pro: 12 x 12 - 120
    assert "Save $10.00 a year" in text  # Basic: 12 x 5 - 50
    assert "7-day free trial, no card needed" in text
    assert "14-day free trial" in text
    assert "The Pro notes" in text
    assert 'href="/pricing"' in text  # in the nav


def test_pro_yearly_from_pricing_signed_out_through_register_to_a_charged_trial(
    stack: StripeStack,
) -> None:
    browser = Browser(stack.server.url)
    pricing = browser.get("/pricing").text
    [choose] = re.findall(r'href="([^"]+)">Choose Pro yearly<', pricing)
    choose = choose.replace("&amp;", "&")
    assert urlsplit(choose).path == "/register"

    browser.get(choose)
    registered = browser.submit(
        urlsplit(choose).path + "?" + urlsplit(choose).query,
        {"email": "pro@example.com", "password": PASSWORD},
    )
    assert registered.status_code == 303
    login = registered.headers["Location"]
    browser.get(login)
    logged_in = browser.submit(login, {"email": "pro@example.com", "password": PASSWORD})
    assert logged_in.status_code == 303
    assert logged_in.headers["Location"] == "/pricing/pro_yearly"

    confirm = browser.get("/pricing/pro_yearly")
    assert "$120.00 / year" in confirm.text
    assert "14-day free trial" in confirm.text
    started = browser.submit("/create-checkout-session", {"price": "pro_yearly"})
    assert started.status_code == 303
    paid = pay(browser, started.headers["Location"], "4242 4242 4242 4242")
    assert paid.status_code == 303, paid.text[:300]
    assert browser.get(paid.headers["Location"]).status_code == 200
    assert stack.emulator.delivery.wait_idle(10)

    subscription = the_subscription(stack)
    assert subscription["status"] == "trialing"
    account = browser.get("/account").text
    assert "Pro ($120.00 / year)" in account
    assert "Trial ends on" in account
    assert "your card is charged $120.00 / year" in account
    assert browser.get(PRO_NOTE).status_code == 200  # the trial opens Pro's notes

    trial_end = subscription["trial_end"]
    assert isinstance(trial_end, int)
    advance(stack, trial_end - stack.emulator.now() - 2 * DAY)  # past the 3-day notice
    with stack.server.container.uow() as uow:
        notices = [
            record
            for record in uow.events.list()
            if record.provider_type == "customer.subscription.trial_will_end"
        ]
    assert [n.status for n in notices] == [EventStatus.PROCESSED]
    assert the_subscription(stack)["status"] == "trialing"  # nothing changed

    advance(stack, trial_end - stack.emulator.now() + 3600)
    assert the_subscription(stack)["status"] == "active"
    invoices = stripe_get(stack, "invoices")["data"]
    assert isinstance(invoices, list)
    assert sorted(i["amount_paid"] for i in invoices) == [0, 12000]  # free trial, then Pro
    account = browser.get("/account").text
    assert "Active" in account and "Renews on" in account
    assert "Trial ends" not in account
    assert browser.get(PRO_NOTE).status_code == 200


def test_a_basic_trial_without_a_card_ends_canceled_and_the_next_has_no_trial(
    stack: StripeStack,
) -> None:
    browser = Browser(stack.server.url).sign_up("basic@example.com", PASSWORD)
    browser.get("/pricing")
    started = browser.submit("/create-checkout-session", {"price": "basic_monthly"})
    assert started.status_code == 303
    checkout_page = browser.http.get(started.headers["Location"], timeout=10).text
    assert "Free trial" in checkout_page and "No card needed" in checkout_page
    no_card = pay(browser, started.headers["Location"], "")
    assert no_card.status_code == 303, no_card.text[:300]
    browser.get(no_card.headers["Location"])
    assert stack.emulator.delivery.wait_idle(10)

    account = browser.get("/account").text
    assert "Basic ($5.00 / month)" in account
    assert "Trial ends on" in account
    assert "the subscription ends unless you add a card" in account
    assert browser.get("/notes/the-weekly-review").status_code == 200  # notes.basic
    assert browser.get(PRO_NOTE).status_code == 403  # Basic does not include Pro

    trial_end = the_subscription(stack)["trial_end"]
    assert isinstance(trial_end, int)
    advance(stack, trial_end - stack.emulator.now() + 60)
    assert the_subscription(stack)["status"] == "canceled"
    assert "Ended on" in browser.get("/account").text
    assert browser.get("/notes/the-weekly-review").status_code == 403

    again = browser.get("/pricing")
    assert again.status_code == 200
    restarted = browser.submit("/create-checkout-session", {"price": "basic_monthly"})
    # One trial per user: a returning customer pays from day one.
    page = browser.http.get(restarted.headers["Location"], timeout=10).text
    assert "$5.00" in page
    assert "trial" not in page.lower()


def test_an_unknown_price_goes_back_to_the_pricing_page(stack: StripeStack) -> None:
    browser = Browser(stack.server.url).sign_up("odd@example.com", PASSWORD)
    locked = browser.get(PRO_NOTE)
    assert locked.status_code == 403
    assert "See plans and prices" in locked.text  # the locked note offers the pricing page
    browser.get("/pricing")
    refused = browser.submit("/create-checkout-session", {"price": "gold_monthly"})
    assert refused.status_code == 303
    assert refused.headers["Location"] == "/pricing"
    assert browser.get("/pricing/gold_monthly").status_code == 404
