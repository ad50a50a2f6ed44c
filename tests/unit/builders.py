"""Small builders for domain objects, so a test spells out only what it is about."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.stripe_event_types import KIND_OF_TYPE
from domain.email import EmailAddress
from domain.provider_events import BillingEvent, BillingEventKind
from domain.subscription import Subscription, SubscriptionStatus
from domain.user import User

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
PERIOD = timedelta(days=30)


def a_subscription(**changes: Any) -> Subscription:
    """An active monthly subscription that started at T0, seen at T0."""
    base = Subscription(
        id="sub_1",
        status=SubscriptionStatus.ACTIVE,
        as_of=T0,
        customer_id="cus_1",
        price_id="price_1",
        current_period_start=T0,
        current_period_end=T0 + PERIOD,
    )
    return replace(base, **changes)


def a_user(email: str = "ann@example.com", **changes: Any) -> User:
    user = User(
        id="user_1",
        email=EmailAddress(email),
        password_hash="fake$v1$salt$digest",
        created_at=T0,
    )
    return replace(user, **changes)


def an_event(provider_type: str = "customer.subscription.updated", **changes: Any) -> BillingEvent:
    """A provider event of `provider_type` at T0; a subscription event carries a snapshot
    (`a_subscription()` unless given) and its ids."""
    kind = KIND_OF_TYPE.get(provider_type, BillingEventKind.UNHANDLED)
    snapshot = changes.pop("snapshot", None)
    if snapshot is None and kind in (
        BillingEventKind.SUBSCRIPTION_CHANGED,
        BillingEventKind.SUBSCRIPTION_ENDED,
    ):
        snapshot = a_subscription()
    ids = {"customer_id": snapshot.customer_id, "subscription_id": snapshot.id} if snapshot else {}
    base = BillingEvent(
        id=changes.pop("id", "evt_1"),
        kind=kind,
        provider_type=provider_type,
        occurred_at=snapshot.as_of if snapshot else T0,
        snapshot=snapshot,
        **ids,
    )
    return replace(base, **changes)
