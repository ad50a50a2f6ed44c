"""Coupons and promotion codes: typed on the checkout page or given through the API, and
taken off the invoices for as long as their duration says."""

from __future__ import annotations

import uuid
from typing import Any

import stripe

from emulator_support import GOOD_CARD, card_form, http_request, new_price, new_session

START = 1_790_000_000


def _code() -> str:
    return f"SPRING{uuid.uuid4().hex[:6].upper()}"


def _renew(client: stripe.StripeClient, clock: str, subscription_id: str) -> Any:
    subscription = client.v1.subscriptions.retrieve(subscription_id)
    end = subscription["items"].data[0].current_period_end
    client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": end + 60})
    return client.v1.subscriptions.retrieve(subscription_id, params={"expand": ["latest_invoice"]})


def test_a_promotion_code_typed_at_checkout_discounts_every_invoice(
    client: stripe.StripeClient,
) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 20, "duration": "forever"})
    code = _code()
    promo = client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": code}
    )
    assert (promo.active, promo.promotion.coupon) == (True, coupon.id)
    found = client.v1.promotion_codes.list(params={"code": code, "active": True})
    assert [p.id for p in found.data] == [promo.id]
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    customer = client.v1.customers.create(params={"email": "p@example.com", "test_clock": clock.id})
    session = new_session(client, customer=customer.id, allow_promotion_codes=True)
    page = http_request("GET", str(session.url))
    assert 'name="promotion_code"' in page.body
    wrong = http_request(
        "POST", str(session.url), form={**card_form(GOOD_CARD), "promotion_code": "NOPE"}
    )
    assert wrong.status == 400 and "This code is invalid." in wrong.body
    paid = http_request(
        "POST", str(session.url), form={**card_form(GOOD_CARD), "promotion_code": code.lower()}
    )
    assert paid.status == 303, paid.body
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.amount_total, done.total_details.amount_discount) == (1600, 400)
    assert done.discounts[0].promotion_code == promo.id
    subscription = client.v1.subscriptions.retrieve(
        str(done.subscription), params={"expand": ["latest_invoice", "discounts"]}
    )
    discount = subscription.discounts[0]
    assert (discount.source.coupon, discount.promotion_code) == (coupon.id, promo.id)
    assert discount.end is None
    invoice = subscription.latest_invoice
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (2000, 1600, 1600)
    assert invoice.total_discount_amounts[0].amount == 400
    assert invoice.total_discount_amounts[0].discount == discount.id
    assert _renew(client, str(clock.id), subscription.id).latest_invoice.amount_paid == 1600
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1
    assert client.v1.promotion_codes.retrieve(promo.id).times_redeemed == 1


def test_a_once_coupon_given_by_the_api_discounts_the_first_invoice_only(
    client: stripe.StripeClient,
) -> None:
    coupon = client.v1.coupons.create(
        params={"amount_off": 500, "currency": "usd", "duration": "once", "name": "Welcome"}
    )
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": new_price(client)}],
            "default_payment_method": "pm_card_visa",
            "discounts": [{"coupon": coupon.id}],
            "expand": ["latest_invoice"],
        }
    )
    assert subscription.latest_invoice.amount_paid == 1500
    assert subscription.discounts == []  # used up by the first invoice
    assert _renew(client, str(clock.id), subscription.id).latest_invoice.amount_paid == 2000


def test_a_repeating_coupon_ends_after_its_months(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(
        params={"percent_off": 50, "duration": "repeating", "duration_in_months": 2}
    )
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": new_price(client)}],
            "default_payment_method": "pm_card_visa",
            "discounts": [{"coupon": coupon.id}],
            "expand": ["latest_invoice"],
        }
    )
    paid = [subscription.latest_invoice.amount_paid]
    for _ in range(2):
        paid.append(_renew(client, str(clock.id), subscription.id).latest_invoice.amount_paid)
    assert paid == [1000, 1000, 2000]
