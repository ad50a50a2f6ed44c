"""Reading what Stripe plans for a subscription (its schedule's next phase, its discount)
and what an invoice preview says a change of price bills. Current API shapes: a
discount names its coupon in `source.coupon`; the legacy `discount` object (with
`coupon`) is read as a fallback."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.stripe.translate import id_of, subscription_from_stripe
from application.ports import ChangePreview, SubscriptionBilling
from domain.plan_change import Discount, PendingChange

# One retrieve answers the account page: the schedule's phases, the discounts with
# their coupon and promotion code.
BILLING_EXPAND = [
    "schedule",
    "customer",
    "discounts.source.coupon",
    "discounts.promotion_code",
]


def payment_method_of(subscription: Mapping[str, Any]) -> str | None:
    """The id of the payment method that pays the subscription's invoices: its own
    default, else its customer's (the customer expanded); None when it has none."""
    own = id_of(subscription.get("default_payment_method"))
    if own:
        return own
    customer = subscription.get("customer")
    settings = customer.get("invoice_settings") if isinstance(customer, Mapping) else None
    return id_of(settings.get("default_payment_method")) if isinstance(settings, Mapping) else None


def subscription_billing_of(
    subscription: Mapping[str, Any], as_of: datetime
) -> SubscriptionBilling:
    """A subscription retrieved with `BILLING_EXPAND` (or more) as the port's billing read:
    the subscription, its pending change, its discount and whether a card pays it."""
    return SubscriptionBilling(
        subscription=subscription_from_stripe(subscription, as_of=as_of),
        pending_change=pending_change_of(subscription),
        discount=discount_of(subscription, as_of),
        card_on_file=payment_method_of(subscription) is not None,
    )


def pending_change_of(subscription: Mapping[str, Any]) -> PendingChange | None:
    """The price the subscription's schedule moves it to when its current phase ends,
    when that is another price than the current one."""
    schedule = subscription.get("schedule")
    if not isinstance(schedule, Mapping) or schedule.get("status") not in (
        "active",
        "not_started",
    ):
        return None
    items = (subscription.get("items") or {}).get("data") or []
    current_price = id_of(items[0].get("price")) if items else None
    current_end = (schedule.get("current_phase") or {}).get("end_date")
    if not isinstance(current_end, int):
        return None
    following = sorted(
        (p for p in schedule.get("phases") or [] if p.get("start_date", 0) >= current_end),
        key=lambda p: int(p["start_date"]),
    )
    if not following or not following[0].get("items"):
        return None
    price = id_of(following[0]["items"][0].get("price"))
    if price is None or price == current_price:
        return None
    return PendingChange(price, _moment(int(following[0]["start_date"])))


def discount_of(subscription: Mapping[str, Any], now: datetime) -> Discount | None:
    """The first discount in effect on the subscription (its coupon expanded)."""
    candidates = list(subscription.get("discounts") or [])
    legacy = subscription.get("discount")
    if not candidates and isinstance(legacy, Mapping):
        candidates = [legacy]
    for discount in candidates:
        if not isinstance(discount, Mapping):
            continue  # not expanded: nothing to show
        end = discount.get("end")
        if isinstance(end, int) and _moment(end) <= now:
            continue
        source = discount.get("source") or {}
        coupon = source.get("coupon") if isinstance(source, Mapping) else None
        coupon = coupon if isinstance(coupon, Mapping) else discount.get("coupon")
        if not isinstance(coupon, Mapping):
            continue
        percent, amount = coupon.get("percent_off"), coupon.get("amount_off")
        if (percent is None) == (amount is None):
            continue
        promotion = discount.get("promotion_code")
        return Discount(
            name=coupon.get("name") or None,
            code=promotion.get("code") if isinstance(promotion, Mapping) else None,
            percent_off=float(percent) if percent is not None else None,
            amount_off=int(amount) if amount is not None else None,
            currency=str(coupon["currency"]).lower() if coupon.get("currency") else None,
            ends_at=_moment(end) if isinstance(end, int) else None,
        )
    return None


def change_preview(invoice: Mapping[str, Any], proration_date: datetime) -> ChangePreview:
    """A preview invoice (`invoices.create_preview` of a change billed now) as what it
    bills: the credit is its negative (proration) lines, the renewal the latest end of
    its lines' periods."""
    lines = (invoice.get("lines") or {}).get("data") or []
    credit = -sum(int(line["amount"]) for line in lines if int(line["amount"]) < 0)
    discount = sum(int(d["amount"]) for d in invoice.get("total_discount_amounts") or [])
    ends = [
        int(line["period"]["end"])
        for line in lines
        if isinstance(line.get("period"), Mapping) and isinstance(line["period"].get("end"), int)
    ]
    total = int(invoice.get("total") or 0)
    return ChangePreview(
        currency=str(invoice.get("currency") or "").lower(),
        due_now=int(invoice.get("amount_due") or 0),
        credit=credit,
        discount=discount,
        to_balance=max(0, -total),
        renews_at=_moment(max(ends)) if ends else None,
        proration_date=proration_date,
    )


def _moment(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)
