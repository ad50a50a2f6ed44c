"""What the plan-change use cases share: the user's subscription as the provider has it
now, with its pending change and discount."""

from application.ports import PaymentGateway, SubscriptionBilling, UnitOfWork
from domain.access import AccessPolicy


def current_billing(
    uow: UnitOfWork, gateway: PaymentGateway, policy: AccessPolicy, user_id: str
) -> SubscriptionBilling | None:
    """The provider's current state of the user's live subscription of ours (the one the
    account page shows), or None when they have none (or the provider no longer knows it).

    Our records may lag (a webhook not arrived yet): a change is decided on the
    provider's state, never on ours alone.
    """
    with uow.reading() as reader:
        user = reader.users.require(user_id)
    stored = policy.current_subscription(user)
    if stored is None or not stored.is_live:
        return None
    return gateway.get_subscription_billing(stored.id)
