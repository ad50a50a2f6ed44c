"""Subscription schedules: a downgrade at the end of the period, release and cancel."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from emulator_support import DAY, event_types, new_price
from stripe_emulator import Emulator

START = 1_790_000_000


def _subscribed(client: stripe.StripeClient, price: str) -> tuple[str, Any]:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price}],
            "default_payment_method": "pm_card_visa",
        }
    )
    return str(clock.id), subscription


def _downgrade_at_period_end(client: stripe.StripeClient, subscription: Any, to: str) -> Any:
    schedule = client.v1.subscription_schedules.create(
        params={"from_subscription": subscription.id}
    )
    phase = schedule.phases[0]
    return client.v1.subscription_schedules.update(
        schedule.id,
        params={
            "phases": [
                {
                    "items": [{"price": phase["items"][0].price, "quantity": 1}],
                    "start_date": phase.start_date,
                    "end_date": phase.end_date,
                },
                {"items": [{"price": to, "quantity": 1}], "proration_behavior": "none"},
            ],
            "end_behavior": "release",
        },
    )


def test_a_downgrade_takes_effect_at_the_renewal(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    pro, basic = new_price(client, amount=3000), new_price(client, amount=1000)
    clock, subscription = _subscribed(client, pro)
    end = subscription["items"].data[0].current_period_end
    schedule = _downgrade_at_period_end(client, subscription, basic)
    assert (schedule.status, schedule.end_behavior) == ("active", "release")
    assert schedule.phases[0].end_date == end
    assert schedule.phases[1].items[0].price == basic
    assert client.v1.subscriptions.retrieve(subscription.id).schedule == schedule.id

    client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": end - DAY})
    still = client.v1.subscriptions.retrieve(subscription.id)
    assert still["items"].data[0].price.id == pro  # keeps Pro until the period ends

    client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": end + 60})
    renewed = client.v1.subscriptions.retrieve(
        subscription.id, params={"expand": ["latest_invoice"]}
    )
    assert renewed["items"].data[0].price.id == basic
    assert renewed.latest_invoice.amount_paid == 1000
    assert renewed.latest_invoice.billing_reason == "subscription_cycle"
    moved = client.v1.subscription_schedules.retrieve(schedule.id)
    assert moved.current_phase.start_date == end
    assert "subscription_schedule.updated" in event_types(emulator, schedule.id)
    updates = [
        e
        for e in emulator.state.events_of(subscription.id)
        if e["type"] == "customer.subscription.updated" and e["created"] == end
    ]
    assert any("items" in e["data"]["previous_attributes"] for e in updates)

    second_end = renewed["items"].data[0].current_period_end
    client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": second_end + 60})
    released = client.v1.subscription_schedules.retrieve(schedule.id)
    assert (released.status, released.released_subscription) == ("released", subscription.id)
    after = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert after.schedule is None
    assert after.latest_invoice.amount_paid == 1000
    assert event_types(emulator, schedule.id)[-1] == "subscription_schedule.released"


def test_a_yearly_plan_moves_to_monthly_when_its_year_ends(client: stripe.StripeClient) -> None:
    yearly = new_price(client, amount=10000, interval="year")
    monthly = new_price(client, amount=1000)
    clock, subscription = _subscribed(client, yearly)
    end = subscription["items"].data[0].current_period_end
    _downgrade_at_period_end(client, subscription, monthly)
    client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": end + 60})
    after = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    item = after["items"].data[0]
    assert item.price.id == monthly
    assert (item.current_period_start, after.latest_invoice.amount_paid) == (end, 1000)
    assert 28 * DAY <= item.current_period_end - end <= 31 * DAY


def test_release_and_cancel(client: stripe.StripeClient, emulator: Emulator) -> None:
    price = new_price(client)
    _, subscription = _subscribed(client, price)
    schedule = client.v1.subscription_schedules.create(
        params={"from_subscription": subscription.id}
    )
    with pytest.raises(stripe.InvalidRequestError):  # already scheduled
        client.v1.subscription_schedules.create(params={"from_subscription": subscription.id})
    released = client.v1.subscription_schedules.release(schedule.id)
    assert (released.status, released.subscription) == ("released", None)
    assert client.v1.subscriptions.retrieve(subscription.id).schedule is None
    again = client.v1.subscription_schedules.create(params={"from_subscription": subscription.id})
    canceled = client.v1.subscription_schedules.cancel(again.id)
    assert canceled.status == "canceled"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "canceled"
    assert event_types(emulator, again.id) == [
        "subscription_schedule.created",
        "subscription_schedule.canceled",
    ]
    listed = client.v1.subscription_schedules.list(params={"customer": subscription.customer})
    assert [s.id for s in listed.data] == [again.id, schedule.id]


def test_a_scheduled_subscription_refuses_cancellation_changes_until_released(
    client: stripe.StripeClient,
) -> None:
    """As Stripe: "The subscription is managed by the subscription schedule ..., and
    updating any cancelation behavior directly is not allowed"; other updates go on."""
    price, cheaper = new_price(client), new_price(client, amount=500)
    _, subscription = _subscribed(client, price)
    schedule = _downgrade_at_period_end(client, subscription, cheaper)
    for params in ({"cancel_at_period_end": True}, {"cancel_at": START + 5 * DAY}):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.subscriptions.update(subscription.id, params=params)  # type: ignore[arg-type]
        assert f"managed by the subscription schedule `{schedule.id}`" in str(refused.value)
        assert refused.value.param == next(iter(params))
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is False
    client.v1.subscriptions.update(subscription.id, params={"metadata": {"note": "kept"}})

    client.v1.subscription_schedules.release(schedule.id)
    canceling = client.v1.subscriptions.update(
        subscription.id, params={"cancel_at_period_end": True}
    )
    assert canceling.cancel_at_period_end is True
