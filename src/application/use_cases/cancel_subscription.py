from dataclasses import dataclass

from application.cancellation import live_billing, store
from application.ports import PaymentGateway, UnitOfWork
from domain.access import AccessPolicy
from domain.subscription import Subscription


@dataclass(frozen=True)
class CancelSubscriptionCommand:
    user_id: str


class CancelSubscription:
    """Cancel the user's subscription at the end of the period paid for (or of the trial):
    access stays until then, nothing more is charged. Never now.

    Rules:
    - the subscription is the one the account page shows, as the provider has it now;
      without a live one, `CancellationRefused` says why;
    - one set to cancel already stays as it is and the request succeeds (a confirmation
      sent twice);
    - a pending change of plan is dropped first: the provider refuses to cancel a
      subscription whose schedule decides its period's end, and a plan that ends needs
      no change;
    - what the provider answers is stored through `record_fetched` at once, so the
      account page says when it ends before the webhook arrives (which then changes
      nothing). Returns it.
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway, policy: AccessPolicy) -> None:
        self._uow = uow
        self._gateway = gateway
        self._policy = policy

    def execute(self, command: CancelSubscriptionCommand) -> Subscription:
        billing = live_billing(
            self._uow,
            self._gateway,
            self._policy,
            command.user_id,
            "You have no subscription to cancel.",
        )
        subscription = billing.subscription
        if subscription.ends_at is None:
            if billing.pending_change is not None:
                self._gateway.release_scheduled_change(subscription.id)
            subscription = self._gateway.set_cancel_at_period_end(subscription.id, True)
        return store(self._uow, self._gateway, command.user_id, subscription)
