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
    """Pull the provider's truth for every user it bills and fix drift.

    Rules:
    - for when webhooks were lost: each user's subscriptions are listed from the provider
      and stored as its current state, one user per transaction (a state stored after
      the listing is newer and kept);
    - a user without a linked customer, or whose customer the provider does not know,
      is asked about by each subscription still running in our records, by its own id:
      a deleted customer's subscriptions end, as the provider says, and once it has
      answered for each of them (so the key is right) the customer is unlinked;
    - unattended, it never unlinks a customer (a wrong API key for an hour must not touch
      every user): a customer the provider does not know is reported;
    - a customer is linked again only through a live subscription of it;
    - a failure for one user (a network blip) is reported and the others go on.
    Returns what changed and what failed.
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
                checked = write(self._uow, partial(self._reconcile, user_id))
            except DomainError as error:
                report.failures[email] = error.message
                continue
            except Exception as error:  # a surprise for one user must not stop the rest
                log.exception("reconciling %s failed", email)
                report.failures[email] = f"{type(error).__name__}: {error}"
                continue
            if checked is not None:
                changes, problem = checked
                report.checked_users += 1
                report.changes.extend(changes)
                if problem:
                    report.failures[email] = problem
        return report

    def _reconcile(self, user_id: str, uow: UnitOfWork) -> tuple[list[Change], str | None] | None:
        """One user, one transaction: what changed, and what could not be checked; None
        when there is nothing to ask the provider."""
        user = uow.users.get(user_id)
        if user is None:
            return None
        email, customer_id = user.email.value, user.customer_id
        problem = None
        fetched: list[Subscription] | None = None
        if customer_id is not None:
            try:
                fetched = list(self._gateway.list_subscriptions(customer_id))
            except CustomerMissing:
                problem = (
                    f"the payment provider does not know customer {customer_id} (deleted,"
                    " or the keys of another account or mode); its subscriptions were"
                    " checked one by one"
                )
        running = [s for s in user.subscriptions.values() if not s.status.is_terminal]
        if fetched is None:
            if not running and customer_id is None:
                return None
            fetched = [
                current
                for current in (self._gateway.get_subscription(s.id) for s in running)
                if current is not None
            ]
        changes = record_fetched(uow, user_id, fetched)
        if problem and customer_id and running and len(fetched) == len(running):
            # Stripe answered for every one of them by id: the key is right and the
            # customer is really gone (deleted), so it is unlinked, not reported.
            forget_customer(uow, user_id, customer_id)
            problem = None
        elif customer_id is None:
            _link_again(uow, user_id, fetched)
        return [Change(email, after.id, before, after) for before, after in changes], problem


def _link_again(uow: UnitOfWork, user_id: str, fetched: list[Subscription]) -> None:
    """A live subscription proves its customer exists: link it again, unless another
    user has it meanwhile."""
    user = uow.users.require(user_id)
    for subscription in fetched:
        customer_id = subscription.customer_id
        if (
            subscription.is_live
            and customer_id
            and uow.users.get_by_customer_id(customer_id) is None
        ):
            user.link_customer(customer_id)
            uow.users.save(user)
            return
