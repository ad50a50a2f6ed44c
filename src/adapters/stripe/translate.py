"""Stripe events (current API shapes) into the domain's `BillingEvent`.

Shapes read here, as in Stripe's fixtures: the billing period lives on each
subscription item (`items.data[i].current_period_*`); an invoice names its
subscription in `parent.subscription_details.subscription`. Older shapes (period on
the subscription, `invoice.subscription`) are read as a fallback.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.stripe_event_types import KIND_OF_TYPE
from domain.provider_events import BillingEvent, BillingEventKind
from domain.subscription import Subscription, SubscriptionStatus, is_reference


class NotAnEvent(ValueError):
    """The JSON is not a Stripe event this adapter can read."""


def event_from_json(data: Any, payload: str) -> BillingEvent:
    """Translate a parsed Stripe event; raise `NotAnEvent` when it does not have the shape."""
    if not isinstance(data, Mapping) or data.get("object") != "event":
        raise NotAnEvent("not an event object")
    event_id, event_type, created = data.get("id"), data.get("type"), data.get("created")
    body = data.get("data")
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise NotAnEvent("an event needs an id and a type")
    if not isinstance(created, int) or isinstance(created, bool):
        raise NotAnEvent("an event needs a created timestamp")
    if not isinstance(body, Mapping) or not isinstance(body.get("object"), Mapping):
        raise NotAnEvent("an event needs data.object")
    obj: Mapping[str, Any] = body["object"]
    occurred_at = _moment(created)
    assert occurred_at is not None
    kind = KIND_OF_TYPE.get(event_type, BillingEventKind.UNHANDLED)
    try:
        what: dict[str, Any] = {}  # who and what the event is about, by kind
        if kind is BillingEventKind.UNHANDLED:
            pass
        elif kind is BillingEventKind.CHECKOUT_COMPLETED:
            what = {
                "user_ref": _reference(obj.get("client_reference_id")),
                "customer_id": id_of(obj.get("customer")),
                "subscription_id": id_of(obj.get("subscription")),
            }
        elif kind in (BillingEventKind.INVOICE_PAID, BillingEventKind.PAYMENT_FAILED):
            amount = obj.get("amount_due")
            what = {
                "customer_id": id_of(obj.get("customer")),
                "subscription_id": invoice_subscription_id(obj),
                "invoice_id": _reference(obj.get("id")),
                # What a notice shows, when Stripe says it plainly (never a reason to
                # refuse the event).
                "amount_due": amount if type(amount) is int and amount >= 0 else None,
                "currency": _currency(obj.get("currency")),
            }
        else:
            snapshot = subscription_from_stripe(obj, as_of=occurred_at)
            what = {
                "user_ref": _reference((obj.get("metadata") or {}).get("user_id")),
                "customer_id": snapshot.customer_id,
                "subscription_id": snapshot.id,
                "snapshot": snapshot,
            }
        # Built once (its checks run once), not as a base event replaced by kind.
        return BillingEvent(
            id=event_id,
            kind=kind,
            provider_type=event_type,
            occurred_at=occurred_at,
            livemode=bool(data.get("livemode", False)),
            payload=payload,
            **what,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise NotAnEvent(f"{event_type} without the expected object: {error}") from error


def subscription_from_stripe(obj: Mapping[str, Any], *, as_of: datetime) -> Subscription:
    if obj.get("object") not in (None, "subscription") or not isinstance(obj.get("id"), str):
        raise ValueError("not a subscription")
    items = (obj.get("items") or {}).get("data") or []
    first: Mapping[str, Any] = items[0] if items else {}
    price = first.get("price") or {}
    return Subscription(
        id=obj["id"],
        status=SubscriptionStatus(obj["status"]),
        as_of=as_of,
        customer_id=id_of(obj.get("customer")),
        price_id=id_of(price) if price else None,
        current_period_start=_moment(
            first.get("current_period_start", obj.get("current_period_start"))
        ),
        current_period_end=_moment(first.get("current_period_end", obj.get("current_period_end"))),
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
        cancel_at=_moment(obj.get("cancel_at")),
        ended_at=_moment(obj.get("ended_at")),
    )


def oldest_failure(open_invoices: Sequence[Mapping[str, Any]]) -> datetime | None:
    """When the oldest of a subscription's open invoices failed: its finalization, when
    the first charge was tried. Invoices never tried (a draft just finalized, one sent to
    pay by hand) count only when no invoice was tried."""
    tried = [i for i in open_invoices if (i.get("attempt_count") or 0) > 0] or open_invoices
    moments = [
        _moment((invoice.get("status_transitions") or {}).get("finalized_at"))
        or _moment(invoice.get("created"))
        for invoice in tried
    ]
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


def invoice_subscription_id(invoice: Mapping[str, Any]) -> str | None:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return id_of(details.get("subscription")) or id_of(invoice.get("subscription"))


def id_of(value: Any) -> str | None:
    """An expandable field: an id, or the expanded object carrying one."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        return _str(value.get("id"))
    return None


def _reference(value: Any) -> str | None:
    """Our user reference, when it is one we could have written. It is only the weakest
    evidence of whose event it is: an unusable one (too long, control characters; Stripe
    allows 500 characters of metadata) is dropped, never a reason to refuse the event."""
    return value if is_reference(value) else None


def _currency(value: Any) -> str | None:
    """A three-letter currency code, lower-cased; None for anything else."""
    if isinstance(value, str) and len(value) == 3 and value.isascii() and value.isalpha():
        return value.lower()
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not a timestamp: {value!r}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError) as error:
        raise ValueError(f"timestamp out of range: {value}") from error
