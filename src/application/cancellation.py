"""What cancelling and resuming share: the provider's current state of the user's
subscription, and storing what the provider answers."""

from dataclasses import replace
from functools import partial

from application.plan_changes import current_billing
from application.ports import PaymentGateway, SubscriptionBilling, UnitOfWork
from application.retry import write
from application.subscription_sync import record_fetched
from domain.access import AccessPolicy
from domain.errors import CancellationRefused
from domain.subscription import Subscription

ENDED = "Your subscription has ended. Choose a plan to subscribe again."


def live_billing(
    uow: UnitOfWork, gateway: PaymentGateway, policy: AccessPolicy, user_id: str, nothing: str
) -> SubscriptionBilling:
    """The user's live subscription as the provider has it now (our records may lag);
    `CancellationRefused` with `nothing` when they have none, and with why when the
    provider says it has ended (which is stored)."""
    billing = current_billing(uow, gateway, policy, user_id)
    if billing is None:
        raise CancellationRefused(nothing)
    if not billing.subscription.is_live:
        store(uow, gateway, user_id, billing.subscription)
        raise CancellationRefused(ENDED)
    return billing


def store(
    uow: UnitOfWork, gateway: PaymentGateway, user_id: str, subscription: Subscription
) -> Subscription:
    """Store the provider's answer at once (`record_fetched`), so the account page shows
    it before its webhook arrives; one that owes is stored with since when (its grace
    counts from then), which only a fetch of the subscription says. Returns it."""
    if subscription.lacks_unpaid_since:
        fetched = gateway.get_subscription(subscription.id)
        if fetched is not None and fetched.unpaid_since is not None:
            subscription = replace(subscription, unpaid_since=fetched.unpaid_since)
    write(uow, partial(record_fetched, user_id=user_id, fetched=[subscription]))
    return subscription
