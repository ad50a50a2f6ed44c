import logging
from dataclasses import dataclass
from functools import partial

from application.ports import Clock, PasswordHasher, PaymentGateway, UnitOfWork
from application.retry import write
from domain.errors import CurrentPasswordWrong, CustomerMissing, PaymentProviderError
from domain.password_policy import MAX_LENGTH
from domain.subscription import Subscription
from domain.user import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeleteAccountCommand:
    user_id: str
    password: str


class DeleteAccount:
    """The signed-in user leaves: the account and what it holds of them are deleted.

    Rules:
    - the password is needed (`CurrentPasswordWrong`);
    - at the payment provider first: every open checkout of the user's billing customer
      is expired (a Checkout tab left open cannot start a subscription afterwards), then
      every subscription of theirs that has not ended is canceled, now (no refund of the
      unused time), an `incomplete` one too (its payment may still go through); if the
      provider cannot be reached, nothing is deleted (`PaymentProviderError`), so nobody
      is billed for an account that is gone;
    - then, in one transaction: the user and their subscriptions are deleted, every
      email of theirs in the outbox (sent or not) with them; every session ends (no
      user to load). What stays: a tombstone (the user's id and the time of deletion,
      nothing personal), the provider's events in the event inbox (accounting and
      replays; they name the provider's customer, not our user), and the provider's
      own records of the customer, invoices and payments, which the provider keeps for
      accounting;
    - later events about that customer match no user and are recorded as ignored; one
      of a checkout paid at the moment of the deletion names the tombstone's id, and its
      subscription is canceled (`HandleBillingEvent`).
    """

    def __init__(
        self,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        gateway: PaymentGateway | None,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._gateway = gateway
        self._clock = clock

    def execute(self, command: DeleteAccountCommand) -> None:
        with self._uow.reading() as uow:
            user = uow.users.require(command.user_id)
        password = command.password if len(command.password) <= MAX_LENGTH else ""
        if not self._hasher.verify(user.password_hash, password):
            raise CurrentPasswordWrong()
        write(self._uow, partial(self._delete, command.user_id, user.password_hash))

    def _delete(self, user_id: str, verified_hash: str, uow: UnitOfWork) -> None:
        # The user stays locked while their subscriptions are canceled: the webhooks
        # that follow wait, then find no user.
        user = uow.users.require(user_id)
        if user.password_hash != verified_hash:
            raise CurrentPasswordWrong()
        for subscription in self._subscriptions_to_end(user):
            assert self._gateway is not None
            self._gateway.cancel_subscription(subscription.id)
            log.info("user %s leaves: subscription %s canceled", user.id, subscription.id)
        uow.outbox.discard_of(user.id)
        uow.users.remove(user.id, self._clock.now())

    def _subscriptions_to_end(self, user: User) -> list[Subscription]:
        """Those that have not ended, by the provider's word (our records may lag: a
        checkout paid a moment ago), and by ours. The open checkouts are expired before
        the provider is asked: one paid meanwhile is then among its subscriptions."""
        stored = {s.id: s for s in user.subscriptions.values() if not s.status.is_terminal}
        if user.customer_id is None and not stored:
            return []
        if self._gateway is None:
            raise PaymentProviderError("Payments are not configured on this server.")
        fetched: dict[str, Subscription] = {}
        if user.customer_id is not None:
            try:
                expired = self._gateway.expire_open_checkouts(user.customer_id)
                fetched = {s.id: s for s in self._gateway.list_subscriptions(user.customer_id)}
            except CustomerMissing:
                log.info("user %s leaves: the provider no longer knows their customer", user.id)
            else:
                if expired:
                    log.info("user %s leaves: %d open checkout(s) expired", user.id, expired)
        for subscription_id in stored.keys() - fetched.keys():
            current = self._gateway.get_subscription(subscription_id)
            if current is not None:
                fetched[subscription_id] = current
        return [s for s in fetched.values() if not s.status.is_terminal]
