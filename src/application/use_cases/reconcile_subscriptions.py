import logging
from dataclasses import dataclass, field
from functools import partial

from application.ports import Clock, PaymentGateway, UnitOfWork
from application.retry import write
from application.subscription_sync import forget_customer, record_fetched
from domain.errors import CustomerMissing, DomainError
from domain.subscription import Subscription

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconcileSubscriptionsCommand:
    pass


@dataclass(frozen=True)
class Change:
    user_email: str
    subscription_id: str
    before: Subscription | None
    after: Subscription

    def describe(self) -> str:
        old = self.before.status.value if self.before else "unknown"
        text = f"{self.user_email}: {self.subscription_id} {old} -> {self.after.status.value}"
        if self.after.current_period_end:
            text += f", period end {self.after.current_period_end:%Y-%m-%d %H:%M}"
        if self.after.cancel_at_period_end:
            text += ", cancels at period end"
        return text


@dataclass
class ReconcileReport:
    checked_users: int = 0
    changes: list[Change] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)  # user email -> what went wrong


class ReconcileSubscriptions:
    """Pull the provider's truth for every billed user and fix drift.

    For when webhooks were lost: each user's subscriptions are listed from the provider
    and stored as its current state, one user per transaction (a state stored after the
    listing is newer and kept). A customer the provider no longer knows is forgotten and
    what it paid for ends. A failure for one user (a network blip) is reported and the
    others are still reconciled. Returns what changed and what failed.
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway, clock: Clock) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock

    def execute(self, command: ReconcileSubscriptionsCommand) -> ReconcileReport:
        report = ReconcileReport()
        with self._uow as uow:
            users = [(user.id, user.email.value) for user in uow.users.list_billed()]
        for user_id, email in users:
            try:
                changes = write(self._uow, partial(self._reconcile, user_id))
            except DomainError as error:
                report.failures[email] = error.message
                continue
            except Exception as error:  # a surprise for one user must not stop the rest
                log.exception("reconciling %s failed", email)
                report.failures[email] = f"{type(error).__name__}: {error}"
                continue
            if changes is not None:
                report.checked_users += 1
                report.changes.extend(changes)
        return report

    def _reconcile(self, user_id: str, uow: UnitOfWork) -> list[Change] | None:
        """One user, one transaction; None when the user has no billing customer."""
        user = uow.users.get(user_id)
        if user is None or user.customer_id is None:
            return None
        email = user.email.value
        try:
            fetched = self._gateway.list_subscriptions(user.customer_id)
        except CustomerMissing:
            before = dict(user.subscriptions)
            ended = forget_customer(uow, user_id, user.customer_id, self._clock.now())
            return [Change(email, s.id, before.get(s.id), s) for s in ended]
        changes = record_fetched(uow, user_id, fetched)
        return [Change(email, after.id, before, after) for before, after in changes]
