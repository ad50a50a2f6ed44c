"""Saved cards as ``payment_method`` objects: retrieved, listed for a customer, and
expanded from a subscription or a customer (what an account page reads: brand, last
four, expiry, never the number)."""

from __future__ import annotations

import pytest
import stripe

from emulator_support import LATER_FAILS_CARD, http_request, new_session, subscribe
from stripe_emulator import Emulator
from test_shapes import assert_shape


def test_the_card_paid_with_at_checkout_is_the_subscriptions_payment_method(
    client: stripe.StripeClient,
) -> None:
    customer_id, subscription_id = subscribe(client, LATER_FAILS_CARD)
    subscription = client.v1.subscriptions.retrieve(
        subscription_id,
        params={"expand": ["default_payment_method"]},
    )
    method = subscription.default_payment_method
    assert not isinstance(method, str) and method is not None
    assert (method.type, method.card.brand, method.card.last4) == ("card", "visa", "0341")
    assert (method.card.exp_month, method.card.exp_year) == (12, 2034)
    assert method.customer == customer_id
    assert "4000000000000341" not in str(subscription.last_response.body)

    again = client.v1.payment_methods.retrieve(method.id)
    assert again.to_dict() == method.to_dict()
    listed = client.v1.payment_methods.list(params={"customer": customer_id, "type": "card"})
    assert [m.id for m in listed.data] == [method.id]


def test_a_payment_method_has_stripes_shape(client: stripe.StripeClient) -> None:
    _, subscription_id = subscribe(client)
    subscription = client.v1.subscriptions.retrieve(subscription_id)
    method = client.v1.payment_methods.retrieve(str(subscription.default_payment_method))
    assert_shape("payment_method", method)


def test_a_card_updated_in_the_portal_is_the_customers_default_and_expands_there(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    customer_id, subscription_id = subscribe(client)
    portal = client.v1.billing_portal.sessions.create(params={"customer": customer_id})
    http_request(
        "POST",
        f"{portal.url}/card",
        form={"card_number": "4000 0000 0000 0341", "card_expiry": "12 / 34", "card_cvc": "123"},
    )
    customer = client.v1.customers.retrieve(
        customer_id, params={"expand": ["invoice_settings.default_payment_method"]}
    )
    assert customer.invoice_settings.default_payment_method.card.last4 == "0341"
    through_subscription = client.v1.subscriptions.retrieve(
        subscription_id,
        params={
            "expand": ["default_payment_method", "customer.invoice_settings.default_payment_method"]
        },
    )
    assert through_subscription.default_payment_method.card.last4 == "0341"
    listed = client.v1.payment_methods.list(params={"customer": customer_id})
    assert [m.card.last4 for m in listed.data] == ["0341", "4242"]


def test_a_trial_without_a_card_has_no_payment_method(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "trial@example.com"})
    session = new_session(
        client,
        customer=customer.id,
        payment_method_collection="if_required",
        subscription_data={"trial_period_days": 7},
    )
    assert http_request("POST", str(session.url), form={"card_number": ""}).status == 303
    subscription_id = str(client.v1.checkout.sessions.retrieve(session.id).subscription)
    subscription = client.v1.subscriptions.retrieve(
        subscription_id, params={"expand": ["default_payment_method"]}
    )
    assert subscription.default_payment_method is None
    assert client.v1.payment_methods.list(params={"customer": customer.id}).data == []


def test_unknown_payment_methods_and_customers_are_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_methods.retrieve("pm_nothing")
    assert missing.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.payment_methods.list(params={"customer": "cus_nothing"})
    assert unknown.value.param == "customer"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.list()  # type: ignore[call-arg]
