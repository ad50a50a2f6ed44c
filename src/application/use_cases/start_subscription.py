from dataclasses import dataclass
from datetime import datetime
from functools import partial

from application.ports import (
    CheckoutOffer,
    CheckoutRedirect,
    Clock,
    PaymentGateway,
    UnitOfWork,
)
from application.retry import write
from application.subscription_sync import forget_customer, record_fetched
from domain.access import AccessPolicy
from domain.catalog import Plan, PlanPrice
from domain.errors import AlreadySubscribed, CustomerMissing, UnknownPlan
from domain.subscription import Subscription, SubscriptionStatus

MAX_CUSTOMERS_TRIED = 4


@dataclass(frozen=True)
class StartSubscriptionCommand:
    user_id: str
    success_url: str
    cancel_url: str
    # The price chosen, by its lookup key (`pro_yearly`); None: the catalog's only price.
    lookup_key: str | None = None
    # When the person clicked, by the server's own clock (it orders racing clicks; the
    # business clock may be an emulator's, asked over HTTP). None: the use case's clock.
    requested_at: datetime | None = None


class StartSubscription:
    """Send a signed-in user to the provider's checkout.

    Rules:
    - the user's address must be verified (`EmailNotVerified`), before anything is made
      at the provider: receipts and payment notices must reach the payer;
    - the price is one the catalog sells (by lookup key, resolved at the provider), else
      `UnknownPlan`; without a choice, the catalog's price when it has only one;
    - the checkout carries the plan's trial (`trial_days`; a `trial_without_card` plan
      asks for no card, and its trial ends the subscription when no card was added);
    - one trial per user: a user who ever had a subscription of ours (stored, or at the
      provider for their customer) pays from the first day, whatever the plan;
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
        plan, price = self._chosen(command.lookup_key)
        requested_at = command.requested_at or self._clock.now()
        replacing = None
        # A replacement customer's key names the lost one; within Stripe's idempotency
        # window the first requests may replay customers lost since: try a few.
        for _ in range(MAX_CUSTOMERS_TRIED):
            customer_id = write(self._uow, partial(self._customer_of, command.user_id, replacing))
            try:
                return self._checkout(command, plan, price, customer_id, requested_at)
            except CustomerMissing:
                lost = partial(forget_customer, user_id=command.user_id, customer_id=customer_id)
                write(self._uow, lost)
                replacing = customer_id
        raise CustomerMissing()

    def _chosen(self, lookup_key: str | None) -> tuple[Plan, PlanPrice]:
        catalog = self._policy.catalog
        if lookup_key is None:
            on_sale = [(plan, price) for plan in catalog.plans for price in plan.prices]
            chosen = on_sale[0] if len(on_sale) == 1 else None
        else:
            chosen = catalog.price_by_lookup_key(lookup_key)
        if chosen is None or chosen[1].price_id is None:
            raise UnknownPlan()
        return chosen

    def _checkout(
        self,
        command: StartSubscriptionCommand,
        plan: Plan,
        price: PlanPrice,
        customer_id: str,
        requested_at: datetime,
    ) -> CheckoutRedirect:
        # Our records may lag either way (paid, but no webhook yet; ended, and the webhook
        # lost): the provider has the last word, and what it says is recorded.
        fetched = list(self._gateway.list_subscriptions(customer_id))
        stored = self._stored(command.user_id)
        fetched += self._elsewhere(stored, {s.id for s in fetched})
        if fetched:
            record = partial(
                record_fetched,
                user_id=command.user_id,
                fetched=fetched,
                fetched_in_this_transaction=False,
            )
            write(self._uow, record)
        if self._policy.live_subscriptions(fetched):
            raise AlreadySubscribed()
        assert price.price_id is not None
        trial = 0 if self._had_one(stored + fetched) else plan.trial_days
        offer = CheckoutOffer(price.price_id, trial, plan.trial_without_card and trial > 0)
        checkout = self._gateway.create_checkout_session(
            user_id=command.user_id,
            customer_id=customer_id,
            offer=offer,
            success_url=command.success_url,
            cancel_url=command.cancel_url,
            requested_at=requested_at,
        )
        return self._gateway.settle_open_checkouts(customer_id) or checkout

    def _stored(self, user_id: str) -> list[Subscription]:
        with self._uow as uow:
            user = uow.users.require(user_id)
        return list(user.subscriptions.values())

    def _elsewhere(self, stored: list[Subscription], listed: set[str]) -> list[Subscription]:
        """Live subscriptions of ours in our records that the customer's listing did not
        show (of a customer unlinked since): as the provider has them now, if it does."""
        live = self._policy.live_subscriptions(stored)
        current = (self._gateway.get_subscription(s.id) for s in live if s.id not in listed)
        return [s for s in current if s is not None]

    def _had_one(self, subscriptions: list[Subscription]) -> bool:
        """Whether any of these, of ours, ever started (a checkout never completed does
        not count): such a user has had their trial."""
        never_started = (SubscriptionStatus.INCOMPLETE, SubscriptionStatus.INCOMPLETE_EXPIRED)
        return any(s.status not in never_started for s in subscriptions if self._policy.sells(s))

    def _customer_of(self, user_id: str, replacing: str | None, uow: UnitOfWork) -> str:
        """The user's billing customer, created and stored on first need."""
        user = uow.users.require(user_id)
        user.require_verified_email()
        if user.customer_id is None:
            user.link_customer(
                self._gateway.create_customer(user.id, user.email, replacing=replacing)
            )
            uow.users.save(user)
        assert user.customer_id is not None
        return user.customer_id
