"""Applying what the payment provider says to our users: one path for every caller.

The webhook handler, the success page and the reconciler all go through
`apply_event`, so a subscription reaches the same stored state whichever of them
sees it first, and however often.
"""

import logging
from dataclasses import dataclass, replace

from application.ports import PaymentGateway, UnitOfWork
from domain.billing import BillingEvent, BillingEventKind
from domain.subscription import Subscription
from domain.user import SnapshotOutcome, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    applied: bool
    note: str


def find_user(uow: UnitOfWork, event: BillingEvent) -> User | None:
    """Who an event is about: by our own reference, else by subscription, else customer."""
    if event.user_ref:
        user = uow.users.get(event.user_ref)
        if user is not None:
            return user
    if event.subscription_id:
        user = uow.users.get_by_subscription_id(event.subscription_id)
        if user is not None:
            return user
    if event.customer_id:
        return uow.users.get_by_customer_id(event.customer_id)
    return None


def apply_event(uow: UnitOfWork, gateway: PaymentGateway, event: BillingEvent) -> Outcome:
    """Apply one event inside the caller's unit of work (the caller commits).

    Checkout and invoice events name a subscription without carrying it: its current
    state is fetched from the provider. Subscription events carry a snapshot, applied
    only when newer than the stored state; a tie with a different state is settled by
    fetching the current object.
    """
    if event.kind is BillingEventKind.UNHANDLED:
        return Outcome(False, f"{event.provider_type} is not an event this service acts on")
    user = find_user(uow, event)
    if user is None:
        return Outcome(False, "no user matches this event's reference, subscription or customer")
    if event.kind is BillingEventKind.CHECKOUT_COMPLETED and event.customer_id:
        user.link_customer(event.customer_id)
    snapshot = event.snapshot
    if snapshot is None:
        if not event.subscription_id:
            uow.users.save(user)
            return Outcome(True, "customer linked; no subscription named")
        snapshot = gateway.get_subscription(event.subscription_id)
        if snapshot is None:
            uow.users.save(user)
            return Outcome(False, f"the provider does not know {event.subscription_id}")
        # The fetched state is at least as new as the event that made us fetch it.
        snapshot = replace(snapshot, as_of=max(snapshot.as_of, event.occurred_at))
        outcome = user.apply_subscription(snapshot, authoritative=True)
    else:
        outcome = apply_snapshot(user, gateway, snapshot)
    uow.users.save(user)
    live = sorted(s.id for s in user.subscriptions.values() if s.is_live)
    if len(live) > 1:
        # Checkout refuses a second one, but two checkouts paid at the same moment can
        # still both go through: an operator must refund one.
        log.warning("user %s has %d live subscriptions: %s", user.id, len(live), live)
    return Outcome(outcome is SnapshotOutcome.APPLIED, f"subscription {outcome.value}")


def apply_snapshot(user: User, gateway: PaymentGateway, snapshot: Subscription) -> SnapshotOutcome:
    outcome = user.apply_subscription(snapshot)
    if outcome is SnapshotOutcome.UNDECIDED:
        current = gateway.get_subscription(snapshot.id)
        if current is None:
            return SnapshotOutcome.STALE
        current = replace(current, as_of=max(current.as_of, snapshot.as_of))
        outcome = user.apply_subscription(current, authoritative=True)
    return outcome
