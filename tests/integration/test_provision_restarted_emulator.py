"""`stripe-provision` against an emulator that restarted with its state file (issue 8,
item 10: `make run` keeps its emulator's state under `instance/`): the same price and the
same webhook endpoint and secret, never a second endpoint."""

from pathlib import Path

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


def test_an_endpoint_made_before_the_trial_notice_is_found_and_given_it(tmp_path: Path) -> None:
    """An emulator state (or a day-old idempotency key at Stripe) from before plans: the
    same endpoint and secret, now sent customer.subscription.trial_will_end too."""
    from adapters.stripe.provision import WEBHOOK_EVENTS

    older = [e for e in WEBHOOK_EVENTS if e != "customer.subscription.trial_will_end"]
    with restarted(tmp_path / "state.json") as emulator:
        client = stripe.StripeClient(KEY, base_addresses={"api": emulator.url})
        before = client.v1.webhook_endpoints.create(
            params={"url": HOOK, "enabled_events": older},  # type: ignore[typeddict-item]
            options={"idempotency_key": f"webhook-endpoint-{HOOK}"},
        )
        made = provision(KEY, webhook_url=HOOK, api_base=emulator.url)
        [endpoint] = client.v1.webhook_endpoints.list().data
    assert (made.webhook_endpoint_id, made.webhook_secret) == (before.id, before.secret)
    assert "customer.subscription.trial_will_end" in endpoint.enabled_events
