"""Changing plan end to end, through the emulator and the real Stripe adapter over HTTP:
Pro yearly from /pricing with its trial, charged at the trial's end; a downgrade to
Basic at the period's end (Pro until then); an upgrade charged exactly what its preview
said; a promotion code typed at Checkout, shown on the account page and taken off the
invoice; a declined card that changes nothing; a change during a trial."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.stripe_stack import StripeStack, stripe_stack
from tests.e2e.support import Browser
from tests.e2e.test_plans_and_trials import (
    PASSWORD,
    PRO_NOTE,
    REPO_CATALOG,
    EmulatorClock,
    advance,
    stripe_get,
    the_subscription,
)

BASIC_NOTE = "/notes/the-weekly-review"  # requires notes.basic
CARD = "4242 4242 4242 4242"
PAYS_ONCE = "4000 0000 0000 0341"  # pays its first charge, declines the later ones


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StripeStack]:
    with stripe_stack(tmp_path, catalog_file=REPO_CATALOG) as stack:
        stack.server.container.clock.override(EmulatorClock(stack.emulator))
        yield stack


def subscribe(
    stack: StripeStack, browser: Browser, price: str, card: str, promotion_code: str = ""
) -> None:
    """From /pricing: choose `price`, pay on the checkout page (typing the code)."""
    browser.get("/pricing")
    started = browser.submit("/create-checkout-session", {"price": price})
    assert started.status_code == 303, started.text[:300]
    checkout = started.headers["Location"]
    assert browser.http.get(checkout, timeout=10).status_code == 200
    fields = {"email": "", "card_number": card, "card_expiry": "12 / 34", "card_cvc": "123"}
    if promotion_code:
        fields["promotion_code"] = promotion_code
    paid = browser.http.post(checkout, data=fields, allow_redirects=False, timeout=10)
    assert paid.status_code == 303, paid.text[:300]
    assert browser.get(paid.headers["Location"]).status_code == 200
    assert stack.emulator.delivery.wait_idle(10)


def period_end(stack: StripeStack) -> int:
    end = the_subscription(stack)["items"]["data"][0]["current_period_end"]  # type: ignore[index]
    assert isinstance(end, int)
    return end


def paid_invoices(stack: StripeStack) -> list[dict[str, Any]]:
    invoices = stripe_get(stack, "invoices?limit=100")["data"]
    assert isinstance(invoices, list)
    return [i for i in reversed(invoices) if i["status"] == "paid"]


def confirm(browser: Browser, lookup_key: str) -> requests.Response:
    """Press the preview page's Confirm button (the page must be the current one)."""
    moment = re.search(r'name="proration_date" value="(\d+)"', browser.last_page)
    assert moment is not None, browser.last_page[:500]
    return browser.submit(f"/account/plan/{lookup_key}", {"proration_date": moment.group(1)})


def cents(text: str) -> int:
    match = re.search(r"You pay \$([\d,]+)\.(\d\d) now", text)
    assert match is not None, text[:800]
    return int(match.group(1).replace(",", "")) * 100 + int(match.group(2))


def test_pro_yearly_trial_then_downgrade_at_period_end_then_upgrade_at_the_previewed_price(
    stack: StripeStack,
) -> None:
    browser = Browser(stack.server.url).sign_up("pro@example.com", PASSWORD)
    subscribe(stack, browser, "pro_yearly", CARD)
    account = browser.get("/account").text
    assert "Pro ($120.00 / year)" in account and "Trial ends on" in account
    assert "Change plan" in account and "Basic (monthly)" in account

    trial_end = the_subscription(stack)["trial_end"]
    assert isinstance(trial_end, int)
    advance(stack, trial_end - stack.emulator.now() + 3600)
    assert the_subscription(stack)["status"] == "active"
    assert [i["amount_paid"] for i in paid_invoices(stack)] == [0, 12000]

    # Downgrade: nothing now, Basic from the end of the year paid for.
    preview = browser.get("/account/plan/basic_monthly")
    assert preview.status_code == 200
    assert "You pay nothing now" in preview.text
    assert "you pay $5.00 a month; you keep Pro until then" in preview.text
    done = confirm(browser, "basic_monthly")
    assert done.status_code == 303 and done.headers["Location"] == "/account"
    account = browser.get("/account").text
    assert re.search(r"Changes to Basic \(monthly\) on \d+ \w+ \d{4}", account), account
    assert "Keep Pro" in account
    assert "Pro ($120.00 / year)" in account
    assert browser.get(PRO_NOTE).status_code == 200  # Pro until the period ends

    # "Keep Pro" undoes it; choosing Basic again plans it again.
    browser.submit("/account/keep-plan")
    assert "Changes to Basic" not in browser.get("/account").text
    browser.get("/account/plan/basic_monthly")
    assert confirm(browser, "basic_monthly").status_code == 303
    assert "Changes to Basic (monthly)" in browser.get("/account").text

    advance(stack, period_end(stack) - stack.emulator.now() + 3600)
    account = browser.get("/account").text
    assert "Basic ($5.00 / month)" in account
    assert "Changes to" not in account
    assert browser.get(PRO_NOTE).status_code == 403  # only Basic notes now
    assert browser.get(BASIC_NOTE).status_code == 200
    assert paid_invoices(stack)[-1]["amount_paid"] == 500

    # Upgrade: charged now exactly what the preview said.
    advance(stack, 10 * 86400)
    preview = browser.get("/account/plan/pro_monthly")
    assert preview.status_code == 200
    shown = cents(preview.text)
    assert 0 < shown < 1200
    done = confirm(browser, "pro_monthly")
    assert done.status_code == 303
    account = browser.get("/account").text
    assert "Pro ($12.00 / month)" in account  # at once, webhook or not
    assert browser.get(PRO_NOTE).status_code == 200
    latest = paid_invoices(stack)[-1]
    assert (latest["billing_reason"], latest["amount_paid"]) == ("subscription_update", shown)

    # Confirming the same preview again (a double submit) charges nothing more.
    again = browser.submit(
        "/account/plan/pro_monthly",
        {"proration_date": re.findall(r'proration_date" value="(\d+)"', preview.text)[0]},
    )
    assert again.status_code == 303
    assert len(paid_invoices(stack)) == 4
    assert stack.emulator.delivery.wait_idle(10)
    assert "Pro ($12.00 / month)" in browser.get("/account").text  # webhooks agree


def test_a_promotion_code_typed_at_checkout_is_shown_and_taken_off_the_invoice(
    stack: StripeStack,
) -> None:
    key = {"Authorization": "Bearer sk_test_e2e_emulator"}
    coupon = requests.post(
        f"{stack.emulator.url}/v1/coupons",
        data={"percent_off": "20", "duration": "repeating", "duration_in_months": "3"},
        headers=key,
        timeout=10,
    ).json()
    made = requests.post(
        f"{stack.emulator.url}/v1/promotion_codes",
        data={"promotion[type]": "coupon", "promotion[coupon]": coupon["id"], "code": "SPRING20"},
        headers=key,
        timeout=10,
    )
    assert made.status_code == 200, made.text
    browser = Browser(stack.server.url).sign_up("promo@example.com", PASSWORD)
    subscribe(stack, browser, "pro_monthly", CARD, promotion_code="spring20")

    account = browser.get("/account").text
    assert re.search(r"20% off with code SPRING20 until \d+ \w+ \d{4}", account), account

    trial_end = the_subscription(stack)["trial_end"]
    assert isinstance(trial_end, int)
    advance(stack, trial_end - stack.emulator.now() + 3600)
    charged = paid_invoices(stack)[-1]
    assert charged["amount_paid"] == 960  # $12.00 less 20%
    assert charged["total_discount_amounts"][0]["amount"] == 240
    assert "20% off with code SPRING20" in browser.get("/account").text

    preview = browser.get("/account/plan/pro_yearly").text
    assert "Your discount takes off" in preview


def test_a_declined_card_on_upgrade_changes_nothing(stack: StripeStack) -> None:
    browser = Browser(stack.server.url).sign_up("declined@example.com", PASSWORD)
    # A Basic trial without a card ends canceled; the next subscription has no trial, and
    # its first charge is the card's one good charge.
    subscribe(stack, browser, "basic_monthly", "")
    trial_end = the_subscription(stack)["trial_end"]
    assert isinstance(trial_end, int)
    advance(stack, trial_end - stack.emulator.now() + 3600)
    assert the_subscription(stack)["status"] == "canceled"
    subscribe(stack, browser, "basic_monthly", PAYS_ONCE)
    invoices = paid_invoices(stack)
    assert invoices[-1]["amount_paid"] == 500

    browser.get("/account/plan/pro_monthly")
    refused = confirm(browser, "pro_monthly")

    assert refused.status_code == 402
    assert "declined" in refused.text and "Nothing was charged" in refused.text
    subscription = stripe_get(stack, "subscriptions")["data"][0]  # type: ignore[index]
    assert subscription["status"] == "active"
    assert subscription["items"]["data"][0]["price"]["lookup_key"] == "basic_monthly"
    assert paid_invoices(stack) == invoices
    assert "Basic ($5.00 / month)" in browser.get("/account").text
    assert browser.get(PRO_NOTE).status_code == 403


def test_a_change_during_a_trial_bills_nothing_and_keeps_the_trials_end(
    stack: StripeStack,
) -> None:
    browser = Browser(stack.server.url).sign_up("trial@example.com", PASSWORD)
    subscribe(stack, browser, "pro_yearly", CARD)
    trial_end = the_subscription(stack)["trial_end"]

    preview = browser.get("/account/plan/basic_monthly").text
    assert "You pay nothing now" in preview
    assert "When the trial ends on" in preview and "you pay $5.00 a month" in preview
    assert confirm(browser, "basic_monthly").status_code == 303

    subscription = the_subscription(stack)
    assert (subscription["status"], subscription["trial_end"]) == ("trialing", trial_end)
    account = browser.get("/account").text
    assert "Basic ($5.00 / month)" in account and "Trial ends on" in account
    assert [i["amount_paid"] for i in paid_invoices(stack)] == [0]


def test_refusals_are_pages_with_the_reason(stack: StripeStack) -> None:
    browser = Browser(stack.server.url).sign_up("none@example.com", PASSWORD)
    nothing = browser.get("/account/plan/pro_monthly")
    assert nothing.status_code == 409
    assert "no subscription to change" in nothing.text
    assert browser.get("/account/plan/gold_monthly").status_code == 404

    subscribe(stack, browser, "basic_monthly", CARD)
    same = browser.get("/account/plan/basic_monthly")
    assert same.status_code == 409 and "You are on Basic (monthly) already" in same.text
    browser.get("/account")
    forged = browser.submit("/account/plan/pro_monthly", {"proration_date": "9" * 200})
    assert forged.status_code == 303  # a trial's change needs no moment: made
    assert "Pro ($12.00 / month)" in browser.get("/account").text


def test_the_plan_forms_need_their_csrf_token_and_a_signed_in_user(stack: StripeStack) -> None:
    visitor = Browser(stack.server.url)
    assert visitor.get("/account/plan/pro_monthly", allow_redirects=False).status_code == 302
    browser = Browser(stack.server.url).sign_up("csrf@example.com", PASSWORD)
    subscribe(stack, browser, "basic_monthly", CARD)
    for path in ("/account/plan/pro_monthly", "/account/keep-plan"):
        forged = browser.http.post(f"{stack.server.url}{path}", data={}, timeout=10)
        assert forged.status_code == 400, path
    assert "Basic ($5.00 / month)" in browser.get("/account").text
