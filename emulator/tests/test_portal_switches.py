"""Plan switches on the portal page, by a session's configuration: upgrades now and
charged the quoted proration, downgrades at the period's end through a schedule, trials,
a declined card, and what is never offered."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
import stripe

from emulator_support import DAY, event_types, http_request
from stripe_emulator import Emulator

START = 1_790_000_000  # 2026-09-21


@dataclass
class Shop:
    client: stripe.StripeClient
    prices: dict[str, str]  # basic_monthly, basic_yearly, pro_monthly, pro_yearly, pro_legacy
    configuration: str


def _price(client: stripe.StripeClient, product: str, amount: int, interval: str) -> str:
    params: dict[str, Any] = {
        "currency": "usd",
        "unit_amount": amount,
        "recurring": {"interval": interval},
        "product": product,
    }
    return str(client.v1.prices.create(params=params).id)


def _shop(client: stripe.StripeClient, **switches: Any) -> Shop:
    basic = client.v1.products.create(params={"name": "Basic"}).id
    pro = client.v1.products.create(params={"name": "Pro"}).id
    prices = {
        "basic_monthly": _price(client, basic, 500, "month"),
        "basic_yearly": _price(client, basic, 5000, "year"),
        "pro_monthly": _price(client, pro, 1200, "month"),
        "pro_yearly": _price(client, pro, 12000, "year"),
        "pro_legacy": _price(client, pro, 900, "month"),  # not in the configuration
    }
    update: dict[str, Any] = {
        "enabled": True,
        "default_allowed_updates": ["price"],
        "products": [
            {"product": basic, "prices": [prices["basic_monthly"], prices["basic_yearly"]]},
            {"product": pro, "prices": [prices["pro_monthly"], prices["pro_yearly"]]},
        ],
        "proration_behavior": "always_invoice",
        "schedule_at_period_end": {
            "conditions": [{"type": "decreasing_item_amount"}, {"type": "shortening_interval"}]
        },
        **switches,
    }
    configuration = client.v1.billing_portal.configurations.create(
        params={
            "features": {
                "subscription_update": update,
                "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
                "payment_method_update": {"enabled": True},
                "invoice_history": {"enabled": True},
            }
        }
    )
    return Shop(client, prices, str(configuration.id))


def _subscribed(shop: Shop, price: str, card: str = "pm_card_visa", **extra: Any) -> Any:
    clock = shop.client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    customer = shop.client.v1.customers.create(params={"test_clock": clock.id})
    return shop.client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": shop.prices[price]}],
            "default_payment_method": card,
            **extra,
        }
    )


def _advance(shop: Shop, subscription: Any, to: int) -> None:
    customer = shop.client.v1.customers.retrieve(str(subscription.customer))
    shop.client.v1.test_helpers.test_clocks.advance(
        str(customer.test_clock), params={"frozen_time": to}
    )


def _portal(shop: Shop, subscription: Any) -> str:
    session = shop.client.v1.billing_portal.sessions.create(
        params={
            "customer": str(subscription.customer),
            "configuration": shop.configuration,
            "return_url": "http://127.0.0.1:9/account",
        }
    )
    return str(session.url)


def _choose(portal: str, price: str) -> tuple[str, dict[str, str]]:
    """Select ``price`` under "Update plan"; the confirmation page's text and form."""
    page = http_request("GET", portal).body
    links = [html.unescape(link) for link in re.findall(r'href="([^"]+/update\?[^"]+)"', page)]
    [link] = [link for link in links if link.endswith(f"price={price}")]
    confirm = http_request("GET", portal.split("/portal/")[0] + link)
    assert confirm.status == 200, confirm.body
    fields = dict(re.findall(r'name="(price|proration_date)" value="([^"]+)"', confirm.body))
    return confirm.body, fields


def _confirm(portal: str, subscription: Any, fields: dict[str, str]) -> Any:
    return http_request("POST", f"{portal}/subscriptions/{subscription.id}/update", form=fields)


def _money(amount: int) -> str:
    return f"${amount / 100:,.2f}"


def test_the_page_offers_the_configurations_other_prices_only(
    client: stripe.StripeClient,
) -> None:
    shop = _shop(client)
    subscription = _subscribed(shop, "basic_monthly")
    page = http_request("GET", _portal(shop, subscription)).body
    assert "Update plan" in page
    offered = re.findall(r"update\?price=(price_\w+)", page)
    wanted = ("basic_yearly", "pro_monthly", "pro_yearly")
    assert sorted(offered) == sorted(shop.prices[k] for k in wanted)
    assert "$12.00 per month" in page and "$120.00 per year" in page and "$50.00 per year" in page
    assert ">Cancel at period end<" in page and ">Cancel now<" not in page  # mode at_period_end
    assert "Invoice history" in page
    outside = http_request(
        "GET",
        f"{_portal(shop, subscription)}/subscriptions/{subscription.id}/update"
        f"?price={shop.prices['pro_legacy']}",
    )
    assert outside.status == 400
    assert "This plan is not offered here." in outside.body


def test_an_upgrade_is_charged_now_the_proration_the_page_quoted(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    shop = _shop(client)
    subscription = _subscribed(shop, "basic_monthly")
    item = subscription["items"].data[0]
    start, end = item.current_period_start, item.current_period_end
    at = START + 10 * DAY
    _advance(shop, subscription, at)
    portal = _portal(shop, subscription)
    page, fields = _choose(portal, shop.prices["pro_monthly"])
    owed = round(1200 * (end - at) / (end - start)) - round(500 * (end - at) / (end - start))
    assert f"Amount due today: <strong>{_money(owed)}</strong>" in page
    assert "Unused time on Basic" in page and "Remaining time on Pro" in page

    _advance(shop, subscription, at + DAY - 60)  # confirmed later: charged what was quoted
    done = _confirm(portal, subscription, fields)
    assert done.status == 303 and "done=now" in done.headers["location"]
    after = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert after["items"].data[0].price.id == shop.prices["pro_monthly"]
    assert after.latest_invoice.billing_reason == "subscription_update"
    assert after.latest_invoice.amount_paid == owed
    types = event_types(emulator, subscription.id)
    assert types[-1] == "customer.subscription.updated"
    invoice_events = event_types(emulator, after.latest_invoice.id)
    assert invoice_events[:2] == ["invoice.created", "invoice.finalized"]
    assert "invoice.paid" in invoice_events
    assert "Your plan has been updated." in http_request("GET", done_url(portal, done)).body


def done_url(portal: str, response: Any) -> str:
    return portal.split("/portal/")[0] + response.headers["location"]


def test_a_downgrade_waits_for_the_period_end_through_a_schedule(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    shop = _shop(client)
    subscription = _subscribed(shop, "pro_monthly")
    end = subscription["items"].data[0].current_period_end
    _advance(shop, subscription, START + 5 * DAY)
    portal = _portal(shop, subscription)
    page, fields = _choose(portal, shop.prices["basic_monthly"])
    assert "nothing is charged now" in page and "You keep Pro until then" in page

    done = _confirm(portal, subscription, fields)
    assert done.status == 303 and "done=period_end" in done.headers["location"]
    waiting = client.v1.subscriptions.retrieve(subscription.id)
    assert waiting["items"].data[0].price.id == shop.prices["pro_monthly"]
    schedule = client.v1.subscription_schedules.retrieve(str(waiting.schedule))
    assert [p["items"][0].price for p in schedule.phases] == [
        shop.prices["pro_monthly"],
        shop.prices["basic_monthly"],
    ]
    assert schedule.phases[0].end_date == end and schedule.end_behavior == "release"
    assert {p.proration_behavior for p in schedule.phases} == {"none"}
    assert event_types(emulator, schedule.id)[:2] == [
        "subscription_schedule.created",
        "subscription_schedule.updated",
    ]
    portal_page = http_request("GET", done_url(portal, done)).body
    assert "Changes to <strong>Basic</strong>" in portal_page
    assert "Update plan" not in portal_page  # one change at a time
    invoices_before = len(client.v1.invoices.list(params={"customer": waiting.customer}).data)

    _advance(shop, subscription, end + 60)
    moved = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert moved["items"].data[0].price.id == shop.prices["basic_monthly"]
    assert moved.latest_invoice.amount_paid == 500
    invoices = client.v1.invoices.list(params={"customer": waiting.customer}).data
    assert len(invoices) == invoices_before + 1  # the renewal, nothing prorated


@pytest.mark.parametrize(
    ("current", "new", "waits"),
    [
        ("basic_monthly", "basic_yearly", False),  # longer and dearer: now
        ("basic_yearly", "basic_monthly", True),  # shorter and cheaper
        ("pro_yearly", "basic_yearly", True),  # cheaper
        ("basic_yearly", "pro_monthly", True),  # shorter, and 1200 < 5000 as they are
        ("pro_monthly", "basic_yearly", False),  # 5000 > 1200, and longer: now
    ],
)
def test_the_conditions_decide_now_or_at_the_period_end(
    client: stripe.StripeClient, current: str, new: str, waits: bool
) -> None:
    shop = _shop(client)
    subscription = _subscribed(shop, current)
    _advance(shop, subscription, START + 3 * DAY)
    page, _ = _choose(_portal(shop, subscription), shop.prices[new])
    assert ("nothing is charged now" in page) is waits
    assert ("Amount due today" in page) is not waits


def test_a_declined_card_changes_nothing_and_says_why(client: stripe.StripeClient) -> None:
    shop = _shop(client)
    # 0341 pays the first invoice, then declines.
    subscription = _subscribed(shop, "basic_monthly", card="pm_card_chargeCustomerFail")
    _advance(shop, subscription, START + 2 * DAY)
    portal = _portal(shop, subscription)
    _, fields = _choose(portal, shop.prices["pro_monthly"])
    refused = _confirm(portal, subscription, fields)
    assert refused.status == 402
    assert "Your card was declined." in refused.body and "Confirm your new plan" in refused.body
    after = client.v1.subscriptions.retrieve(subscription.id)
    assert after["items"].data[0].price.id == shop.prices["basic_monthly"]
    assert (after.status, after.latest_invoice) == ("active", subscription.latest_invoice)


@pytest.mark.parametrize("behaviour", ["continue_trial", "end_trial"])
def test_a_trial_switches_now_and_keeps_or_ends_its_trial(
    client: stripe.StripeClient, behaviour: str
) -> None:
    shop = _shop(client, trial_update_behavior=behaviour)
    subscription = _subscribed(shop, "pro_monthly", trial_period_days=14)
    _advance(shop, subscription, START + DAY)
    portal = _portal(shop, subscription)
    page, fields = _choose(portal, shop.prices["basic_monthly"])  # cheaper, yet now
    assert "nothing is charged now" not in page
    assert _confirm(portal, subscription, fields).status == 303
    after = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert after["items"].data[0].price.id == shop.prices["basic_monthly"]
    assert after.schedule is None
    if behaviour == "continue_trial":
        assert "your trial continues" in page
        assert (after.status, after.trial_end) == ("trialing", subscription.trial_end)
        assert after.latest_invoice.id == subscription.latest_invoice  # nothing billed
    else:
        assert "Amount due today: <strong>$5.00</strong>" in page
        assert (after.status, after.trial_end) == ("active", START + DAY)
        assert after.latest_invoice.amount_paid == 500


def test_no_switch_is_offered_to_a_subscription_set_to_cancel_or_past_due(
    client: stripe.StripeClient,
) -> None:
    shop = _shop(client)
    canceling = _subscribed(shop, "basic_monthly")
    client.v1.subscriptions.update(canceling.id, params={"cancel_at_period_end": True})
    portal = _portal(shop, canceling)
    assert "Update plan" not in http_request("GET", portal).body
    fields = {"price": shop.prices["pro_monthly"], "proration_date": str(START)}
    refused = _confirm(portal, canceling, fields)
    assert refused.status == 409
    assert "cannot change plan here" in refused.body

    failing = _subscribed(shop, "basic_monthly", card="pm_card_chargeCustomerFail")
    _advance(shop, failing, failing["items"].data[0].current_period_end + 60)
    assert client.v1.subscriptions.retrieve(failing.id).status == "past_due"
    assert "Update plan" not in http_request("GET", _portal(shop, failing)).body


def test_bad_confirmations_are_4xx_pages(client: stripe.StripeClient, emulator: Emulator) -> None:
    shop = _shop(client)
    subscription = _subscribed(shop, "basic_monthly")
    portal = _portal(shop, subscription)
    pro = shop.prices["pro_monthly"]
    for fields, status in (
        ({"price": pro}, 400),  # no quote
        ({"price": pro, "proration_date": "soon"}, 400),
        ({"price": pro, "proration_date": "9" * 40}, 400),
        ({"price": pro, "proration_date": str(START - 5 * DAY)}, 409),  # expired
        ({"price": "price_nothing", "proration_date": str(START)}, 400),
        ({"proration_date": str(START)}, 400),
    ):
        answer = _confirm(portal, subscription, fields)
        assert answer.status == status, (fields, answer.body)
        assert "<h1>Billing</h1>" in answer.body
    unknown = http_request("GET", f"{portal}/subscriptions/sub_nothing/update?price={pro}")
    assert unknown.status == 404
    gone = http_request("POST", f"{emulator.url}/portal/bps_nothing/subscriptions/x/update")
    assert gone.status == 404
    after = client.v1.subscriptions.retrieve(subscription.id)
    assert after["items"].data[0].price.id == shop.prices["basic_monthly"]


def test_the_default_configuration_offers_no_switch(client: stripe.StripeClient) -> None:
    shop = _shop(client)
    subscription = _subscribed(shop, "basic_monthly")
    session = client.v1.billing_portal.sessions.create(
        params={"customer": str(subscription.customer)}
    )
    page = http_request("GET", str(session.url)).body
    assert "Update plan" not in page
    assert ">Cancel now<" in page and ">Cancel at period end<" in page
