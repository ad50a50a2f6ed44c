import logging
from dataclasses import dataclass, field
from functools import partial

from application.ports import PaymentGateway, UnitOfWork
from application.retry import retry_on_conflict
from domain.errors import DomainError
from domain.subscription import Subscription
from domain.user import SnapshotOutcome

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
    and applied as authoritative current state, one user per transaction. A failure for
    one user (a customer deleted at the provider, a network blip) is reported and the
    others are still reconciled. Returns what changed and what failed.
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway) -> None:
        self._uow = uow
        self._gateway = gateway

    def execute(self, command: ReconcileSubscriptionsCommand) -> ReconcileReport:
        report = ReconcileReport()
        with self._uow as uow:
            users = [(user.id, user.email.value) for user in uow.users.list_billed()]
        for user_id, email in users:
            try:
                changes = retry_on_conflict(partial(self._reconcile, user_id))
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

    def _reconcile(self, user_id: str) -> list[Change] | None:
        """One user, one transaction; None when the user has no billing customer."""
        with self._uow as uow:
            user = uow.users.get(user_id)
            if user is None or user.customer_id is None:
                return None
            changes = []
            for current in self._gateway.list_subscriptions(user.customer_id):
                before = user.subscriptions.get(current.id)
                if before is not None and current.same_state_as(before):
                    continue
                outcome = user.apply_subscription(current, authoritative=True)
                if outcome is SnapshotOutcome.APPLIED:
                    changes.append(Change(user.email.value, current.id, before, current))
            uow.users.save(user)
            uow.commit()
        return changes
