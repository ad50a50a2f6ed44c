from dataclasses import dataclass

from application.ports import CheckoutRedirect, PaymentGateway, UnitOfWork
from domain.errors import AlreadySubscribed, UserNotFound


@dataclass(frozen=True)
class StartSubscriptionCommand:
    user_id: str
    success_url: str
    cancel_url: str


class StartSubscription:
    """Send a signed-in user to the provider's checkout.

    Rules: a user who already has a live subscription is refused with
    `AlreadySubscribed` (the caller sends them to the billing portal: one subscription
    per user); the user's billing customer is created once, stored, and reused; the
    checkout carries the user's id so the provider's events find the user.
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway) -> None:
        self._uow = uow
        self._gateway = gateway

    def execute(self, command: StartSubscriptionCommand) -> CheckoutRedirect:
        with self._uow as uow:
            user = uow.users.get(command.user_id)
            if user is None:
                raise UserNotFound()
            if user.has_live_subscription:
                raise AlreadySubscribed()
            if user.customer_id is None:
                user.link_customer(self._gateway.create_customer(user.id, user.email))
                uow.users.save(user)
                uow.commit()
            customer_id = user.customer_id
        assert customer_id is not None  # linked above
        return self._gateway.create_checkout_session(
            user_id=user.id,
            customer_id=customer_id,
            success_url=command.success_url,
            cancel_url=command.cancel_url,
        )
