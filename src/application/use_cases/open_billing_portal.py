from dataclasses import dataclass
from functools import partial

from application.billing import forget_customer
from application.ports import Clock, PaymentGateway, UnitOfWork
from application.retry import retry_on_conflict
from domain.errors import CustomerMissing, NoBillingAccount


@dataclass(frozen=True)
class OpenBillingPortalCommand:
    user_id: str
    return_url: str


class OpenBillingPortal:
    """The URL of the provider's billing portal for the user's customer.

    Rules: only a user who has a billing customer (has been through checkout) can open
    it; `NoBillingAccount` otherwise. A customer the provider no longer knows is
    forgotten, with the subscriptions it paid for, and the user is told, as a user
    without one, to subscribe.
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway, clock: Clock) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock

    def execute(self, command: OpenBillingPortalCommand) -> str:
        with self._uow as uow:
            user = uow.users.require(command.user_id)
        if user.customer_id is None:
            raise NoBillingAccount()
        try:
            return self._gateway.create_portal_session(user.customer_id, command.return_url)
        except CustomerMissing:
            retry_on_conflict(partial(self._forget, user.id, user.customer_id))
            raise NoBillingAccount() from None

    def _forget(self, user_id: str, customer_id: str) -> None:
        with self._uow.writing() as uow:
            forget_customer(uow, user_id, customer_id, self._clock.now())
            uow.commit()
