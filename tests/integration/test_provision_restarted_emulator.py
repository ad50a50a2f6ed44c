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
