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
from domain.provider_events import (
    BillingEvent,
    BillingEventKind,
    is_invoice_number,
    is_web_page,
)
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
            period = invoice_period(obj)
            url = obj.get("hosted_invoice_url")
            number = obj.get("number")
            what = {
                "customer_id": id_of(obj.get("customer")),
                "subscription_id": invoice_subscription_id(obj),
                "invoice_id": _reference(obj.get("id")),
                # What a notice shows, when Stripe says it plainly (never a reason to
                # refuse the event).
                "amount_due": _amount(obj.get("amount_due")),
                "amount_paid": _amount(obj.get("amount_paid")),
                "currency": _currency(obj.get("currency")),
                "period_start": period[0] if period else None,
                "period_end": period[1] if period else None,
                "invoice_number": number if is_invoice_number(number) else None,
                "invoice_url": url if is_web_page(url) else None,
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


def invoice_period(invoice: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    """The service period an invoice bills: the span of its subscription lines' periods
    (not prorations), else of all its lines'; None without a readable line.

    Not the invoice's own `period_start`/`period_end`: for a subscription's invoice
    Stripe sets them to the period that just ended (usage is billed in arrears), while a
    renewal pays for the period its lines name, the one starting."""
    listed = invoice.get("lines")
    lines = listed.get("data") if isinstance(listed, Mapping) else None
    every: list[tuple[int, int]] = []
    of_subscription: list[tuple[int, int]] = []
    for line in lines if isinstance(lines, list) else []:
        period = line.get("period") if isinstance(line, Mapping) else None
        if not isinstance(period, Mapping):
            continue
        start, end = _timestamp(period.get("start")), _timestamp(period.get("end"))
        if start is None or end is None or end < start:
            continue
        every.append((start, end))
        if _is_subscription_line(line):
            of_subscription.append((start, end))
    spans = of_subscription or every
    if not spans:
        return None
    first, last = _moment(min(s for s, _ in spans)), _moment(max(e for _, e in spans))
    assert first is not None and last is not None
    return first, last


def _is_subscription_line(line: Mapping[str, Any]) -> bool:
    """A line for a subscription item's price, not a proration (current shape:
    `parent.subscription_item_details`; older: `type: subscription`)."""
    parent = line.get("parent")
    if isinstance(parent, Mapping) and parent.get("type") == "subscription_item_details":
        details = parent.get("subscription_item_details")
        return isinstance(details, Mapping) and not details.get("proration")
    return line.get("type") == "subscription" and not line.get("proration")


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


# Stripe's largest charge is 99,999,999 minor units for most currencies (more for a few):
# far past any of them, a number is not an amount anyone paid.
MAX_AMOUNT = 10**12


def _amount(value: Any) -> int | None:
    """Minor units Stripe states as a whole number from 0 to `MAX_AMOUNT`; None (not
    known) for anything else."""
    return value if type(value) is int and 0 <= value <= MAX_AMOUNT else None


def _timestamp(value: Any) -> int | None:
    """Seconds since the epoch, up to the year 6325; None for anything else."""
    return value if type(value) is int and 0 <= value < 2**37 else None


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
