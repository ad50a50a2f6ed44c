from dataclasses import dataclass

from application.ports import PaymentGateway, UnitOfWork
from domain.errors import NoBillingAccount


@dataclass(frozen=True)
class OpenBillingPortalCommand:
    user_id: str
    return_url: str


class OpenBillingPortal:
    """The URL of the provider's billing portal for the user's customer.

    Rules: only a user who has a billing customer (has been through checkout) can open
    it; `NoBillingAccount` otherwise.
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway) -> None:
        self._uow = uow
        self._gateway = gateway

    def execute(self, command: OpenBillingPortalCommand) -> str:
        with self._uow as uow:
            user = uow.users.require(command.user_id)
        if user.customer_id is None:
            raise NoBillingAccount()
        return self._gateway.create_portal_session(user.customer_id, command.return_url)
