from dataclasses import dataclass
from datetime import datetime
from functools import partial

from application.ports import CheckoutRedirect, Clock, PaymentGateway, UnitOfWork
from application.retry import write
from application.subscription_sync import forget_customer, record_fetched
from domain.access import AccessPolicy
from domain.errors import AlreadySubscribed, CustomerMissing


@dataclass(frozen=True)
class StartSubscriptionCommand:
    user_id: str
    success_url: str
    cancel_url: str


class StartSubscription:
    """Send a signed-in user to the provider's checkout.

    Rules:
    - one subscription per user: a user with a live subscription to one of our prices
      at the provider is refused with `AlreadySubscribed` (the caller sends them to the
      billing portal); subscriptions to other prices do not count. The provider is asked
      every time, and what it says is recorded: our records may lag either way;
    - the user's billing customer is created once, stored and reused; one the provider
      no longer knows is forgotten (with what it paid for) and a new one is created,
      without a word to the user;
    - every request makes a checkout of its own, then settles: the most recently
      requested open checkout stays payable and every other is expired, so of any number
      of clicks the last lands on a payable page and only one can be paid;
    - the checkout carries the user's id so the provider's events find the user.
    """

    def __init__(
        self, uow: UnitOfWork, gateway: PaymentGateway, clock: Clock, policy: AccessPolicy
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._policy = policy

    def execute(self, command: StartSubscriptionCommand) -> CheckoutRedirect:
        requested_at = self._clock.now()
        customer_id = write(self._uow, partial(self._customer_of, command.user_id, None))
        try:
            return self._checkout(command, customer_id, requested_at)
        except CustomerMissing:
            forget = partial(
                forget_customer, user_id=command.user_id, customer_id=customer_id, now=requested_at
            )
            write(self._uow, forget)
            replacing = customer_id
            customer_id = write(self._uow, partial(self._customer_of, command.user_id, replacing))
            return self._checkout(command, customer_id, requested_at)

    def _checkout(
        self, command: StartSubscriptionCommand, customer_id: str, requested_at: datetime
    ) -> CheckoutRedirect:
        # Our records may lag either way (paid, but no webhook yet; ended, and the webhook
        # lost): the provider has the last word, and what it says is recorded.
        fetched = self._gateway.list_subscriptions(customer_id)
        if fetched:
            write(self._uow, partial(record_fetched, user_id=command.user_id, fetched=fetched))
        if self._policy.live_subscriptions(fetched):
            raise AlreadySubscribed()
        checkout = self._gateway.create_checkout_session(
            user_id=command.user_id,
            customer_id=customer_id,
            success_url=command.success_url,
            cancel_url=command.cancel_url,
            requested_at=requested_at,
        )
        return self._gateway.settle_open_checkouts(customer_id) or checkout

    def _customer_of(self, user_id: str, replacing: str | None, uow: UnitOfWork) -> str:
        """The user's billing customer, created and stored on first need."""
        user = uow.users.require(user_id)
        if user.customer_id is None:
            user.link_customer(
                self._gateway.create_customer(user.id, user.email, replacing=replacing)
            )
            uow.users.save(user)
        assert user.customer_id is not None
        return user.customer_id
