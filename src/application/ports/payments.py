"""The payment provider: prices, customers, checkout, subscriptions and their changes,
webhooks."""

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.billing import Invoice, PaymentCard
from domain.catalog import PlanPrice
from domain.email import EmailAddress
from domain.plan_change import Discount, PendingChange
from domain.provider_events import BillingEvent, CheckoutSession
from domain.subscription import Subscription


@dataclass(frozen=True)
class CheckoutRedirect:
    session_id: str
    url: str


@dataclass(frozen=True)
class CheckoutOffer:
    """What one checkout sells: a price, and the trial that comes with it (0 days: none)."""

    price_id: str
    trial_days: int = 0
    trial_without_card: bool = False

    def __post_init__(self) -> None:
        if self.trial_days < 0:
            raise ValueError("a trial cannot be negative")
        if self.trial_without_card and not self.trial_days:
            raise ValueError("no card is needed only for a trial")


@dataclass(frozen=True)
class PortalConfiguration:
    """The provider's billing-portal configuration made for the catalog (by
    `stripe-provision`): its id, and the prices its subscribers may switch between."""

    id: str
    price_ids: frozenset[str]


@dataclass(frozen=True)
class SubscriptionBilling:
    """A subscription with what the provider plans for it: the change of price it will
    make by itself (`pending_change`: a downgrade at period end) and the discount taken
    off its invoices now (`discount`)."""

    subscription: Subscription
    pending_change: PendingChange | None = None
    discount: Discount | None = None
    # Whether a card would pay its invoices (its own default payment method, or its
    # customer's): a trial begun without one has none.
    card_on_file: bool = False


# How many of the latest invoices the account page shows (older ones are in the portal).
INVOICES_SHOWN = 12


@dataclass(frozen=True)
class AccountBilling:
    """What the account page shows of the customer's billing, read from the provider at
    once: the subscription shown with its pending change and discount (None: none asked
    for, or the provider does not know it), the card it is charged to (None: no card on
    file), and the latest invoices, newest first (drafts left out)."""

    subscription: SubscriptionBilling | None
    card: PaymentCard | None
    invoices: tuple[Invoice, ...] = ()


@dataclass(frozen=True)
class ChangePreview:
    """What a change of price made now bills, by the provider's invoice preview (minor
    units of `currency`):

    - `due_now`: charged at once (after the discount and the customer's credit);
    - `credit`: the unused time of the current price, taken off;
    - `discount`: what a discount takes off this invoice;
    - `to_balance`: what the change leaves in the customer's favour when the credit is
      larger than the charge (paid out of the next invoices, never refunded);
    - `renews_at`: when the new price is billed next (the end of the current period, or
      of a new one when the billing interval changes);
    - `proration_date`: the moment prorated from; the change confirmed with it
      (`change_price_now`) charges exactly `due_now`.
    """

    currency: str
    due_now: int
    credit: int
    discount: int
    to_balance: int
    renews_at: datetime | None
    proration_date: datetime


class PaymentGateway(abc.ABC):
    """The payment provider (Stripe in production).

    Every call that creates something is idempotent where a key is given, so a retry
    after a time-out never charges or creates twice. Provider failures raise
    `PaymentProviderError` (or a subclass) with a message a person can read; unknown ids
    raise `CheckoutNotFound` / return None as documented.
    """

    @abc.abstractmethod
    def find_prices(self, lookup_keys: Sequence[str]) -> Mapping[str, PlanPrice]:
        """The provider's active recurring prices named by `lookup_keys`, by lookup key,
        each with its id, amount (minor units), currency and interval as the provider
        charges them. A key the provider does not know (or whose price is inactive, or
        not billed by the month or the year) is absent from the answer, never an error."""

    @abc.abstractmethod
    def create_customer(
        self, user_id: str, email: EmailAddress, *, replacing: str | None = None
    ) -> str:
        """Create the user's billing customer (user id in its metadata); return its id.

        Idempotent on `user_id`: calling it twice for one user returns one customer.
        `replacing` names a customer of the user's that the provider no longer knows:
        the new one must not be a replay of the request that created it.
        """

    @abc.abstractmethod
    def update_customer_email(self, customer_id: str, email: EmailAddress) -> None:
        """Set the billing customer's email (the provider's receipts and its portal use
        it). Idempotent: setting the same address again changes nothing.
        `CustomerMissing` for a customer the provider does not know."""

    @abc.abstractmethod
    def create_checkout_session(
        self,
        *,
        user_id: str,
        customer_id: str,
        offer: CheckoutOffer,
        success_url: str,
        cancel_url: str,
        requested_at: datetime,
    ) -> CheckoutRedirect:
        """A subscription checkout for `offer`'s price, tied to `user_id`.

        The offer's trial is the subscription's (`trial_days`; `trial_without_card`: the
        checkout asks for no card, and a trial that ends without one ends the
        subscription, canceled). Promotion codes are accepted on every checkout.
        `success_url` may contain the `{CHECKOUT_SESSION_ID}` placeholder. `requested_at`
        (when the person asked for it) is kept with the checkout for
        `settle_open_checkouts`. `CustomerMissing` when the provider does not know
        `customer_id`.
        """

    @abc.abstractmethod
    def settle_open_checkouts(self, customer_id: str) -> CheckoutRedirect | None:
        """Keep the customer's most recently requested open checkout, expire the others;
        return the kept one (None when none is open).

        Every request settles right after creating its own checkout. The one asked for
        last is never expired, by any request: so of any number of racing clicks the
        last one always lands on a payable page, and at most one stays payable.
        A checkout paid meanwhile is left alone.
        """

    @abc.abstractmethod
    def expire_open_checkouts(self, customer_id: str) -> int:
        """Expire every open checkout of the customer, so that no page left open can start
        a subscription (an account leaving); returns how many were expired. A checkout paid
        meanwhile is left alone: its subscription is among `list_subscriptions`'. Calling it
        again expires nothing more. `PaymentProviderError` when the provider cannot be
        reached (some may still be payable)."""

    @abc.abstractmethod
    def get_checkout_session(self, session_id: str) -> CheckoutSession:
        """The checkout as the provider has it; `CheckoutNotFound` for an unknown id."""

    @abc.abstractmethod
    def get_subscription(self, subscription_id: str) -> Subscription | None:
        """The subscription's current state (stamped with the provider's now), or None."""

    @abc.abstractmethod
    def list_subscriptions(self, customer_id: str) -> Sequence[Subscription]:
        """Every subscription of the customer, canceled ones included, each stamped with
        the provider's time of the answer; `CustomerMissing` for an unknown customer."""

    @abc.abstractmethod
    def cancel_subscription(self, subscription_id: str) -> Subscription:
        """Cancel now; returns the canceled subscription."""

    @abc.abstractmethod
    def find_portal_configuration(self) -> PortalConfiguration | None:
        """The billing-portal configuration `stripe-provision` made for the catalog (one
        that is active and marked as ours), or None when the provider has none; a
        configuration made by anyone else (the provider's default) is never it."""

    @abc.abstractmethod
    def create_portal_session(
        self, customer_id: str, return_url: str, configuration: str | None = None
    ) -> str:
        """The URL of the provider's billing portal for the customer, shown with
        `configuration` (an id from `find_portal_configuration`; None: the provider's
        default). `CustomerMissing` for an unknown customer; `PaymentProviderError` for a
        configuration the provider does not have (or no longer uses)."""

    @abc.abstractmethod
    def parse_webhook(self, payload: bytes, signature: str | None) -> BillingEvent:
        """Verify a webhook delivery and translate it.

        Raises `InvalidWebhook` for a missing or wrong signature, a timestamp outside the
        tolerance, a body that is not an event, or an event from the wrong mode (live
        events on a test key and the other way round).
        """

    @abc.abstractmethod
    def translate_event(self, payload: str) -> BillingEvent:
        """Translate an event payload verified earlier (for replaying stored events)."""

    @abc.abstractmethod
    def list_undelivered_events(self, since: datetime) -> Sequence[BillingEvent]:
        """The events of the kinds this service listens to, created at or after `since`,
        that the provider has not delivered to every webhook endpoint (still retrying,
        or given up), oldest first, translated as `parse_webhook` translates a delivery
        (Stripe: `GET /v1/events?delivery_success=false`, which keeps 30 days). The
        provider vouches for them as for a signed delivery. One that cannot be read
        (`parse_webhook` would refuse it) is left out, logged, never hiding the others.
        `PaymentProviderError` when the provider cannot be asked."""

    # -- the account page: billing at a glance, cancel and resume ---------------------

    @abc.abstractmethod
    def get_account_billing(
        self, customer_id: str, subscription_id: str | None, *, invoices: int = INVOICES_SHOWN
    ) -> AccountBilling:
        """The customer's billing as the provider has it now, for the account page:
        `subscription_id`'s subscription with its pending change and discount (as
        `get_subscription_billing`), the card on file (the subscription's own default
        payment method, else the customer's; without a subscription, the customer's), and
        the customer's latest `invoices` invoices, newest first, drafts left out.
        `CustomerMissing` for a customer the provider does not know;
        `PaymentProviderError` when it cannot be reached (the page shows without)."""

    @abc.abstractmethod
    def set_cancel_at_period_end(self, subscription_id: str, cancel: bool) -> Subscription:
        """`cancel`: the subscription ends when its current period (or trial) ends, nothing
        more charged; not `cancel`: that is undone and it renews again. Returns it as
        changed, stamped with the provider's time. Setting what is set already changes
        nothing. `PaymentProviderError` for an unknown or ended subscription, and for one
        with a pending change of price (a schedule decides what happens at the period's
        end: `release_scheduled_change` first)."""

    # -- changing plan ---------------------------------------------------------------

    @abc.abstractmethod
    def get_subscription_billing(self, subscription_id: str) -> SubscriptionBilling | None:
        """The subscription as the provider has it now (stamped with the provider's time),
        with its pending change of price and its current discount, in one request; None
        for an unknown id. A pending change is one to another price than the current."""

    @abc.abstractmethod
    def preview_plan_change(
        self, subscription_id: str, price_id: str, proration_date: datetime
    ) -> ChangePreview:
        """What `change_price_now(subscription_id, price_id, proration_date)` would charge,
        from the provider's invoice preview; nothing changes. `proration_date` must lie in
        the current period (`PaymentProviderError` otherwise)."""

    @abc.abstractmethod
    def change_price_now(
        self,
        subscription_id: str,
        price_id: str,
        proration_date: datetime,
        *,
        bill_now: bool = True,
    ) -> Subscription:
        """Move the subscription to `price_id` now; return it as changed.

        `bill_now`: the unused time is credited and the rest of the period at the new
        price charged at once, prorated from `proration_date` (a change of billing
        interval starts a new period now); a card that declines raises `PaymentDeclined`
        and changes nothing. Not `bill_now` (a trial): nothing is billed, the period
        stays. A pending change of price is dropped first. Idempotent: the same request
        again (same subscription, prices and `proration_date`) charges once.
        """

    @abc.abstractmethod
    def schedule_price_change(self, subscription_id: str, price_id: str) -> PendingChange:
        """Move the subscription to `price_id` when its current period ends, nothing
        billed now (nor prorated then); replaces a change pending already. Returns it."""

    @abc.abstractmethod
    def release_scheduled_change(self, subscription_id: str) -> None:
        """Drop the subscription's pending change of price: it goes on at its current
        price. Nothing pending (or an unknown subscription): nothing happens."""
