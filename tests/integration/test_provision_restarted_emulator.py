"""`stripe-provision` against an emulator that restarted with its state file (issue 8,
item 10: `make run` keeps its emulator's state under `instance/`): the same price and the
same webhook endpoint and secret, never a second endpoint."""

from pathlib import Path

import pytest
import stripe

from adapters.stripe.provision import provision
from stripe_emulator import Emulator

KEY = "sk_test_state_file"
HOOK = "http://127.0.0.1:9/webhook"


def restarted(path: Path) -> Emulator:
    return Emulator(port=0, tick_interval=None, delivery_backoff=0.05, state_file=path)


def test_provisioning_again_after_a_restart_finds_what_it_made(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "stripe-emulator.json"
    with restarted(path) as first:
        made = provision(KEY, webhook_url=HOOK, api_base=first.url)

    with restarted(path) as second:
        again = provision(KEY, webhook_url=HOOK, api_base=second.url)
        client = stripe.StripeClient(KEY, base_addresses={"api": second.url})
        endpoints = client.v1.webhook_endpoints.list().data
    # One endpoint per URL, or every event would be delivered twice.
    assert (again.price_id, again.webhook_endpoint_id) == (made.price_id, made.webhook_endpoint_id)
    assert again.webhook_secret == made.webhook_secret
    assert [endpoint.id for endpoint in endpoints] == [made.webhook_endpoint_id]


# The lists endpoints were made with before, as they were (newest first).
BEFORE_ASYNC_PAYMENTS = [
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
    "invoice.paid",
    "invoice.payment_failed",
]
BEFORE_PLANS = [e for e in BEFORE_ASYNC_PAYMENTS if e != "customer.subscription.trial_will_end"]


@pytest.mark.parametrize("older", [BEFORE_ASYNC_PAYMENTS, BEFORE_PLANS])
def test_an_endpoint_made_with_an_earlier_list_is_found_and_given_the_current_one(
    tmp_path: Path, older: list[str]
) -> None:
    """An emulator state (or a day-old idempotency key at Stripe) from before: the same
    endpoint and secret, now sent every event the service acts on."""
    from adapters.stripe.provision import WEBHOOK_EVENTS

    with restarted(tmp_path / "state.json") as emulator:
        client = stripe.StripeClient(KEY, base_addresses={"api": emulator.url})
        before = client.v1.webhook_endpoints.create(
            params={"url": HOOK, "enabled_events": older},  # type: ignore[typeddict-item]
            options={"idempotency_key": f"webhook-endpoint-{HOOK}"},
        )
        made = provision(KEY, webhook_url=HOOK, api_base=emulator.url)
        [endpoint] = client.v1.webhook_endpoints.list().data
    assert (made.webhook_endpoint_id, made.webhook_secret) == (before.id, before.secret)
    assert list(endpoint.enabled_events) == list(WEBHOOK_EVENTS)
