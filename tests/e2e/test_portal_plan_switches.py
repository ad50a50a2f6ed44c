"""Plan switches in the billing portal, through the emulator and the real Stripe adapter:
the portal opens with the configuration `stripe-provision` made for the catalog, offers
the catalog's prices only, and its changes reach the app by webhooks. An upgrade (Basic
to Pro) is charged the prorated difference at once and opens Pro's notes as soon as the
webhooks arrive; a downgrade (Pro to Basic) keeps Pro until the period ends."""

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.stripe_stack import StripeStack, open_portal, stripe_stack, subscribe
from tests.e2e.support import Browser
from tests.e2e.test_plans_and_trials import (
    DAY,
    PASSWORD,
    PRO_NOTE,
    REPO_CATALOG,
    EmulatorClock,
    advance,
    stripe_get,
    the_subscription,
)

BASIC_NOTE = "/notes/the-weekly-review"  # requires notes.basic


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StripeStack]:
    with stripe_stack(tmp_path, catalog_file=REPO_CATALOG) as stack:
        stack.server.container.clock.override(EmulatorClock(stack.emulator))
        yield stack


def price_id(stack: StripeStack, lookup_key: str) -> str:
    found = stack.server.container.catalog().price_by_lookup_key(lookup_key)
    assert found is not None and found[1].price_id is not None
    return found[1].price_id


def paying_subscriber(stack: StripeStack, email: str, lookup_key: str) -> Browser:
    """Signed up, subscribed to `lookup_key` with a card, past the plan's trial: active
    and charged for its first period."""
    browser = Browser(stack.server.url).sign_up(email, PASSWORD)
    paid = subscribe(browser, price=lookup_key)
    assert paid.status_code == 303, paid.text[:300]
    browser.get(paid.headers["Location"])
    assert stack.emulator.delivery.wait_idle(10)
    trial_end = the_subscription(stack)["trial_end"]
    assert isinstance(trial_end, int)
    advance(stack, trial_end - stack.emulator.now() + 3600)
    assert the_subscription(stack)["status"] == "active"
    return browser


def offered(browser: Browser, portal: str) -> dict[str, str]:
    """The portal page's "Update plan" choices: price id -> the link that selects it."""
    page = browser.http.get(portal, timeout=10).text
    links = [html.unescape(link) for link in re.findall(r'href="([^"]+/update\?[^"]+)"', page)]
    base = portal.split("/portal/")[0]
    return {link.rsplit("price=", 1)[1]: base + link for link in links}


def switch(browser: Browser, portal: str, link: str) -> tuple[str, requests.Response]:
    """Open the confirmation page behind `link` and confirm; (its text, the answer)."""
    page = browser.http.get(link, timeout=10)
    assert page.status_code == 200, page.text[:300]
    fields = dict(re.findall(r'name="(price|proration_date)" value="([^"]+)"', page.text))
    action = re.search(r'<form method="post" action="([^"]+)">', page.text)
    assert action is not None
    base = portal.split("/portal/")[0]
    done = browser.http.post(base + action.group(1), data=fields, allow_redirects=False, timeout=10)
    return page.text, done


def latest_invoice(stack: StripeStack) -> dict[str, object]:
    subscription = the_subscription(stack)
    invoice = stripe_get(stack, f"invoices/{subscription['latest_invoice']}")
    return invoice


def test_an_upgrade_in_the_portal_is_charged_the_proration_and_opens_pro_at_once(
    stack: StripeStack,
) -> None:
    browser = paying_subscriber(stack, "basic@example.com", "basic_monthly")
    assert browser.get(PRO_NOTE).status_code == 403
    advance(stack, 10 * DAY)

    portal = open_portal(browser)
    choices = offered(browser, portal)
    catalog = {price_id(stack, key) for key in ("basic_yearly", "pro_monthly", "pro_yearly")}
    assert set(choices) == catalog  # the catalog's other prices, nothing else
    page, done = switch(browser, portal, choices[price_id(stack, "pro_monthly")])
    due = re.search(r"Amount due today: <strong>\$(\d+\.\d\d)</strong>", page)
    assert due is not None, page
    assert done.status_code == 303, done.text[:300]
    assert stack.emulator.delivery.wait_idle(10)

    account = browser.get("/account").text
    assert "Pro ($12.00 / month)" in account
    assert browser.get(PRO_NOTE).status_code == 200
    invoice = latest_invoice(stack)
    assert invoice["billing_reason"] == "subscription_update"
    assert invoice["amount_paid"] == round(float(due.group(1)) * 100)
    item = the_subscription(stack)["items"]["data"][0]  # type: ignore[index]
    start, end, now = item["current_period_start"], item["current_period_end"], stack.emulator.now()
    left = (end - now) / (end - start)
    assert abs(invoice["amount_paid"] - round(700 * left)) <= 2  # (12 - 5) for what is left


def test_a_downgrade_in_the_portal_keeps_pro_until_the_period_ends(stack: StripeStack) -> None:
    browser = paying_subscriber(stack, "pro@example.com", "pro_monthly")
    advance(stack, 5 * DAY)
    period_end = the_subscription(stack)["items"]["data"][0]["current_period_end"]  # type: ignore[index]

    portal = open_portal(browser)
    page, done = switch(browser, portal, offered(browser, portal)[price_id(stack, "basic_monthly")])
    assert "nothing is charged now" in page
    assert done.status_code == 303, done.text[:300]
    assert stack.emulator.delivery.wait_idle(10)
    charged_before = latest_invoice(stack)["id"]

    account = browser.get("/account").text
    assert "Pro ($12.00 / month)" in account  # kept until the period ends
    assert browser.get(PRO_NOTE).status_code == 200
    assert "Changes to <strong>Basic</strong>" in browser.http.get(portal, timeout=10).text

    advance(stack, period_end - stack.emulator.now() + 3600)
    account = browser.get("/account").text
    assert "Basic ($5.00 / month)" in account
    assert browser.get(PRO_NOTE).status_code == 403
    assert browser.get(BASIC_NOTE).status_code == 200
    invoice = latest_invoice(stack)
    assert invoice["id"] != charged_before
    assert (invoice["billing_reason"], invoice["amount_paid"]) == ("subscription_cycle", 500)


def test_the_portal_never_offers_a_price_outside_the_catalog(stack: StripeStack) -> None:
    """A price of Pro's product made in the Dashboard (not in catalog.toml) is not on
    the portal's list, and choosing it by hand is refused."""
    response = requests.post(
        f"{stack.emulator.url}/v1/prices",
        headers={"Authorization": "Bearer sk_test_e2e_emulator"},
        data={
            "product": "premium_notes_pro",
            "unit_amount": "900",
            "currency": "usd",
            "recurring[interval]": "month",
        },
        timeout=10,
    )
    response.raise_for_status()
    foreign = response.json()["id"]
    browser = paying_subscriber(stack, "basic2@example.com", "basic_monthly")
    portal = open_portal(browser)
    choices = offered(browser, portal)
    assert foreign not in choices and len(choices) == 3
    link = next(iter(choices.values())).rsplit("price=", 1)[0] + f"price={foreign}"
    refused = browser.http.get(link, timeout=10)
    assert refused.status_code == 400
    assert "This plan is not offered here." in refused.text
