"""The emulator's objects have the shape of Stripe's own fixtures (the repository's
tests/fixtures/stripe, shared with the app's tests).

Every key of the fixture must be present, recursively, with the same JSON type
wherever the fixture's value is not null. The fixture shows one example with
every optional part filled in; where Stripe documents a field as nullable and
the emulator's object genuinely has nothing there (a subscription not
scheduled to cancel has ``cancel_at: null``), null is accepted, but only at
the paths listed in ``NULLABLE`` below.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import stripe

from emulator_support import http_request, new_price, subscribe
from stripe_emulator import Emulator

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "stripe" / "fixtures3.json"

_PRICE = ("custom_unit_amount", "transform_quantity")
_ITEM = (
    *(f"price.{path}" for path in _PRICE),
    "plan.transform_usage",
    "billing_thresholds",
)

# Paths (dot-separated, lists by their first element) where Stripe's API allows
# null and the emulator's object has nothing to show.
NULLABLE: dict[str, frozenset[str]] = {
    "customer": frozenset(
        {"address", "currency", "discount", "shipping", "invoice_settings.rendering_options"}
    ),
    "product": frozenset({"default_price", "description", "package_dimensions"}),
    "price": frozenset(_PRICE),
    "subscription_item": frozenset(_ITEM),
    "subscription": frozenset(
        {
            "automatic_tax.liability",
            "billing_cycle_anchor_config",
            "billing_mode.flexible",
            "billing_thresholds",
            "cancel_at",
            "canceled_at",
            "ended_at",
            "next_pending_invoice_item_invoice",
            "pause_collection",
            "payment_settings.payment_method_options",
            "pending_invoice_item_interval",
            "pending_update",
            "transfer_data",
            "trial_end",
            "trial_start",
            *(f"items.data.{path}" for path in _ITEM),
        }
    ),
    "invoice": frozenset(
        {
            "automatic_tax.liability",
            "customer_address",
            "customer_shipping",
            "due_date",
            "effective_at",
            "from_invoice",
            "last_finalization_error",
            "lines.data.parent.invoice_item_details",
            "lines.data.parent.subscription_item_details.proration_details.credited_items",
            "next_payment_attempt",
            "parent.quote_details",
            "payment_settings.payment_method_options",
            "rendering",
            "shipping_cost",
            "shipping_details",
            "webhooks_delivered_at",
        }
    ),
    "checkout.session": frozenset(
        {
            "after_expiration",
            "automatic_tax.liability",
            "collected_information",
            "consent",
            "consent_collection",
            "currency_conversion",
            "custom_text.after_submit",
            "custom_text.shipping_address",
            "custom_text.submit",
            "custom_text.terms_of_service_acceptance",
            "customer_details",  # until the session completes
            "customer_details.address",
            "invoice_creation",
            "payment_intent",
            "payment_method_configuration_details",
            "permissions",
            "saved_payment_method_options",
            "shipping_address_collection",
            "shipping_cost",
            "url",
            "wallet_options",
        }
    ),
    "billing_portal.session": frozenset({"flow"}),
    "billing_portal.configuration": frozenset(
        {"business_profile.privacy_policy_url", "business_profile.terms_of_service_url"}
    ),
    "subscription_schedule": frozenset(
        {
            "canceled_at",
            "completed_at",
            "released_at",
            "default_settings.automatic_tax.liability",
            "default_settings.billing_thresholds",
            "default_settings.transfer_data",
            "billing_mode.flexible",
            "phases.billing_thresholds",
            "phases.invoice_settings",
            "phases.transfer_data",
            "phases.items.billing_thresholds",
            "phases.items.plan.transform_usage",
        }
    ),
    "webhook_endpoint": frozenset({"description"}),
    "payment_method": frozenset(
        {
            "billing_details.address.city",
            "billing_details.address.country",
            "billing_details.address.line1",
            "billing_details.address.postal_code",
            "billing_details.address.state",
            "billing_details.email",
            "billing_details.phone",
            "card.generated_from",
            "card.wallet",
        }
    ),
    "test_helpers.test_clock": frozenset(),
    "event": frozenset(),
}


# Keys the fixture still lists (as null) but the current API version removed: they
# must be absent, so that a client still reading them fails loudly.
REMOVED: dict[str, frozenset[str]] = {
    "invoice": frozenset({"subscription"}),  # 2025-03-31.basil: parent.subscription_details
}


def fixtures() -> dict[str, Any]:
    return json.loads(FIXTURES.read_text())["resources"]  # type: ignore[no-any-return]


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def shape_differences(
    expected: Any, actual: Any, nullable: frozenset[str], path: str = ""
) -> list[str]:
    """Where ``actual`` lacks a key of ``expected`` or has another JSON type."""
    problems: list[str] = []
    for key, value in expected.items():
        here = f"{path}.{key}" if path else key
        if key not in actual:
            problems.append(f"missing {here}")
            continue
        mine = actual[key]
        if value is None:
            continue
        if mine is None:
            if here not in nullable:
                problems.append(f"null at {here}, expected {_json_type(value)}")
            continue
        if _json_type(value) != _json_type(mine):
            problems.append(f"{here}: {_json_type(mine)} instead of {_json_type(value)}")
        elif isinstance(value, dict) and key != "metadata":  # metadata: free-form keys
            problems += shape_differences(value, mine, nullable, here)
        elif isinstance(value, list) and value and mine and isinstance(value[0], dict):
            problems += shape_differences(value[0], mine[0], nullable, here)
    return problems


def assert_shape(resource: str, obj: Any) -> None:
    data = obj if isinstance(obj, dict) else obj.last_response.data
    assert data["object"] == resource
    removed = REMOVED.get(resource, frozenset())
    expected = {k: v for k, v in fixtures()[resource].items() if k not in removed}
    problems = shape_differences(expected, data, NULLABLE[resource])
    problems += [f"removed {key} is present" for key in sorted(removed) if key in data]
    assert problems == [], f"{resource}: {problems}"


@pytest.fixture(scope="module")
def paid(emulator: Emulator) -> dict[str, Any]:
    """Objects of one paid checkout, as raw JSON from the API."""
    from emulator_support import client_for

    client = client_for(emulator)
    customer_id, subscription_id = subscribe(client)
    subscription = client.v1.subscriptions.retrieve(subscription_id)
    invoice = client.v1.invoices.retrieve(str(subscription.latest_invoice))
    session = client.v1.checkout.sessions.list(params={"customer": customer_id}).data[0]
    return {
        "customer": client.v1.customers.retrieve(customer_id).last_response.data,
        "subscription": subscription.last_response.data,
        "invoice": invoice.last_response.data,
        "checkout.session": session.to_dict(),
        "customer_id": customer_id,
    }


def test_customer_has_stripes_shape(paid: dict[str, Any]) -> None:
    assert_shape("customer", paid["customer"])


def test_product_and_price_have_stripes_shape(client: stripe.StripeClient) -> None:
    price = client.v1.prices.retrieve(new_price(client))
    assert_shape("price", price)
    assert_shape("product", client.v1.products.retrieve(str(price.product)))


def test_open_checkout_session_has_stripes_shape(client: stripe.StripeClient) -> None:
    from emulator_support import new_session

    assert_shape("checkout.session", new_session(client, email="shape@example.com"))


def test_completed_checkout_session_has_stripes_shape(paid: dict[str, Any]) -> None:
    assert paid["checkout.session"]["status"] == "complete"
    assert paid["checkout.session"]["customer_details"]["email"] == "payer@example.com"
    assert_shape("checkout.session", paid["checkout.session"])


def test_subscription_and_its_items_have_stripes_shape(paid: dict[str, Any]) -> None:
    assert_shape("subscription", paid["subscription"])
    assert_shape("subscription_item", paid["subscription"]["items"]["data"][0])


def test_invoice_has_stripes_shape(paid: dict[str, Any]) -> None:
    assert_shape("invoice", paid["invoice"])
    line = paid["invoice"]["lines"]["data"][0]
    problems = shape_differences(
        fixtures()["line_item"],
        line,
        frozenset(
            {
                "parent.invoice_item_details",
                "parent.subscription_item_details.proration_details.credited_items",
            }
        ),
    )
    assert problems == []


def test_an_invoice_has_no_subscription_field_since_the_api_removed_it(
    client: stripe.StripeClient, paid: dict[str, Any]
) -> None:
    invoice = client.v1.invoices.retrieve(paid["invoice"]["id"])
    assert "subscription" not in invoice
    with pytest.raises(AttributeError):
        _ = invoice.subscription  # a client still reading it fails loudly
    assert invoice.parent.subscription_details.subscription == paid["subscription"]["id"]


def test_events_have_stripes_shape_and_their_objects_too(
    client: stripe.StripeClient, paid: dict[str, Any]
) -> None:
    events = client.v1.events.list(params={"limit": 100}).last_response.data["data"]
    mine = [e for e in events if paid["customer_id"] in json.dumps(e["data"]["object"])]
    assert {e["type"] for e in mine} >= {
        "customer.created",
        "checkout.session.completed",
        "customer.subscription.created",
        "invoice.paid",
    }
    for event in mine:
        envelope = {**event, "data": {}}
        assert shape_differences({**fixtures()["event"], "data": {}}, envelope, frozenset()) == []
        assert_shape(event["data"]["object"]["object"], event["data"]["object"])


def test_portal_session_has_stripes_shape(
    client: stripe.StripeClient, paid: dict[str, Any]
) -> None:
    session = client.v1.billing_portal.sessions.create(
        params={"customer": paid["customer_id"], "return_url": "http://127.0.0.1:9/account"}
    )
    assert_shape("billing_portal.session", session)


def test_webhook_endpoint_has_stripes_shape(client: stripe.StripeClient) -> None:
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["invoice.paid"]}
    )
    try:
        assert_shape("webhook_endpoint", endpoint)
        assert_shape("webhook_endpoint", client.v1.webhook_endpoints.retrieve(endpoint.id))
    finally:
        client.v1.webhook_endpoints.delete(endpoint.id)


def test_subscription_schedule_has_stripes_shape(client: stripe.StripeClient) -> None:
    _, subscription_id = subscribe(client)
    schedule = client.v1.subscription_schedules.create(
        params={"from_subscription": subscription_id}
    )
    assert_shape("subscription_schedule", schedule)


def test_test_clock_has_stripes_shape(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_700_000_000})
    assert_shape("test_helpers.test_clock", clock)


def test_the_comparison_catches_a_missing_key_and_a_wrong_type() -> None:
    expected = {"a": 1, "b": {"c": "x"}, "d": [{"e": True}], "f": None}
    assert (
        shape_differences(expected, {"a": 1, "b": {"c": "y"}, "d": [], "f": 3}, frozenset()) == []
    )
    problems = shape_differences(expected, {"a": "1", "b": {}, "d": [{"e": 1}]}, frozenset())
    assert problems == [
        "a: string instead of number",
        "missing b.c",
        "d.e: number instead of boolean",
        "missing f",
    ]


def test_null_is_accepted_only_where_listed() -> None:
    assert shape_differences({"a": 1}, {"a": None}, frozenset()) == ["null at a, expected number"]
    assert shape_differences({"a": 1}, {"a": None}, frozenset({"a"})) == []


def test_hosted_checkout_page_is_reachable(client: stripe.StripeClient) -> None:
    from emulator_support import new_session

    session = new_session(client, email="page@example.com")
    assert http_request("GET", str(session.url)).status == 200
