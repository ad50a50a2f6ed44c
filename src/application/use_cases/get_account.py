import enum
from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, UnitOfWork
from domain.access import AccessPolicy
from domain.subscription import Subscription, SubscriptionStatus


@dataclass(frozen=True)
class GetAccountCommand:
    user_id: str


class DateMeaning(enum.StrEnum):
    """What the one date the account page shows means."""

    RENEWS = "renews"  # active or trialing, nothing scheduled: the period's end
    ACCESS_ENDS = "access_ends"  # set to cancel: when access stops
    ACCESS_UNTIL = "access_until"  # payment failed: when the grace ends
    PERIOD_ENDS = "period_ends"  # still billed but not paid up (past due, unpaid, paused)
    ENDED = "ended"  # over


@dataclass(frozen=True)
class KeyDate:
    meaning: DateMeaning
    moment: datetime


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


class GetAccount:
    """What the account page shows: plan, status, the date that matters, past-due warning.

    Rules: the subscription shown is the access policy's current one (ours, a live one
    first); its one date is when access ends after a failed payment (the grace), else the
    scheduled end when set to cancel, else the renewal of an active one, else the end of
    a period still billed, else when it ended.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, policy: AccessPolicy) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy

    def execute(self, command: GetAccountCommand) -> AccountView:
        with self._uow as uow:
            user = uow.users.require(command.user_id)
        subscription = self._policy.current_subscription(user)
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
        )

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
    if status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING):
        return KeyDate(DateMeaning.RENEWS, end)
    return KeyDate(DateMeaning.PERIOD_ENDS, end) if subscription.is_live else None
