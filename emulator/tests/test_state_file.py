"""An emulator with a state file carries on after a restart (issue 8, item 10: `make run`
keeps its emulator's state under `instance/`).

That the app's `stripe-provision` finds its price and endpoint again is the app's test
(tests/integration/test_provision_restarted_emulator.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator_support import (
    DAY,
    LATER_FAILS_CARD,
    client_for,
    event_types,
    new_session,
    pay,
    subscribe,
)
from stripe_emulator import Emulator, StateFileError

HOOK = "http://127.0.0.1:9/webhook"


def restarted(path: Path) -> Emulator:
    return Emulator(port=0, tick_interval=None, delivery_backoff=0.05, state_file=path)


def test_restarting_keeps_customers_subscriptions_the_clock_and_the_webhook_secret(
    tmp_path: Path,
) -> None:
    path = tmp_path / "instance" / "stripe-emulator.json"
    with restarted(path) as first:
        endpoint = client_for(first).v1.webhook_endpoints.create(
            params={"url": HOOK, "enabled_events": ["*"]},
            options={"idempotency_key": "endpoint-once"},
        )
        customer, subscription = subscribe(client_for(first))
        first.advance(DAY)
        before = first.now()

    with restarted(path) as second:
        client = client_for(second)
        assert client.v1.customers.retrieve(customer).id == customer
        assert client.v1.subscriptions.retrieve(subscription).status == "active"
        assert second.now() >= before  # the clock's offset is kept
        again = client.v1.webhook_endpoints.create(
            params={"url": HOOK, "enabled_events": ["*"]},
            options={"idempotency_key": "endpoint-once"},
        )
        assert [e.id for e in client.v1.webhook_endpoints.list().data] == [endpoint.id]
    # The retried creation is answered from the kept idempotency cache: same secret.
    assert (again.id, again.secret) == (endpoint.id, endpoint.secret)


def test_billing_goes_on_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with restarted(path) as first:
        _, subscription = subscribe(client_for(first), LATER_FAILS_CARD)

    with restarted(path) as second:
        second.advance(32 * DAY)  # the saved card's next charge fails, as before
        client = client_for(second)
        assert client.v1.subscriptions.retrieve(subscription).status == "past_due"
        assert "invoice.payment_failed" in [event["type"] for event in second.state.events.values()]
        assert "customer.subscription.updated" in event_types(second, subscription)


def test_a_retried_request_after_a_restart_gets_its_first_answer(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    options = {"idempotency_key": "customer-once"}
    with restarted(path) as first:
        made = client_for(first).v1.customers.create(params={"email": "a@b.c"}, options=options)
    with restarted(path) as second:
        again = client_for(second).v1.customers.create(params={"email": "a@b.c"}, options=options)
        assert again.id == made.id
        assert len(second.state.customers) == 1


def test_without_a_state_file_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with Emulator(port=0, tick_interval=None) as emulator:
        subscribe(client_for(emulator))
    assert list(tmp_path.iterdir()) == []


def test_the_file_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with restarted(path) as emulator:
        subscribe(client_for(emulator))
        saved = json.loads(path.read_text())
    assert saved["format"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary left over


def test_an_unreadable_state_file_is_named_in_one_message(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json")
    with pytest.raises(StateFileError, match=r"state\.json is not a readable Stripe emulator"):
        restarted(path)


def test_a_state_kept_by_an_older_emulator_is_read_in_todays_shapes(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with restarted(path) as first:
        client = client_for(first)
        customer, subscription = subscribe(client)
        open_session = new_session(client, customer=customer)
    state = json.loads(path.read_text())
    # What an emulator before issue 9 wrote: ui_mode "hosted", invoice.subscription
    # null, and checkout extras without missing_payment_method.
    for session in state["store"]["checkout_sessions"].values():
        session["ui_mode"] = "hosted"
    for invoice in state["store"]["invoices"].values():
        invoice["subscription"] = None
    for extras in state["store"]["checkout_extras"].values():
        del extras["missing_payment_method"]
    path.write_text(json.dumps(state))

    with restarted(path) as second:
        client = client_for(second)
        assert client.v1.checkout.sessions.retrieve(open_session.id).ui_mode == "hosted_page"
        latest = client.v1.subscriptions.retrieve(subscription).latest_invoice
        assert "subscription" not in client.v1.invoices.retrieve(str(latest))
        assert pay(str(open_session.url).replace(first.url, second.url)).status == 303


def test_a_state_file_without_the_newer_tables_still_loads(tmp_path: Path) -> None:
    """Files written before schedules, coupons, prorations and trial notices existed."""
    path = tmp_path / "state.json"
    with Emulator(port=0, state_file=str(path), tick_interval=None):
        pass
    data = json.loads(path.read_text())
    for table in (
        "subscription_schedules",
        "coupons",
        "promotion_codes",
        "discounts",
        "pending_items",
        "trial_notices",
    ):
        del data["store"][table]
    path.write_text(json.dumps(data))
    with Emulator(port=0, state_file=str(path), tick_interval=None) as emu:
        assert emu.now() > 0


def test_portal_configurations_and_the_default_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with restarted(path) as first:
        client = client_for(first)
        made = client.v1.billing_portal.configurations.create(
            params={"features": {"invoice_history": {"enabled": True}}, "metadata": {"k": "v"}}
        )
        [default] = client.v1.billing_portal.configurations.list(params={"is_default": True}).data

    with restarted(path) as second:
        client = client_for(second)
        kept = client.v1.billing_portal.configurations.retrieve(made.id)
        assert kept.to_dict() == made.to_dict()
        [again] = client.v1.billing_portal.configurations.list(params={"is_default": True}).data
        assert again.id == default.id


def test_a_state_file_from_before_configurations_keeps_its_default_id(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with restarted(path) as first:
        customer, _ = subscribe(client_for(first))
        session = client_for(first).v1.billing_portal.sessions.create(params={"customer": customer})
    data = json.loads(path.read_text())
    del data["store"]["portal_configurations"]  # as an older emulator wrote it
    path.write_text(json.dumps(data))

    with restarted(path) as second:
        client = client_for(second)
        [default] = client.v1.billing_portal.configurations.list(params={"is_default": True}).data
        assert default.id == session.configuration
        assert client.v1.billing_portal.configurations.retrieve(default.id).is_default is True
