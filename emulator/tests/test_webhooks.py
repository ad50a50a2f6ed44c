"""Webhook delivery: Stripe's signature, retries, and the misbehaviour modes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import stripe

from emulator_support import client_for, http_request, webhook_receiver
from stripe_emulator import Emulator


def _customer(client: stripe.StripeClient, email: str = "hook@example.com") -> str:
    return str(client.v1.customers.create(params={"email": email}).id)


def test_the_signature_verifies_with_the_stripe_sdk(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    with webhook_receiver() as receiver:
        endpoint = own_client.v1.webhook_endpoints.create(
            params={"url": receiver.url, "enabled_events": ["customer.created"]}
        )
        customer_id = _customer(own_client)
        own_client.v1.prices.create(
            params={"currency": "usd", "unit_amount": 1, "product_data": {"name": "x"}}
        )
        assert own_emulator.delivery.wait_idle(5)

    assert len(receiver.received) == 1  # only the enabled event type
    delivered = receiver.received[0]
    event = stripe.Webhook.construct_event(
        delivered.body, delivered.headers["Stripe-Signature"], str(endpoint.secret)
    )
    assert event.type == "customer.created"
    assert event.data.object.id == customer_id
    assert delivered.headers["Content-Type"] == "application/json; charset=utf-8"
    assert delivered.headers["User-Agent"] == "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
    timestamp = int(delivered.headers["Stripe-Signature"].split(",")[0].removeprefix("t="))
    assert abs(timestamp - time.time()) < 60  # wall-clock time, not a test clock
    # Stripe's scheme: v1 is the HMAC-SHA256 of "{t}.{raw body}" under the secret.
    signed = f"{timestamp}.{delivered.body}".encode()
    expected = hmac.new(str(endpoint.secret).encode(), signed, hashlib.sha256).hexdigest()
    assert delivered.headers["Stripe-Signature"] == f"t={timestamp},v1={expected}"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            delivered.body, delivered.headers["Stripe-Signature"], "whsec_wrong"
        )


def test_a_failing_endpoint_is_retried_until_it_answers_2xx(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    with webhook_receiver(statuses=[500, 503]) as receiver:
        own_emulator.add_webhook_endpoint(receiver.url, enabled_events=["customer.created"])
        _customer(own_client)
        assert own_emulator.delivery.wait_idle(5)

    attempts = own_emulator.delivery.attempts
    assert [(a.attempt, a.status_code, a.succeeded) for a in attempts] == [
        (1, 500, False),
        (2, 503, False),
        (3, 200, True),
    ]
    assert len({a.event_id for a in attempts}) == 1
    assert receiver.received[0].body == receiver.received[2].body
    listed = http_request("GET", f"{own_emulator.url}/_emulator/deliveries")
    assert [a["status_code"] for a in json.loads(listed.body)["data"]] == [500, 503, 200]
    event = own_client.v1.events.retrieve(attempts[0].event_id)
    assert event.pending_webhooks == 0


def test_an_unreachable_endpoint_gives_up_after_max_attempts(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    with webhook_receiver() as receiver:
        dead_url = receiver.url
    own_emulator.add_webhook_endpoint(dead_url)
    with webhook_receiver() as alive:
        own_emulator.add_webhook_endpoint(alive.url, enabled_events=["customer.created"])
        _customer(own_client)
        assert own_emulator.delivery.wait_idle(10)
    dead = [a for a in own_emulator.delivery.attempts if a.url == dead_url]
    assert len(dead) == own_emulator.delivery.max_attempts
    assert all(a.status_code is None and a.error for a in dead)
    assert alive.event_types() == ["customer.created"]  # not blocked by the dead endpoint


def test_duplicate_mode_delivers_every_event_twice(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    with webhook_receiver() as receiver:
        own_emulator.add_webhook_endpoint(receiver.url)
        own_emulator.delivery.set_mode("duplicate")
        _customer(own_client)
        assert own_emulator.delivery.wait_idle(5)
    ids = receiver.event_ids()
    assert len(ids) == 2
    assert ids[0] == ids[1]


def test_reorder_mode_releases_held_events_newest_first(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    with webhook_receiver() as receiver:
        own_emulator.add_webhook_endpoint(receiver.url, enabled_events=["customer.created"])
        result = http_request(
            "POST",
            f"{own_emulator.url}/_emulator/delivery",
            body='{"mode": "reorder"}',
            headers={"Content-Type": "application/json"},
        )
        assert result.status == 200
        made = [_customer(own_client, f"r{i}@example.com") for i in range(3)]
        assert own_emulator.delivery.wait_idle(5)
        assert receiver.received == []
        assert own_emulator.delivery.held == 3
        flushed = http_request("POST", f"{own_emulator.url}/_emulator/delivery/flush")
        assert json.loads(flushed.body)["released"] == 3
        assert own_emulator.delivery.wait_idle(5)
    delivered = [json.loads(r.body)["data"]["object"]["id"] for r in receiver.received]
    assert delivered == list(reversed(made))


def test_delay_mode_holds_events_until_flushed(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    with webhook_receiver() as receiver:
        own_emulator.add_webhook_endpoint(receiver.url, enabled_events=["customer.created"])
        own_emulator.delivery.set_mode("delay")
        made = [_customer(own_client, f"d{i}@example.com") for i in range(2)]
        assert own_emulator.delivery.wait_idle(5)
        assert receiver.received == []
        own_emulator.delivery.set_mode("normal")
        assert own_emulator.delivery.flush() == 2
        assert own_emulator.delivery.wait_idle(5)
    delivered = [json.loads(r.body)["data"]["object"]["id"] for r in receiver.received]
    assert delivered == made


def test_delay_mode_with_seconds_delivers_later_by_itself(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    with webhook_receiver() as receiver:
        own_emulator.add_webhook_endpoint(receiver.url, enabled_events=["customer.created"])
        own_emulator.delivery.set_mode("delay", seconds=0.3)
        started = time.monotonic()
        _customer(own_client)
        assert receiver.received == []
        assert own_emulator.delivery.wait_idle(5)
    assert time.monotonic() - started >= 0.3
    assert len(receiver.received) == 1


def test_drop_mode_records_events_but_never_delivers_them(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    with webhook_receiver() as receiver:
        own_emulator.add_webhook_endpoint(receiver.url)
        own_emulator.delivery.set_mode("drop")
        customer_id = _customer(own_client)
        assert own_emulator.delivery.wait_idle(5)
        own_emulator.delivery.flush()
        assert own_emulator.delivery.wait_idle(5)
    assert receiver.received == []
    events = own_client.v1.events.list(params={"type": "customer.created"}).data
    assert events[0].data.object.id == customer_id
    assert own_emulator.delivery.dropped == [events[0].id]


def test_an_unknown_mode_is_refused(own_emulator: Emulator) -> None:
    result = http_request("POST", f"{own_emulator.url}/_emulator/delivery", form={"mode": "chaos"})
    assert result.status == 400
    with pytest.raises(ValueError, match="mode"):
        own_emulator.delivery.set_mode("chaos")


def test_a_paid_checkout_reaches_the_endpoint_in_order(own_emulator: Emulator) -> None:
    from emulator_support import subscribe

    client = client_for(own_emulator)
    with webhook_receiver() as receiver:
        own_emulator.add_webhook_endpoint(receiver.url, secret="whsec_chosen")
        subscribe(client)
        assert own_emulator.delivery.wait_idle(5)
    assert receiver.event_types() == [
        "customer.created",
        "product.created",
        "price.created",
        "checkout.session.completed",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]
    for received in receiver.received:
        stripe.WebhookSignature.verify_header(
            received.body, received.headers["Stripe-Signature"], "whsec_chosen"
        )


def test_in_duplicate_mode_each_endpoint_counts_once_in_pending_webhooks(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    """Issue 9: both copies were counted off, so with a second endpoint that never
    received the event, pending_webhooks reached 0."""
    with webhook_receiver() as good, webhook_receiver(statuses=[500] * 50) as failing:
        for receiver in (good, failing):
            own_client.v1.webhook_endpoints.create(
                params={"url": receiver.url, "enabled_events": ["customer.created"]}
            )
        own_emulator.delivery.set_mode("duplicate")
        customer_id = _customer(own_client)
        assert own_emulator.delivery.wait_idle(10)
    assert good.event_types() == ["customer.created", "customer.created"]
    [event] = own_client.v1.events.list(params={"type": "customer.created"}).data
    assert event.data.object.id == customer_id
    assert event.pending_webhooks == 1  # the failing endpoint still waits for it


def test_delivery_success_false_lists_the_events_an_endpoint_missed(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    """The query that recovers missed webhooks (issue 9: the filter was ignored)."""
    with webhook_receiver() as receiver:
        own_client.v1.webhook_endpoints.create(
            params={"url": receiver.url, "enabled_events": ["customer.created"]}
        )
        delivered = _customer(own_client, "delivered@example.com")
        assert own_emulator.delivery.wait_idle(5)
        own_emulator.delivery.set_mode("drop")
        missed = _customer(own_client, "missed@example.com")
        assert own_emulator.delivery.wait_idle(5)

    def customers(success: bool) -> list[str]:
        events = own_client.v1.events.list(
            params={"type": "customer.created", "delivery_success": success}
        )
        return [event.data.object.id for event in events.data]

    assert customers(False) == [missed]
    assert customers(True) == [delivered]
    assert len(own_client.v1.events.list(params={"type": "customer.created"}).data) == 2


def test_an_endpoint_that_fails_every_attempt_leaves_its_events_undelivered(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    """Endpoint down (5xx on each retry, until the emulator gives up): the event stays in
    `delivery_success=false`, found with the filters the app's catch-up sends (its event
    types, and a creation time)."""
    with webhook_receiver(statuses=[500] * 50) as down:
        own_client.v1.webhook_endpoints.create(
            params={"url": down.url, "enabled_events": ["customer.created"]}
        )
        missed = _customer(own_client, "down@example.com")
        assert own_emulator.delivery.wait_idle(10)
    assert len(down.received) == 4  # every attempt (delivery_max_attempts) refused

    def undelivered(since: int) -> list[str]:
        events = own_client.v1.events.list(
            params={
                "delivery_success": False,
                "types": ["customer.created", "invoice.paid"],
                "created": {"gte": since},
            }
        )
        return [event.data.object.id for event in events.data]

    now = int(own_emulator.now())
    assert undelivered(now - 3600) == [missed]
    assert undelivered(now + 3600) == []
