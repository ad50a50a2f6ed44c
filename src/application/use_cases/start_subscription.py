from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from application.billing import forget_customer, record_fetched
from application.ports import CheckoutRedirect, Clock, PaymentGateway, UnitOfWork
from application.retry import retry_on_conflict
from domain.access import AccessPolicy
from domain.errors import AlreadySubscribed, CustomerMissing
from domain.subscription import Subscription


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
        customer_id = retry_on_conflict(partial(self._customer_of, command.user_id, None))
        try:
            return self._checkout(command, customer_id, requested_at)
        except CustomerMissing:
            retry_on_conflict(partial(self._forget, command.user_id, customer_id))
            replacing = customer_id
            customer_id = retry_on_conflict(partial(self._customer_of, command.user_id, replacing))
            return self._checkout(command, customer_id, requested_at)

    def _checkout(
        self, command: StartSubscriptionCommand, customer_id: str, requested_at: datetime
    ) -> CheckoutRedirect:
        # Our records may lag either way (paid, but no webhook yet; ended, and the webhook
        # lost): the provider has the last word, and what it says is recorded.
        fetched = self._gateway.list_subscriptions(customer_id)
        if fetched:
            retry_on_conflict(partial(self._record, command.user_id, fetched))
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

    def _customer_of(self, user_id: str, replacing: str | None) -> str:
        """The user's billing customer, created and stored on first need."""
        with self._uow.writing() as uow:
            user = uow.users.require(user_id)
            if user.customer_id is None:
                user.link_customer(
                    self._gateway.create_customer(user.id, user.email, replacing=replacing)
                )
                uow.users.save(user)
                uow.commit()
            assert user.customer_id is not None
            return user.customer_id

    def _forget(self, user_id: str, customer_id: str) -> None:
        with self._uow.writing() as uow:
            forget_customer(uow, user_id, customer_id, self._clock.now())
            uow.commit()

    def _record(self, user_id: str, fetched: Sequence[Subscription]) -> None:
        with self._uow.writing() as uow:
            record_fetched(uow, user_id, fetched)
            uow.commit()
