"""Applying what the payment provider says to our users: one path for every caller.

The webhook handler, the success page, Subscribe and the reconciler all store the
provider's subscriptions through `apply_event` or `record_fetched`, so a subscription
reaches the same stored state whichever of them sees it first, and however often.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from application.ports import PaymentGateway, UnitOfWork
from domain.access import AccessPolicy
from domain.errors import PaymentProviderError
from domain.provider_events import BillingEvent, BillingEventKind
from domain.subscription import Subscription
from domain.user import SnapshotOutcome, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    applied: bool
    note: str


@dataclass(frozen=True)
class Match:
    user: User
    by: str  # "subscription", "customer" or "reference"


def find_user(uow: UnitOfWork, event: BillingEvent) -> Match | None:
    """Who an event is about, by the strongest evidence it carries.

    1. the subscription: a subscription we stored belongs to the user we stored it for;
    2. the customer: we created it for one user, and it pays for what it subscribes to;
    3. our own reference (checkout's client_reference_id, the subscription's metadata),
       for what we have not stored yet.
    When they disagree the stronger one wins: a reference naming someone else cannot
    move a subscription or a customer to another account (anyone with API access could
    write it), and the event is applied to the owner.
    """
    if event.subscription_id:
        user = uow.users.get_by_subscription_id(event.subscription_id)
        if user is not None:
            return Match(user, "subscription")
    if event.customer_id:
        user = uow.users.get_by_customer_id(event.customer_id)
        if user is not None:
            return Match(user, "customer")
    if event.user_ref:
        user = uow.users.get(event.user_ref)
        if user is not None:
            return Match(user, "reference")
    return None


def apply_event(
    uow: UnitOfWork, gateway: PaymentGateway, policy: AccessPolicy, event: BillingEvent
) -> Outcome:
    """Apply one event inside the caller's unit of work (the caller commits).

    Checkout and invoice events name a subscription without carrying it: its current
    state is fetched from the provider. Subscription events carry a snapshot, applied
    only when newer than the stored state; a tie with a different state is settled by
    fetching the current object. The user is saved only when something changed: a stale
    or ignored event writes nothing but its inbox row.
    """
    if event.kind is BillingEventKind.UNHANDLED:
        return Outcome(False, f"{event.provider_type} is not an event this service acts on")
    match = find_user(uow, event)
    if match is None:
        return Outcome(False, "no user matches this event's reference, subscription or customer")
    if event.kind is BillingEventKind.TRIAL_WILL_END:
        # Recorded for the notice the email issue sends; the state it carries is the
        # one the subscription already has, and the other events bring its changes.
        end = event.snapshot.current_period_end if event.snapshot else None
        return Outcome(True, f"trial ends {end:%Y-%m-%d %H:%M} UTC" if end else "trial ends")
    user = match.user
    notes = []
    if event.user_ref and event.user_ref != user.id:
        log.warning(
            "event %s names user %s but its %s belongs to user %s: applied to the owner",
            event.id,
            event.user_ref,
            match.by,
            user.id,
        )
        notes.append(f"its reference names another user; the {match.by}'s owner wins")
    before = (user.customer_id, dict(user.subscriptions))
    # Found by customer: it is theirs already. Found by reference: nobody has it. Found
    # by subscription (its customer unlinked while Stripe could not be reached with the
    # right key): theirs again, unless another user has it meanwhile.
    if (
        event.customer_id
        and user.customer_id is None
        and (match.by != "subscription" or not uow.users.get_by_customer_id(event.customer_id))
    ):
        user.link_customer(event.customer_id)
    outcome = _apply_subscription(user, gateway, event)
    if outcome is None:
        notes.insert(0, "customer linked; no subscription named")
    elif isinstance(outcome, SnapshotOutcome):
        notes.insert(0, f"subscription {outcome.value}")
        _log_oddities(user, policy, event)
    else:
        notes.insert(0, outcome)
    if (user.customer_id, user.subscriptions) != before:
        uow.users.save(user)
    applied = outcome is None or outcome is SnapshotOutcome.APPLIED
    if outcome is None and user.customer_id == before[0]:
        applied = False
    return Outcome(applied, "; ".join(notes))


def _apply_subscription(
    user: User, gateway: PaymentGateway, event: BillingEvent
) -> SnapshotOutcome | str | None:
    """None: no subscription named; a string: why nothing could be applied."""
    if event.snapshot is not None:
        return apply_snapshot(user, gateway, event.snapshot)
    if not event.subscription_id:
        return None
    current = gateway.get_subscription(event.subscription_id)
    if current is None:
        return f"the provider does not know {event.subscription_id}"
    # The fetched state is at least as new as the event that made us fetch it.
    return user.record_fetched(replace(current, as_of=max(current.as_of, event.occurred_at)))


def apply_snapshot(user: User, gateway: PaymentGateway, snapshot: Subscription) -> SnapshotOutcome:
    """Store an event's copy of a subscription, asking the provider when it cannot decide:
    at a tie with a different stored state, and when it owes without saying since when
    (the grace counts from the oldest unpaid invoice, which only a fetch tells)."""
    outcome = user.observe(snapshot)
    if outcome is SnapshotOutcome.UNDECIDED:
        current = gateway.get_subscription(snapshot.id)
        if current is None:
            return SnapshotOutcome.STALE
        return user.record_fetched(replace(current, as_of=max(current.as_of, snapshot.as_of)))
    if outcome is SnapshotOutcome.APPLIED and snapshot.lacks_unpaid_since:
        try:
            current = gateway.get_subscription(snapshot.id)
        except PaymentProviderError as error:
            # The state the event carries is stored all the same; until the next event
            # or reconcile says since when, grace counts from the period's start.
            log.warning("since when %s owes stays unknown: %s", snapshot.id, error.message)
        else:
            if current is not None:
                user.record_fetched(replace(current, as_of=max(current.as_of, snapshot.as_of)))
    return outcome


def _log_oddities(user: User, policy: AccessPolicy, event: BillingEvent) -> None:
    subscription = user.subscriptions.get(event.subscription_id or "")
    if subscription is not None and not policy.sells(subscription):
        log.warning(
            "user %s: subscription %s is to price %s, which this service does not sell:"
            " stored, grants nothing",
            user.id,
            subscription.id,
            subscription.price_id,
        )
    live = sorted(s.id for s in policy.live_subscriptions(user.subscriptions.values()))
    if len(live) > 1:
        # Checkout refuses a second one, but two checkouts paid at the same moment can
        # still both go through: an operator must refund one.
        log.warning("user %s has %d live subscriptions: %s", user.id, len(live), live)


def record_fetched(
    uow: UnitOfWork,
    user_id: str,
    fetched: Sequence[Subscription],
    *,
    fetched_in_this_transaction: bool = True,
) -> list[tuple[Subscription | None, Subscription]]:
    """Store subscriptions fetched from the provider for a user (the caller commits);
    return (before, after) for each one that changed.

    Each fetched state is stamped with the provider's time of the answer, so a state
    stored after the fetch (the subscription deleted meanwhile) is newer and kept. A
    fetch made inside this transaction, after the user was locked, is the latest truth
    and settles a tie of timestamps; one made before it (Subscribe lists first) cannot
    tell a tie apart from an event stored meanwhile, so at a tie the stored state stays.
    """
    user = uow.users.require(user_id)
    store = user.record_fetched if fetched_in_this_transaction else user.observe
    changes = []
    applied = False
    for current in fetched:
        before = user.subscriptions.get(current.id)
        if store(current) is SnapshotOutcome.APPLIED:
            applied = True
            after = user.subscriptions[current.id]
            if before is None or not after.same_state_as(before):
                changes.append((before, after))
    if applied:
        uow.users.save(user)
    return changes


def forget_customer(uow: UnitOfWork, user_id: str, customer_id: str) -> None:
    """The provider does not know the user's customer: unlink it (the caller commits).

    Only a person's own action (Subscribe, Manage billing) gets here, never a batch: a
    wrong API key for an hour must not unlink every user. The subscriptions stay as
    stored; the provider's events, and reconcile by subscription id, say when they end.
    """
    user = uow.users.require(user_id)
    if user.forget_customer(customer_id):  # unless replaced meanwhile by another request
        log.warning(
            "user %s: the provider does not know customer %s; unlinked", user_id, customer_id
        )
        uow.users.save(user)
