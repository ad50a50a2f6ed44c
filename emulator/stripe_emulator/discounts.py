"""Discounts: coupons given to a subscription (directly or by a promotion code), and
what they take off its invoices. Callers hold ``store.lock``."""

from __future__ import annotations

from . import objects
from .calendar import shift
from .objects import Json
from .store import Store


def redeemable(coupon: Json, now: int) -> bool:
    """The coupon is valid now and has redemptions left."""
    limit = coupon["max_redemptions"]
    return (
        bool(coupon["valid"])
        and (coupon["redeem_by"] is None or now < coupon["redeem_by"])
        and (limit is None or coupon["times_redeemed"] < limit)
    )


def usable_code(store: Store, code: str, customer_id: str | None, now: int) -> Json | None:
    """The active promotion code typed (case-insensitive) that this customer may use now."""
    for promo in store.promotion_codes.values():
        if promo["code"].lower() != code.strip().lower() or not promo["active"]:
            continue
        limit = promo["max_redemptions"]
        if (
            (promo["expires_at"] is None or now < promo["expires_at"])
            and (limit is None or promo["times_redeemed"] < limit)
            and promo["customer"] in (None, customer_id)
            and redeemable(store.coupons[promo["promotion"]["coupon"]], now)
        ):
            return promo
    return None


def attach(
    store: Store,
    subscription: Json,
    coupon: Json,
    promotion_code: Json | None,
    now: int,
    checkout_session: str | None = None,
) -> Json:
    """Give the subscription a discount from ``coupon`` (redeemed once more)."""
    end = None
    if coupon["duration"] == "repeating":
        end = shift(now, "month", int(coupon["duration_in_months"]))
    discount = objects.discount(
        start=now,
        end=end,
        coupon_id=coupon["id"],
        customer=subscription["customer"],
        subscription=subscription["id"],
        promotion_code=promotion_code["id"] if promotion_code else None,
        checkout_session=checkout_session,
    )
    store.discounts[discount["id"]] = discount
    coupon["times_redeemed"] += 1
    if (
        coupon["max_redemptions"] is not None
        and coupon["times_redeemed"] >= coupon["max_redemptions"]
    ):
        coupon["valid"] = False
    if promotion_code is not None:
        promotion_code["times_redeemed"] += 1
    subscription["discounts"] = [*subscription["discounts"], discount["id"]]
    return discount


def apply(store: Store, invoice: Json, subscription: Json, now: int) -> None:
    """Take the subscription's current discounts off a draft invoice (its lines, totals)."""
    current = [
        store.discounts[d]
        for d in subscription["discounts"]
        if d in store.discounts
        and (store.discounts[d]["end"] is None or now < store.discounts[d]["end"])
    ]
    lines = [line for line in invoice["lines"]["data"] if line["amount"] > 0]
    base = sum(line["amount"] for line in lines)
    if not current or base <= 0:
        return
    left, amounts = base, []
    for discount in current:
        coupon = store.coupons[discount["source"]["coupon"]]
        if coupon["percent_off"] is not None:
            amount = round(base * float(coupon["percent_off"]) / 100)
        elif coupon["currency"] == invoice["currency"]:
            amount = int(coupon["amount_off"])
        else:
            amount = 0
        amount = min(amount, left)
        left -= amount
        amounts.append({"amount": amount, "discount": discount["id"]})
        _spread(lines, amount, base, discount["id"])
    taken = base - left
    invoice["discounts"] = [d["id"] for d in current]
    invoice["total_discount_amounts"] = amounts
    for key in ("total", "total_excluding_tax", "amount_due", "amount_remaining"):
        invoice[key] -= taken


def _spread(lines: list[Json], amount: int, base: int, discount_id: str) -> None:
    """A discount's amount over the lines, in proportion (the rest on the first line)."""
    shares = [amount * line["amount"] // base for line in lines]
    shares[0] += amount - sum(shares)
    for line, share in zip(lines, shares, strict=True):
        line["discounts"] = [*line["discounts"], discount_id]
        line["discount_amounts"] = [
            *line["discount_amounts"],
            {"amount": share, "discount": discount_id},
        ]


def use_once(store: Store, subscription: Json, invoice: Json) -> None:
    """A ``once`` discount that an invoice used is gone from the subscription."""
    used = set(invoice["discounts"])
    kept = []
    for discount_id in subscription["discounts"]:
        discount = store.discounts.get(discount_id)
        coupon = store.coupons.get(discount["source"]["coupon"]) if discount else None
        if discount_id in used and coupon is not None and coupon["duration"] == "once":
            continue
        kept.append(discount_id)
    subscription["discounts"] = kept
