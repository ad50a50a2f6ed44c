"""Stripe-shaped test data built from Stripe's own fixtures, and signatures as Stripe
makes them.

`tests/fixtures/stripe/fixtures3.json` is Stripe's fixture file (one object per API
resource, in the current shapes); events built here start from those objects, so the
adapter's translation is tested on what Stripe really sends.
"""

import copy
import hashlib
import hmac
import itertools
import json
import time
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stripe" / "fixtures3.json"
_ids = itertools.count(1)


@cache
def _resources() -> dict[str, Any]:
    return json.loads(FIXTURES.read_text())["resources"]  # type: ignore[no-any-return]


def fixture(resource: str) -> dict[str, Any]:
    """A fresh copy of Stripe's fixture object for `resource` (e.g. "subscription")."""
    return copy.deepcopy(_resources()[resource])


def subscription(
    *,
    id: str = "sub_test_1",
    customer: str = "cus_test_1",
    status: str = "active",
    period_start: int = 1_780_000_000,
    period_end: int = 1_782_592_000,
    cancel_at_period_end: bool = False,
    cancel_at: int | None = None,
    ended_at: int | None = None,
    user_id: str | None = None,
    price: str = "price_test_1",
) -> dict[str, Any]:
    obj = fixture("subscription")
    obj.update(
        id=id,
        customer=customer,
        status=status,
        cancel_at_period_end=cancel_at_period_end,
        cancel_at=cancel_at,
        canceled_at=ended_at,
        ended_at=ended_at,
        metadata={"user_id": user_id} if user_id else {},
    )
    item = obj["items"]["data"][0]
    item.update(current_period_start=period_start, current_period_end=period_end, subscription=id)
    item["price"]["id"] = price
    return obj


def checkout_session(
    *, id: str = "cs_test_1", user_id: str, customer: str, subscription: str
) -> dict[str, Any]:
    obj = fixture("checkout.session")
    obj.update(
        id=id,
        mode="subscription",
        status="complete",
        payment_status="paid",
        client_reference_id=user_id,
        customer=customer,
        subscription=subscription,
    )
    return obj


def invoice(*, customer: str, subscription: str, id: str = "in_test_1") -> dict[str, Any]:
    obj = fixture("invoice")
    obj.update(id=id, customer=customer)
    obj["parent"] = {
        "type": "subscription_details",
        "quote_details": None,
        "subscription_details": {"metadata": {}, "subscription": subscription},
    }
    return obj


def event(
    type_: str, obj: dict[str, Any], *, created: int | None = None, **fields: Any
) -> dict[str, Any]:
    data = fixture("event")
    data.update(
        id=fields.pop("id", f"evt_test_{next(_ids)}"),
        type=type_,
        created=created if created is not None else int(time.time()),
        data={"object": obj},
        livemode=fields.pop("livemode", False),
        **fields,
    )
    return data


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header, computed as Stripe computes it."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"
