"""Trials: started through Checkout (with or without a card) or the API, announced three
days before they end, then charged, or cancelled or paused when there is no card."""

from __future__ import annotations

from typing import Any

import stripe

from emulator_support import (
    DAY,
    GOOD_CARD,
    LATER_FAILS_CARD,
    event_types,
    http_request,
    new_price,
    new_session,
    pay,
)
from stripe_emulator import Emulator

START = 1_790_000_000


def _trial_checkout(
    client: stripe.StripeClient, *, card: str | None, missing: str = "create_invoice", **extra: Any
) -> tuple[str, Any]:
    """A customer on a new test clock who started a 14-day trial through Checkout;
    returns (clock id, the subscription)."""
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    customer = client.v1.customers.create(
        params={"email": "trial@example.com", "test_clock": clock.id}
    )
    session = new_session(
        client,
        customer=customer.id,
        subscription_data={
            "trial_period_days": 14,
            "trial_settings": {"end_behavior": {"missing_payment_method": missing}},
        },
        **extra,
    )
    if card is None:
        page = http_request("GET", str(session.url))
        assert "No card needed" in page.body
        assert (
            'name="card_number"' in page.body
            and "required" not in page.body.split('name="card_number"')[1].split(">")[0]
        )
        result = http_request("POST", str(session.url), form={"card_number": ""})
    else:
        result = pay(str(session.url), card)
    assert result.status == 303, result.body
    paid = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    assert paid.payment_status == "no_payment_required"
    return str(clock.id), paid.subscription


def _advance(client: stripe.StripeClient, clock: str, to: int) -> None:
    client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": to})


def test_a_trial_without_a_card_is_announced_then_cancelled(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    clock, subscription = _trial_checkout(
        client, card=None, missing="cancel", payment_method_collection="if_required"
    )
    assert subscription.status == "trialing"
    assert subscription.default_payment_method is None
    assert subscription.trial_end == START + 14 * DAY
    assert subscription.trial_settings.end_behavior.missing_payment_method == "cancel"
    _advance(client, clock, START + 11 * DAY - 1)
    assert "customer.subscription.trial_will_end" not in event_types(emulator, subscription.id)
    _advance(client, clock, START + 11 * DAY)
    notices = [
        event
        for event in emulator.state.events_of(subscription.id)
        if event["type"] == "customer.subscription.trial_will_end"
    ]
    assert [event["created"] for event in notices] == [START + 11 * DAY]
    _advance(client, clock, START + 15 * DAY)
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert ended.status == "canceled"
    assert ended.ended_at == START + 14 * DAY
    types = event_types(emulator, subscription.id)
    assert types.count("customer.subscription.trial_will_end") == 1
    assert types[-1] == "customer.subscription.deleted"


def test_a_trial_without_a_card_pauses_when_told(client: stripe.StripeClient) -> None:
    clock, subscription = _trial_checkout(
        client, card=None, missing="pause", payment_method_collection="if_required"
    )
    _advance(client, clock, START + 14 * DAY + 60)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "paused"


def test_a_trial_with_a_card_is_charged_when_it_ends(client: stripe.StripeClient) -> None:
    clock, subscription = _trial_checkout(client, card=GOOD_CARD)
    assert subscription.status == "trialing"
    _advance(client, clock, START + 14 * DAY + 60)
    active = client.v1.subscriptions.retrieve(
        subscription.id, params={"expand": ["latest_invoice"]}
    )
    assert active.status == "active"
    assert (active.latest_invoice.amount_paid, active.latest_invoice.status) == (2000, "paid")
    assert active["items"].data[0].current_period_start == START + 14 * DAY


def test_a_trial_whose_card_fails_at_the_end_is_past_due(client: stripe.StripeClient) -> None:
    clock, subscription = _trial_checkout(client, card=LATER_FAILS_CARD)
    _advance(client, clock, START + 14 * DAY + 60)
    owing = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert owing.status == "past_due"
    assert owing.latest_invoice.status == "open"


def test_without_if_required_the_card_is_needed(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "needscard@example.com"})
    session = new_session(client, customer=customer.id, subscription_data={"trial_period_days": 7})
    assert session.payment_method_collection == "always"
    assert http_request("POST", str(session.url), form={"card_number": ""}).status == 400
    paid_now = new_session(client, customer=customer.id, payment_method_collection="if_required")
    assert paid_now.payment_method_collection == "if_required"
    assert http_request("POST", str(paid_now.url), form={"card_number": ""}).status == 400


def test_an_api_trial_ends_at_trial_end(client: stripe.StripeClient, emulator: Emulator) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": new_price(client)}],
            "trial_end": START + 2 * DAY,
            "default_payment_method": "pm_card_visa",
        }
    )
    assert (subscription.status, subscription.trial_end) == ("trialing", START + 2 * DAY)
    _advance(client, str(clock.id), START + 60)  # a trial shorter than 3 days: announced at once
    assert "customer.subscription.trial_will_end" in event_types(emulator, subscription.id)
    _advance(client, str(clock.id), START + 2 * DAY + 60)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
