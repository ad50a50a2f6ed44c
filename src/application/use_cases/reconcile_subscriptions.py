import logging
from dataclasses import dataclass, field
from functools import partial

from application.ports import Clock, PaymentGateway, UnitOfWork
from application.retry import write
from application.subscription_sync import record_fetched
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
        """One user, one transaction; None when there is nothing to ask the provider."""
        user = uow.users.get(user_id)
        if user is None:
            return None
        email, customer_id = user.email.value, user.customer_id
        if customer_id is None:
            # The customer was unlinked (the provider did not know it when the user acted):
            # ask about each subscription still running in our records, by its own id.
            running = [s for s in user.subscriptions.values() if not s.status.is_terminal]
            if not running:
                return None
            fetched = [
                current
                for current in (self._gateway.get_subscription(s.id) for s in running)
                if current is not None
            ]
        else:
            try:
                fetched = list(self._gateway.list_subscriptions(customer_id))
            except CustomerMissing:
                # Unattended: a wrong API key must not unlink every user. Say so, change
                # nothing; the user's own next Subscribe or Manage billing replaces it.
                raise CustomerMissing(
                    f"the payment provider does not know customer {customer_id} (deleted,"
                    " or the keys of another account or mode); nothing changed"
                ) from None
        changes = record_fetched(uow, user_id, fetched)
        if customer_id is None:
            _link_again(uow, user_id, fetched)
        return [Change(email, after.id, before, after) for before, after in changes]


def _link_again(uow: UnitOfWork, user_id: str, fetched: list[Subscription]) -> None:
    """The provider knows the user's subscriptions again: link their customer again,
    unless another user has it meanwhile."""
    user = uow.users.require(user_id)
    for subscription in fetched:
        customer_id = subscription.customer_id
        if customer_id and uow.users.get_by_customer_id(customer_id) is None:
            user.link_customer(customer_id)
            uow.users.save(user)
            return
