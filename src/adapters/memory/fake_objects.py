"""The fake provider's objects and its own event payloads (JSON of its own, not Stripe's):
checkouts, customers, and subscriptions as events carry them."""

import itertools
import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from adapters.stripe_event_types import KIND_OF_TYPE
from application.ports import CheckoutOffer
from domain.provider_events import BillingEvent, BillingEventKind
from domain.subscription import Subscription, SubscriptionStatus

_checkout_numbers = itertools.count(1)  # creation order, for ties of requested_at


@dataclass
class FakeCheckout:
    id: str
    user_id: str
    customer_id: str
    success_url: str
    cancel_url: str
    requested_at: datetime
    offer: CheckoutOffer
    subscription_id: str | None = None
    expired: bool = False
    # Promotion codes are accepted on every checkout (`allow_promotion_codes`).
    allow_promotion_codes: bool = True
    number: int = field(default_factory=lambda: next(_checkout_numbers))

    @property
    def is_open(self) -> bool:
        return self.subscription_id is None and not self.expired

    @property
    def url(self) -> str:
        return f"https://checkout.fake/{self.id}"


@dataclass
class FakeCustomer:
    id: str
    user_id: str
    email: str
    subscriptions: list[str] = field(default_factory=list)


def event_from_payload(payload: str) -> BillingEvent:
    """The fake's event payload (JSON of its own, not Stripe's) as a `BillingEvent`."""
    data = json.loads(payload)
    snapshot = data.get("snapshot")
    invoice = data.get("invoice") or {}
    return BillingEvent(
        id=data["id"],
        kind=KIND_OF_TYPE.get(data["type"], BillingEventKind.UNHANDLED),
        provider_type=data["type"],
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        livemode=bool(data.get("livemode", False)),
        user_ref=data.get("user_ref"),
        customer_id=data.get("customer_id"),
        subscription_id=data.get("subscription_id"),
        snapshot=subscription_from_json(snapshot) if snapshot else None,
        payload=payload,
        invoice_id=invoice.get("id"),
        amount_due=invoice.get("amount_due"),
        currency=invoice.get("currency"),
        amount_paid=invoice.get("amount_paid"),
        period_start=_moment(invoice.get("period_start")),
        period_end=_moment(invoice.get("period_end")),
        invoice_number=invoice.get("number"),
        invoice_url=invoice.get("url"),
    )


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def subscription_to_json(subscription: Subscription) -> dict[str, object]:
    """Every field of `Subscription`; datetimes in ISO format, the status by its value."""
    out: dict[str, object] = {}
    for name in SUBSCRIPTION_FIELDS:
        value = getattr(subscription, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        out[name] = value.value if isinstance(value, SubscriptionStatus) else value
    return out


def subscription_from_json(data: dict[str, Any]) -> Subscription:
    values: dict[str, Any] = {name: data.get(name) for name in SUBSCRIPTION_FIELDS}
    for name in _DATETIME_FIELDS:
        value = values[name]
        values[name] = datetime.fromisoformat(value) if isinstance(value, str) else None
    if values["as_of"] is None:
        raise ValueError("snapshot without as_of")
    values["status"] = SubscriptionStatus(str(values["status"]))
    values["cancel_at_period_end"] = bool(values["cancel_at_period_end"])
    return Subscription(**values)


SUBSCRIPTION_FIELDS = tuple(f.name for f in fields(Subscription))
_DATETIME_FIELDS = tuple(f.name for f in fields(Subscription) if "datetime" in str(f.type))
