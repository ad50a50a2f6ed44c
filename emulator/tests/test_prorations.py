"""Changing plan: prorations by seconds, invoiced now or at the renewal, the billing cycle
restarting on an interval change, and the invoice preview that matches what is charged."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from emulator_support import DAY, event_types, new_price
from stripe_emulator import Emulator

START = 1_790_000_000  # 2026-09-21


def _subscribed(client: stripe.StripeClient, amount: int = 1000) -> tuple[str, Any]:
    """A customer on a new test clock subscribed monthly at ``amount``; (clock, subscription)."""
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": new_price(client, amount=amount)}],
            "default_payment_method": "pm_card_visa",
        }
    )
    return str(clock.id), subscription


def _advance(client: stripe.StripeClient, clock: str, to: int) -> None:
    client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": to})


def _share(amount: int, at: int, start: int, end: int) -> int:
    return round(amount * (end - at) / (end - start))


def test_an_upgrade_always_invoiced_charges_what_the_preview_said(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    clock, subscription = _subscribed(client)
    item = subscription["items"].data[0]
    start, end = item.current_period_start, item.current_period_end
    at = START + 10 * DAY
    _advance(client, clock, at)
    pro = new_price(client, amount=3000)
    details: dict[str, Any] = {
        "items": [{"id": item.id, "price": pro}],
        "proration_behavior": "always_invoice",
        "proration_date": at,
    }
    preview = client.v1.invoices.create_preview(
        params={
            "customer": subscription.customer,
            "subscription": subscription.id,
            "subscription_details": details,
        }
    )
    credit, charge = -_share(1000, at, start, end), _share(3000, at, start, end)
    assert [line.amount for line in preview.lines.data] == [credit, charge]
    assert all(line.parent.subscription_item_details.proration for line in preview.lines.data)
    assert preview.lines.data[0].description.startswith("Unused time on Premium after")
    assert preview.lines.data[1].description.startswith("Remaining time on Premium after")
    assert preview.amount_due == credit + charge
    assert preview.id.startswith("upcoming_in_")
    with pytest.raises(stripe.InvalidRequestError):  # not saved
        client.v1.invoices.retrieve(preview.id)

    updated = client.v1.subscriptions.update(
        subscription.id, params={**details, "expand": ["latest_invoice"]}
    )
    invoice = updated.latest_invoice
    assert (invoice.billing_reason, invoice.status) == ("subscription_update", "paid")
    assert invoice.amount_paid == preview.amount_due
    assert updated["items"].data[0].price.id == pro
    assert updated["items"].data[0].current_period_end == end  # the cycle is unchanged
    assert event_types(emulator, subscription.id)[-1] == "customer.subscription.updated"


def test_create_prorations_waits_for_the_renewal(client: stripe.StripeClient) -> None:
    clock, subscription = _subscribed(client)
    item = subscription["items"].data[0]
    start, end = item.current_period_start, item.current_period_end
    at = START + 20 * DAY
    _advance(client, clock, at)
    pro = new_price(client, amount=3000)
    updated = client.v1.subscriptions.update(
        subscription.id,
        params={"items": [{"id": item.id, "price": pro}], "proration_date": at},
    )
    assert updated.latest_invoice == subscription.latest_invoice  # nothing invoiced now
    upcoming = client.v1.invoices.create_preview(params={"subscription": subscription.id})
    prorations = _share(3000, at, start, end) - _share(1000, at, start, end)
    assert upcoming.billing_reason == "subscription_cycle"
    assert upcoming.amount_due == prorations + 3000
    _advance(client, clock, end + 60)
    renewed = client.v1.subscriptions.retrieve(
        subscription.id, params={"expand": ["latest_invoice"]}
    )
    assert renewed.latest_invoice.amount_paid == prorations + 3000
    assert [
        line.parent.subscription_item_details.proration
        for line in renewed.latest_invoice.lines.data
    ] == [True, True, False]


def test_a_switch_to_yearly_restarts_the_cycle_and_invoices_now(
    client: stripe.StripeClient,
) -> None:
    clock, subscription = _subscribed(client)
    item = subscription["items"].data[0]
    start, end = item.current_period_start, item.current_period_end
    at = START + 5 * DAY
    _advance(client, clock, at)
    yearly = new_price(client, amount=10000, interval="year")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(
            subscription.id,
            params={
                "items": [{"id": item.id, "price": yearly}],
                "billing_cycle_anchor": "unchanged",
            },
        )
    details = {"items": [{"id": item.id, "price": yearly}], "proration_date": at}
    preview = client.v1.invoices.create_preview(
        params={"subscription": subscription.id, "subscription_details": details}
    )
    updated = client.v1.subscriptions.update(
        subscription.id, params={**details, "expand": ["latest_invoice"]}
    )
    assert updated.billing_cycle_anchor == at
    assert updated["items"].data[0].current_period_start == at
    assert updated["items"].data[0].current_period_end == at + 365 * DAY
    assert updated.latest_invoice.amount_paid == 10000 - _share(1000, at, start, end)
    assert updated.latest_invoice.amount_paid == preview.amount_due


def test_a_downgrade_invoiced_now_leaves_a_credit_for_the_next_invoice(
    client: stripe.StripeClient,
) -> None:
    clock, subscription = _subscribed(client, amount=3000)
    item = subscription["items"].data[0]
    start, end = item.current_period_start, item.current_period_end
    at = START + 15 * DAY
    _advance(client, clock, at)
    basic = new_price(client, amount=1000)
    updated = client.v1.subscriptions.update(
        subscription.id,
        params={
            "items": [{"id": item.id, "price": basic}],
            "proration_behavior": "always_invoice",
            "proration_date": at,
            "expand": ["latest_invoice", "customer"],
        },
    )
    net = _share(1000, at, start, end) - _share(3000, at, start, end)
    assert net < 0
    assert (updated.latest_invoice.total, updated.latest_invoice.amount_due) == (net, 0)
    assert updated.customer.balance == net
    _advance(client, clock, end + 60)
    renewed = client.v1.subscriptions.retrieve(
        subscription.id, params={"expand": ["latest_invoice"]}
    )
    assert renewed.latest_invoice.starting_balance == net
    assert renewed.latest_invoice.amount_paid == 1000 + net


def test_proration_behavior_none_only_changes_the_price(client: stripe.StripeClient) -> None:
    clock, subscription = _subscribed(client)
    _advance(client, clock, START + 3 * DAY)
    item = subscription["items"].data[0]
    updated = client.v1.subscriptions.update(
        subscription.id,
        params={
            "items": [{"id": item.id, "price": new_price(client, amount=500)}],
            "proration_behavior": "none",
        },
    )
    assert updated.latest_invoice == subscription.latest_invoice
    upcoming = client.v1.invoices.create_preview(params={"subscription": subscription.id})
    assert upcoming.amount_due == 500
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoices.create_preview(
            params={"subscription": subscription.id, "subscription_details": {"cancel_now": True}}
        )
    assert caught.value.code == "parameter_not_emulated"
