"""Coupons, promotion codes and the discounts they give."""

from __future__ import annotations

from ..ids import new_id
from .common import Json


def coupon(
    *,
    coupon_id: str | None,
    created: int,
    percent_off: float | None,
    amount_off: int | None,
    currency: str | None,
    duration: str,
    duration_in_months: int | None,
    name: str | None,
    max_redemptions: int | None,
    redeem_by: int | None,
    metadata: dict[str, str],
) -> Json:
    return {
        "id": coupon_id or new_id("")[:8].upper(),
        "object": "coupon",
        "amount_off": amount_off,
        "created": created,
        "currency": currency,
        "duration": duration,
        "duration_in_months": duration_in_months,
        "livemode": False,
        "max_redemptions": max_redemptions,
        "metadata": metadata,
        "name": name,
        "percent_off": percent_off,
        "redeem_by": redeem_by,
        "times_redeemed": 0,
        "valid": True,
    }


def promotion_code(
    *,
    created: int,
    code: str,
    coupon_id: str,
    active: bool,
    customer: str | None,
    expires_at: int | None,
    max_redemptions: int | None,
    metadata: dict[str, str],
) -> Json:
    return {
        "id": new_id("promo_"),
        "object": "promotion_code",
        "active": active,
        "code": code,
        "created": created,
        "customer": customer,
        "customer_account": None,
        "expires_at": expires_at,
        "livemode": False,
        "max_redemptions": max_redemptions,
        "metadata": metadata,
        "promotion": {"coupon": coupon_id, "type": "coupon"},
        "restrictions": {
            "first_time_transaction": False,
            "minimum_amount": None,
            "minimum_amount_currency": None,
        },
        "times_redeemed": 0,
    }


def discount(
    *,
    start: int,
    end: int | None,
    coupon_id: str,
    customer: str,
    subscription: str | None,
    promotion_code: str | None,
    checkout_session: str | None,
) -> Json:
    return {
        "id": new_id("di_"),
        "object": "discount",
        "checkout_session": checkout_session,
        "customer": customer,
        "customer_account": None,
        "end": end,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": promotion_code,
        "source": {"coupon": coupon_id, "type": "coupon"},
        "start": start,
        "subscription": subscription,
        "subscription_item": None,
    }
