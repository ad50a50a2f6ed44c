from dataclasses import dataclass

from application.plan_changes import current_billing
from application.ports import PaymentGateway, UnitOfWork
from domain.access import AccessPolicy


@dataclass(frozen=True)
class KeepCurrentPlanCommand:
    user_id: str


class KeepCurrentPlan:
    """Undo a pending downgrade: the subscription goes on at its current price.

    Rules: the pending change is the provider's (asked now); without one, nothing
    happens and the request succeeds (a button pressed twice). Nothing is stored: the
    subscription itself does not change.
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway, policy: AccessPolicy) -> None:
        self._uow = uow
        self._gateway = gateway
        self._policy = policy

    def execute(self, command: KeepCurrentPlanCommand) -> None:
        billing = current_billing(self._uow, self._gateway, self._policy, command.user_id)
        if billing is not None and billing.pending_change is not None:
            self._gateway.release_scheduled_change(billing.subscription.id)
