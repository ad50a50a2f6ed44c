"""Review of issue 11 (plan changes): money holes and bad input, through the emulator and
the real Stripe adapter."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stripe_stack import StripeStack, open_portal, stripe_stack
from tests.e2e.support import Browser
from tests.e2e.test_plan_changes import confirm, subscribe
from tests.e2e.test_plans_and_trials import (
    PASSWORD,
    PRO_NOTE,
    REPO_CATALOG,
    EmulatorClock,
    advance,
    stripe_get,
    the_subscription,
)
from tests.e2e.test_portal_plan_switches import offered

DAY = 86400


def listed(stack: StripeStack, path: str) -> list[dict[str, Any]]:
    data = stripe_get(stack, path)["data"]
    assert isinstance(data, list)
    return data


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StripeStack]:
    with stripe_stack(tmp_path, catalog_file=REPO_CATALOG) as stack:
        stack.server.container.clock.override(EmulatorClock(stack.emulator))
        yield stack


def test_pro_without_a_card_through_basics_cardless_trial(stack: StripeStack) -> None:
    """catalog.toml: Pro's trial asks for a card (trial_without_card = false). Basic's
    card-less trial, switched to Pro on the account page, must not open Pro's notes
    without a card (today: Pro for the rest of the trial, never a cent paid)."""
    browser = Browser(stack.server.url).sign_up("freeloader@example.com", PASSWORD)
    subscribe(stack, browser, "basic_monthly", "")  # no card at all
    sub = the_subscription(stack)
    assert sub["status"] == "trialing" and not sub.get("default_payment_method")
    assert browser.get(PRO_NOTE).status_code == 403

    refused = browser.get("/account/plan/pro_yearly")
    assert refused.status_code == 409
    assert "trial asks for a card" in refused.text
    forced = browser.submit("/account/plan/pro_yearly", {"proration_date": ""})
    assert forced.status_code == 409
    assert stack.emulator.delivery.wait_idle(10)
    advance(stack, 6 * DAY)
    assert not the_subscription(stack).get("default_payment_method")
    assert browser.get(PRO_NOTE).status_code == 403, "Pro notes read on day 6, no card on file"


def test_pro_without_a_card_through_the_portal_during_basics_cardless_trial(
    stack: StripeStack,
) -> None:
    """The same through the billing portal: its switch ends the trial and charges now
    (trial_update_behavior=end_trial), which without a card changes nothing."""
    browser = Browser(stack.server.url).sign_up("portal-free@example.com", PASSWORD)
    subscribe(stack, browser, "basic_monthly", "")
    portal = open_portal(browser)
    choices = offered(browser, portal)
    found = stack.server.container.catalog().price_by_lookup_key("pro_yearly")
    assert found is not None and found[1].price_id is not None
    quote = browser.http.get(choices[found[1].price_id], timeout=10)
    assert quote.status_code == 402, quote.text[:300]  # no card to charge: no switch
    assert stack.emulator.delivery.wait_idle(10)
    assert the_subscription(stack)["status"] == "trialing"
    assert not the_subscription(stack).get("default_payment_method")
    assert browser.get(PRO_NOTE).status_code == 403, "Pro notes read with no card on file"


def test_bad_input_to_the_plan_routes_is_never_a_500(stack: StripeStack) -> None:
    browser = Browser(stack.server.url).sign_up("fuzz@example.com", PASSWORD)
    subscribe(stack, browser, "basic_monthly", "4242 4242 4242 4242")
    advance(stack, 8 * DAY)  # out of the trial: upgrades are billed
    assert the_subscription(stack)["status"] == "active"
    bad: list[tuple[str, str, dict[str, str]]] = []
    keys = [
        "pro_monthly",
        "PRO_MONTHLY",
        "pro_monthly%00",
        "%C3%A9",
        "x" * 5000,
        "..",
        "basic_monthly",
    ]
    dates = [
        "",
        "0",
        "-1",
        "1e9",
        "99999999999",
        "100000000001",
        "\uff11\uff12\uff13",
        "1" * 400,
        "12.5",
        " 1",
    ]
    for key in keys:
        r = browser.get(f"/account/plan/{key}")
        if r.status_code >= 500:
            bad.append(("GET", key, {}))
        for value in dates:
            browser.get("/account")
            r = browser.submit(f"/account/plan/{key}", {"proration_date": value})
            if r.status_code >= 500:
                bad.append(("POST", key, {"proration_date": value, "status": str(r.status_code)}))
    for method in ("PUT", "DELETE", "PATCH"):
        r = browser.http.request(method, f"{stack.server.url}/account/plan/pro_monthly", timeout=10)
        if r.status_code >= 500:
            bad.append((method, "pro_monthly", {}))
    browser.get("/account")
    r = browser.submit("/account/keep-plan", {"x": "y"})
    if r.status_code >= 500:
        bad.append(("POST", "keep-plan", {}))
    assert not bad, bad


def test_concurrent_confirms_from_two_previews_charge_once(stack: StripeStack) -> None:
    import re
    from concurrent.futures import ThreadPoolExecutor

    from tests.e2e.test_plan_changes import paid_invoices

    browser = Browser(stack.server.url).sign_up("race@example.com", PASSWORD)
    subscribe(stack, browser, "basic_monthly", "4242 4242 4242 4242")
    advance(stack, 8 * DAY)
    before = len(paid_invoices(stack))
    forms = []
    for _ in range(2):
        page = browser.get("/account/plan/pro_monthly").text
        forms.append(
            {
                "csrf_token": browser.csrf_token(),
                "proration_date": re.findall(r'proration_date" value="(\d+)"', page)[0],
            }
        )
        advance(stack, 2)
    assert forms[0]["proration_date"] != forms[1]["proration_date"]
    url = f"{stack.server.url}/account/plan/pro_monthly"

    def post(form: dict[str, str]) -> int:
        return browser.http.post(url, data=form, allow_redirects=False, timeout=30).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = list(pool.map(post, forms * 3))
    assert stack.emulator.delivery.wait_idle(10)
    charged = [i["amount_paid"] for i in paid_invoices(stack)[before:] if i["amount_paid"]]
    assert len(charged) == 1, (codes, charged)
    assert all(code < 500 for code in codes), codes


def test_posting_the_current_price_does_not_reopen_the_past_due_grace(stack: StripeStack) -> None:
    """Stripe set to leave a subscription past due: it renews and fails on. Grace counts
    from the oldest unpaid invoice, so a month later access is refused. POSTing the
    price one is already on (ChangePlan's "already there" path) stores Stripe's
    subscription without `unpaid_since` and the grace counts again from this period's
    start: access while owing two months."""
    basic_note = "/notes/the-weekly-review"
    stack.emulator.settings.after_retries = "past_due"
    browser = Browser(stack.server.url).sign_up("owes@example.com", PASSWORD)
    subscribe(stack, browser, "basic_monthly", "")  # the one trial, without a card
    advance(stack, 8 * DAY)
    assert the_subscription(stack)["status"] == "canceled"
    subscribe(stack, browser, "basic_monthly", "4000 0000 0000 0341")  # pays once only
    subs = [s for s in listed(stack, "subscriptions?status=all") if s["status"] != "canceled"]
    end = subs[0]["items"]["data"][0]["current_period_end"]
    advance(stack, end - stack.emulator.now() + 3600)  # first renewal fails
    advance(stack, 20 * DAY)  # retries over, left past due
    assert browser.get(basic_note).status_code == 403
    subs = [s for s in listed(stack, "subscriptions?status=all") if s["status"] != "canceled"]
    end = subs[0]["items"]["data"][0]["current_period_end"]
    advance(stack, end - stack.emulator.now() + DAY)  # second renewal fails too
    assert subs[0]["status"] == "past_due"
    assert browser.get(basic_note).status_code == 403  # owes since a month: refused

    browser.get("/account")
    done = browser.submit("/account/plan/basic_monthly", {"proration_date": ""})
    assert done.status_code == 303
    assert browser.get(basic_note).status_code == 403, "grace reopened by a form post"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("basic_monthly", "pro_yearly"),
        ("basic_yearly", "pro_monthly"),
        ("basic_monthly", "basic_yearly"),
        ("pro_monthly", "pro_yearly"),
    ],
)
def test_the_charge_is_what_the_preview_said(stack: StripeStack, start: str, target: str) -> None:
    import re

    from tests.e2e.test_plan_changes import paid_invoices

    browser = Browser(stack.server.url).sign_up("preview@example.com", PASSWORD)
    subscribe(stack, browser, start, "4242 4242 4242 4242")
    end = the_subscription(stack)["trial_end"]
    assert isinstance(end, int)
    advance(stack, end - stack.emulator.now() + 3600)
    advance(stack, 9 * DAY + 1234)
    before = len(paid_invoices(stack))
    page = browser.get(f"/account/plan/{target}").text
    shown = re.search(r"You pay \$([\d,]+)\.(\d\d) now", page)
    assert shown, page[:2000]
    cents = int(shown.group(1).replace(",", "")) * 100 + int(shown.group(2))
    advance(stack, 600)
    assert confirm(browser, target).status_code == 303
    new = paid_invoices(stack)[before:]
    charged = sum(i["amount_paid"] for i in new)
    print(start, target, "shown", cents, "charged", charged, [i["billing_reason"] for i in new])
    assert charged == cents


def test_after_a_declined_upgrade_and_a_new_card_the_same_confirmation_goes_through(
    stack: StripeStack,
) -> None:
    """The idempotency key is (subscription, prices, proration_date): a confirmation
    declined once is replayed as declined (Stripe saves 402s too) when the same form is
    sent again after the card was fixed (Back, Confirm: within the hour)."""
    import re

    from tests.e2e.stripe_stack import portal_action

    browser = Browser(stack.server.url).sign_up("retry@example.com", PASSWORD)
    subscribe(stack, browser, "basic_monthly", "")
    advance(stack, 8 * DAY)
    subscribe(stack, browser, "basic_monthly", "4000 0000 0000 0341")
    page = browser.get("/account/plan/pro_monthly").text
    form = {
        "csrf_token": browser.csrf_token(),
        "proration_date": re.findall(r'proration_date" value="(\d+)"', page)[0],
    }
    url = f"{stack.server.url}/account/plan/pro_monthly"
    assert browser.http.post(url, data=form, allow_redirects=False, timeout=10).status_code == 402
    fixed = portal_action(
        browser, open_portal(browser), "Update card", card_number="4242 4242 4242 4242"
    )
    assert fixed.status_code in (302, 303), fixed.text[:300]
    again = browser.http.post(url, data=form, allow_redirects=False, timeout=10)
    assert again.status_code == 303, re.findall(r'role="alert">([^<]+)', again.text)
    live = [s for s in listed(stack, "subscriptions?status=all") if s["status"] == "active"]
    assert [s["items"]["data"][0]["price"]["lookup_key"] for s in live] == ["pro_monthly"]
    # Sent once more (a double click): the same attempt, charged once.
    invoices = listed(stack, "invoices?limit=100")
    assert browser.http.post(url, data=form, allow_redirects=False, timeout=10).status_code in (
        303,
        409,
    )
    assert len(listed(stack, "invoices?limit=100")) == len(invoices)
