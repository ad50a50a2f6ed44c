from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, UnitOfWork
from domain.access import AccessPolicy
from domain.subscription import Subscription, SubscriptionStatus


@dataclass(frozen=True)
class GetAccountCommand:
    user_id: str


@dataclass(frozen=True)
class AccountView:
    email: str
    has_premium: bool
    has_billing_account: bool
    subscription: Subscription | None
    past_due: bool
    access_until: datetime | None


class GetAccount:
    """What the account page shows: plan, status, renewal or end date, past-due warning."""

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
            subscription=subscription,
            past_due=subscription is not None
            and subscription.status is SubscriptionStatus.PAST_DUE,
            access_until=subscription.ends_at if subscription else None,
        )
