from dataclasses import dataclass
from functools import partial

from application.ports import PaymentGateway, UnitOfWork
from application.retry import write
from application.subscription_sync import forget_customer
from domain.errors import CustomerMissing, NoBillingAccount


@dataclass(frozen=True)
class OpenBillingPortalCommand:
    user_id: str
    return_url: str


class OpenBillingPortal:
    """The URL of the provider's billing portal for the user's customer.

    Rules: only a user who has a billing customer (has been through checkout) can open
    it; `NoBillingAccount` otherwise. A customer the provider no longer knows is
    unlinked (`forget_customer`), and the user is told, as a user without one, to
    subscribe. The portal is shown with `portal_configuration`, the provider's
    configuration made for the catalog (its plan switches are the catalog's prices
    only); None (a one-price setup) leaves the provider's default.
    """

    def __init__(
        self, uow: UnitOfWork, gateway: PaymentGateway, portal_configuration: str | None = None
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._configuration = portal_configuration

    def execute(self, command: OpenBillingPortalCommand) -> str:
        with self._uow as uow:
            user = uow.users.require(command.user_id)
        if user.customer_id is None:
            raise NoBillingAccount()
        try:
            return self._gateway.create_portal_session(
                user.customer_id, command.return_url, self._configuration
            )
        except CustomerMissing:
            write(
                self._uow, partial(forget_customer, user_id=user.id, customer_id=user.customer_id)
            )
            raise NoBillingAccount() from None
