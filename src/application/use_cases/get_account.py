import enum
import logging
from dataclasses import dataclass
from datetime import datetime

from application.ports import AccountBilling, Clock, PaymentGateway, SubscriptionBilling, UnitOfWork
from domain.access import AccessPolicy
from domain.billing import Invoice, PaymentCard
from domain.catalog import Plan, PlanPrice
from domain.errors import DomainError, PaymentProviderError
from domain.plan_change import ChangeKind, Discount, decide_plan_change
from domain.subscription import Subscription, SubscriptionStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GetAccountCommand:
    user_id: str


class DateMeaning(enum.StrEnum):
    """What the one date the account page shows means."""

    RENEWS = "renews"  # active, nothing scheduled: the period's end
    TRIAL_ENDS = "trial_ends"  # trialing, nothing scheduled: the trial's end
    ACCESS_ENDS = "access_ends"  # set to cancel: when access stops
    ACCESS_UNTIL = "access_until"  # payment failed: when the grace ends
    PERIOD_ENDS = "period_ends"  # still billed but not paid up (past due, unpaid, paused)
    ENDED = "ended"  # over


@dataclass(frozen=True)
class KeyDate:
    meaning: DateMeaning
    moment: datetime


class AfterTrial(enum.StrEnum):
    """What happens when a trial ends."""

    CHARGED = "charged"  # the card given at checkout pays the first period
    ENDS_WITHOUT_CARD = "ends_without_card"  # a no-card plan: canceled unless one is added


@dataclass(frozen=True)
class PlanChoice:
    """A price the user may move to, and how the move would happen."""

    plan: Plan
    price: PlanPrice
    kind: ChangeKind


@dataclass(frozen=True)
class PendingPlan:
    """A downgrade the provider will make at `at` (plan and price None: a price we do
    not sell)."""

    at: datetime
    plan: Plan | None
    price: PlanPrice | None


@dataclass(frozen=True)
class AccountView:
    """What the account page shows, decided here: the page only words and formats it."""

    email: str
    has_premium: bool
    has_billing_account: bool
    status: SubscriptionStatus | None  # of the subscription shown; None without one
    subscription_id: str | None
    past_due: bool
    can_subscribe: bool  # no live subscription of ours
    key_date: KeyDate | None
    plan_name: str | None = None  # the plan of the subscription shown
    after_trial: AfterTrial | None = None  # while trialing
    price: PlanPrice | None = None  # what the subscription is billed, when on sale
    pending: PendingPlan | None = None  # a downgrade waiting for the period's end
    discount: Discount | None = None  # taken off the subscription's invoices now
    billing_unknown: bool = False  # the provider could not be asked (card, invoices...)
    choices: tuple[PlanChoice, ...] = ()  # the prices the user may change to
    card: PaymentCard | None = None  # the card on file
    invoices: tuple[Invoice, ...] = ()  # the latest, newest first
    can_cancel: bool = False  # live, not set to cancel yet
    can_resume: bool = False  # live and set to cancel
    cancel_takes_effect: datetime | None = None  # when a cancellation made now ends it


class GetAccount:
    """What the account page shows: plan, status, the date that matters, past-due warning.

    Rules: the subscription shown is the access policy's current one (ours, a live one
    first), with its plan's name; its one date is when access ends after a failed payment
    (the grace), else the scheduled end when set to cancel, else the end of a trial, else
    the renewal of an active one, else the end of a period still billed, else when it
    ended. While trialing, what happens at the trial's end: a plan that needs a card
    charges it; a no-card plan ends the subscription unless a card was added.

    With a gateway, the card on file, the latest invoices and a live subscription's
    pending change and discount are the provider's, asked in one read
    (`get_account_billing`); when it cannot be reached (or no longer knows the customer)
    they are unknown and the page is shown all the same. The prices offered for a change
    are those the plan-change policy allows now (none while a payment is due, a pause or
    a cancellation is pending). A live subscription may be cancelled (at the end of its
    period or trial) unless it is set to cancel already, in which case it may be resumed.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        policy: AccessPolicy,
        gateway: PaymentGateway | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy
        self._gateway = gateway

    def execute(self, command: GetAccountCommand) -> AccountView:
        with self._uow as uow:
            user = uow.users.require(command.user_id)
        subscription = self._policy.current_subscription(user)
        plan = self._policy.plan_of(subscription) if subscription else None
        after_trial = None
        if subscription and subscription.status is SubscriptionStatus.TRIALING and plan:
            no_card = plan.trial_without_card
            after_trial = AfterTrial.ENDS_WITHOUT_CARD if no_card else AfterTrial.CHARGED
        sold = (
            self._policy.catalog.price_by_id(subscription.price_id or "") if subscription else None
        )
        account, unknown = self._billing(user.customer_id, subscription)
        live = subscription is not None and subscription.is_live
        billing = account.subscription if account and live else None
        ending = subscription is not None and subscription.ends_at is not None
        return AccountView(
            email=user.email.value,
            has_premium=self._policy.grants_premium(user, self._clock.now()),
            has_billing_account=user.customer_id is not None,
            status=subscription.status if subscription else None,
            subscription_id=subscription.id if subscription else None,
            past_due=subscription is not None
            and subscription.status is SubscriptionStatus.PAST_DUE,
            can_subscribe=not self._policy.has_live_subscription(user),
            key_date=self._key_date(subscription) if subscription else None,
            plan_name=plan.name if plan else None,
            after_trial=after_trial,
            price=sold[1] if sold and self._policy.catalog.from_provider else None,
            pending=self._pending(billing),
            discount=billing.discount if billing else None,
            billing_unknown=unknown,
            choices=self._choices(subscription, billing),
            card=account.card if account else None,
            invoices=account.invoices if account else (),
            can_cancel=live and not ending,
            can_resume=live and ending,
            cancel_takes_effect=subscription.current_period_end
            if subscription and live and not ending
            else None,
        )

    def _billing(
        self, customer_id: str | None, subscription: Subscription | None
    ) -> tuple[AccountBilling | None, bool]:
        if self._gateway is None or customer_id is None:
            return None, False
        try:
            found = self._gateway.get_account_billing(
                customer_id, subscription.id if subscription else None
            )
        except PaymentProviderError as error:
            log.warning("account page without the provider's billing details: %s", error)
            return None, True
        return found, False

    def _pending(self, billing: SubscriptionBilling | None) -> PendingPlan | None:
        if billing is None or billing.pending_change is None:
            return None
        pending = billing.pending_change
        found = self._policy.catalog.price_by_id(pending.price_id)
        return PendingPlan(pending.at, *(found or (None, None)))

    def _choices(
        self, subscription: Subscription | None, billing: SubscriptionBilling | None
    ) -> tuple[PlanChoice, ...]:
        catalog = self._policy.catalog
        if subscription is None or not catalog.from_provider:
            return ()
        pending = billing.pending_change if billing else None
        choices = []
        for plan in catalog.plans:
            for price in plan.prices:
                try:
                    change = decide_plan_change(
                        self._policy, subscription, price.lookup_key, self._clock.now(), pending
                    )
                except DomainError:
                    continue
                choices.append(PlanChoice(plan, price, change.kind))
        return tuple(choices)

    def _key_date(self, subscription: Subscription) -> KeyDate | None:
        if subscription.status is SubscriptionStatus.PAST_DUE:
            grace_ends = subscription.grace_ends(self._policy.past_due_grace)
            if self._clock.now() < grace_ends:
                return KeyDate(DateMeaning.ACCESS_UNTIL, grace_ends)
        return _key_date(subscription)


def _key_date(subscription: Subscription) -> KeyDate | None:
    status = subscription.status
    if status.is_terminal:
        moment = subscription.ended_at
        return KeyDate(DateMeaning.ENDED, moment) if moment else None
    if subscription.ends_at is not None:
        return KeyDate(DateMeaning.ACCESS_ENDS, subscription.ends_at)
    end = subscription.current_period_end
    if end is None:
        return None
    if status is SubscriptionStatus.TRIALING:
        return KeyDate(DateMeaning.TRIAL_ENDS, end)
    if status is SubscriptionStatus.ACTIVE:
        return KeyDate(DateMeaning.RENEWS, end)
    return KeyDate(DateMeaning.PERIOD_ENDS, end) if subscription.is_live else None
