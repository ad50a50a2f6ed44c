from dataclasses import dataclass
from datetime import datetime

from application.plan_changes import current_billing
from application.ports import ChangePreview, Clock, PaymentGateway, UnitOfWork
from domain.access import AccessPolicy
from domain.plan_change import ChangeKind, Discount, PlanChange, decide_plan_change


@dataclass(frozen=True)
class PreviewPlanChangeCommand:
    user_id: str
    lookup_key: str  # the price chosen, by its lookup key


@dataclass(frozen=True)
class PlanChangeQuote:
    """A change the user may confirm, and what it bills.

    `preview` is the provider's invoice preview of an upgrade (charged now); a downgrade
    or a trial's change bills nothing now, and `preview` is None. `proration_date` is
    what the confirmation sends back, so that the charge is the one shown.
    """

    change: PlanChange
    preview: ChangePreview | None
    discount: Discount | None
    proration_date: datetime


class PreviewPlanChange:
    """What moving to another price of the catalog would do, before the user confirms.

    Rules:
    - decided on the provider's current state of the user's subscription (with its
      pending change), by the domain's policy (`decide_plan_change`): a refusal raises
      `PlanChangeRefused` with its reason, an unknown price `UnknownPlan`;
    - an upgrade is previewed by the provider (`preview_plan_change`), prorated from the
      provider's time of the answer, in whole seconds;
    - nothing changes, nothing is stored.
    """

    def __init__(
        self, uow: UnitOfWork, gateway: PaymentGateway, clock: Clock, policy: AccessPolicy
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._policy = policy

    def execute(self, command: PreviewPlanChangeCommand) -> PlanChangeQuote:
        billing = current_billing(self._uow, self._gateway, self._policy, command.user_id)
        subscription = billing.subscription if billing else None
        now = subscription.as_of if subscription else self._clock.now()
        change = decide_plan_change(
            self._policy,
            subscription,
            command.lookup_key,
            now,
            billing.pending_change if billing else None,
            card_on_file=billing.card_on_file if billing else False,
        )
        moment = now.replace(microsecond=0)
        preview = None
        if change.kind is ChangeKind.UPGRADE:
            preview = self._gateway.preview_plan_change(
                change.subscription.id, change.target_price_id, moment
            )
        return PlanChangeQuote(change, preview, billing.discount if billing else None, moment)
