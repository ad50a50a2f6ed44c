from dataclasses import dataclass
from functools import partial

from application.ports import CheckoutRedirect, PaymentGateway, UnitOfWork
from application.retry import retry_on_conflict
from domain.errors import AlreadySubscribed
from domain.subscription import Subscription


@dataclass(frozen=True)
class StartSubscriptionCommand:
    user_id: str
    success_url: str
    cancel_url: str


class StartSubscription:
    """Send a signed-in user to the provider's checkout.

    Rules: a user who already has a live subscription, in our records or at the
    provider, is refused with `AlreadySubscribed` (the caller sends them to the billing
    portal: one subscription per user); a checkout of theirs still open is reused;
    when a new one is created, any other open one (a racing request's) is expired, so
    at most one can be paid; the user's billing customer is created
    once, stored, and reused; the checkout carries the user's id so the provider's
    events find the user.
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway) -> None:
        self._uow = uow
        self._gateway = gateway

    def execute(self, command: StartSubscriptionCommand) -> CheckoutRedirect:
        customer_id = retry_on_conflict(partial(self._customer_of, command.user_id))
        # Our records may lag (paid, but no webhook yet): the provider has the last word.
        live = [s for s in self._gateway.list_subscriptions(customer_id) if s.is_live]
        if live:
            retry_on_conflict(partial(self._record, command.user_id, live))
            raise AlreadySubscribed()
        # A checkout of theirs still open (the first of a double click, a tab left open)
        # is where the user goes again: never a second payable one.
        existing = self._gateway.find_open_checkout(customer_id)
        if existing is not None:
            return existing
        checkout = self._gateway.create_checkout_session(
            user_id=command.user_id,
            customer_id=customer_id,
            success_url=command.success_url,
            cancel_url=command.cancel_url,
        )
        # Created first, then the others expired: of two requests racing (a double click)
        # at most one checkout stays payable, and a later request keeps its own.
        self._gateway.expire_other_checkouts(customer_id, checkout.session_id)
        return checkout

    def _customer_of(self, user_id: str) -> str:
        """The user's billing customer, created and stored on first need."""
        with self._uow as uow:
            user = uow.users.require(user_id)
            if user.has_live_subscription:
                raise AlreadySubscribed()
            if user.customer_id is None:
                user.link_customer(self._gateway.create_customer(user.id, user.email))
                uow.users.save(user)
                uow.commit()
            assert user.customer_id is not None
            return user.customer_id

    def _record(self, user_id: str, live: list[Subscription]) -> None:
        with self._uow as uow:
            user = uow.users.require(user_id)
            for subscription in live:
                user.apply_subscription(subscription, authoritative=True)
            uow.users.save(user)
            uow.commit()
