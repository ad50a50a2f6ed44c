from dataclasses import dataclass

from application.cancellation import live_billing, store
from application.ports import PaymentGateway, UnitOfWork
from domain.access import AccessPolicy
from domain.subscription import Subscription


@dataclass(frozen=True)
class ResumeSubscriptionCommand:
    user_id: str


class ResumeSubscription:
    """Undo a scheduled cancellation: the subscription renews at the end of its period
    again, at its current price.

    Rules:
    - the subscription is the one the account page shows, as the provider has it now;
      one that has ended cannot be resumed (`CancellationRefused`: subscribe again);
    - one not set to cancel stays as it is and the request succeeds (a button pressed
      twice);
    - what the provider answers is stored through `record_fetched` at once. Returns it.
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway, policy: AccessPolicy) -> None:
        self._uow = uow
        self._gateway = gateway
        self._policy = policy

    def execute(self, command: ResumeSubscriptionCommand) -> Subscription:
        billing = live_billing(
            self._uow,
            self._gateway,
            self._policy,
            command.user_id,
            "You have no subscription to resume. Choose a plan to subscribe.",
        )
        subscription = billing.subscription
        if subscription.ends_at is not None:
            subscription = self._gateway.set_cancel_at_period_end(subscription.id, False)
        return store(self._uow, self._gateway, command.user_id, subscription)
