from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from application.plan_changes import current_billing
from application.ports import Clock, PaymentGateway, UnitOfWork
from application.retry import write
from application.subscription_sync import record_fetched
from domain.access import AccessPolicy
from domain.catalog import Plan, PlanPrice
from domain.errors import PlanChangeExpired, UnknownPlan
from domain.plan_change import ChangeKind, decide_plan_change
from domain.subscription import Subscription

# How long a preview's price holds: confirmed later, it is looked at again.
QUOTE_LIFETIME = timedelta(hours=1)
# How far the confirmed moment may lie ahead of the provider's clock (clocks drift).
CLOCK_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class ChangePlanCommand:
    user_id: str
    lookup_key: str
    # The preview's proration date, sent back by the confirmation (an upgrade needs it).
    proration_date: datetime | None = None


@dataclass(frozen=True)
class ChangePlanResult:
    kind: ChangeKind | None  # None: the subscription was at that price already
    plan: Plan
    price: PlanPrice
    takes_effect: datetime  # now, or the end of the period for a downgrade


class ChangePlan:
    """Move the user's subscription to another price of the catalog, as previewed.

    Rules:
    - decided afresh on the provider's current state, by the same policy as the preview
      (`PlanChangeRefused`, `UnknownPlan`);
    - a subscription already at that price is left alone and the request succeeds: a
      confirmation sent twice changes (and charges) once;
    - an upgrade is charged now, prorated from the preview's moment, which must be at
      most an hour old (`PlanChangeExpired` otherwise: look at the preview again); a
      declined card raises `PaymentDeclined` and changes nothing;
    - a trial's change is made now, billing nothing; a downgrade is scheduled for the
      period's end (the provider makes it then; nothing is stored now);
    - what the provider answers is stored through `record_fetched` at once, so the
      account page shows the new plan before its webhook arrives (which then changes
      nothing).
    """

    def __init__(
        self, uow: UnitOfWork, gateway: PaymentGateway, clock: Clock, policy: AccessPolicy
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._policy = policy

    def execute(self, command: ChangePlanCommand) -> ChangePlanResult:
        chosen = self._policy.catalog.price_by_lookup_key(command.lookup_key)
        if chosen is None or chosen[1].price_id is None:
            raise UnknownPlan()
        plan, price = chosen
        billing = current_billing(self._uow, self._gateway, self._policy, command.user_id)
        subscription = billing.subscription if billing else None
        now = subscription.as_of if subscription else self._clock.now()
        if subscription is not None and subscription.price_id == price.price_id:
            self._store(command.user_id, subscription)
            return ChangePlanResult(None, plan, price, now)
        change = decide_plan_change(
            self._policy,
            subscription,
            command.lookup_key,
            now,
            billing.pending_change if billing else None,
            card_on_file=billing.card_on_file if billing else False,
        )
        target = change.target_price_id
        if change.kind is ChangeKind.DOWNGRADE:
            pending = self._gateway.schedule_price_change(change.subscription.id, target)
            return ChangePlanResult(change.kind, plan, price, pending.at)
        if change.kind is ChangeKind.TRIAL:
            moment = now.replace(microsecond=0)
            changed = self._gateway.change_price_now(
                change.subscription.id, target, moment, bill_now=False
            )
        else:
            moment = self._confirmed_moment(command.proration_date, now, change.subscription)
            changed = self._gateway.change_price_now(change.subscription.id, target, moment)
        self._store(command.user_id, changed)
        return ChangePlanResult(change.kind, plan, price, changed.as_of)

    @staticmethod
    def _confirmed_moment(
        moment: datetime | None, now: datetime, subscription: Subscription
    ) -> datetime:
        """The preview's moment, if it can still be charged: at most an hour old (a form
        left open longer is priced again), not ahead of the provider's time, in the
        current period."""
        start = subscription.current_period_start
        if (
            moment is None
            or moment > now + CLOCK_SLACK
            or moment < now - QUOTE_LIFETIME
            or (start is not None and moment < start)
        ):
            raise PlanChangeExpired()
        return moment

    def _store(self, user_id: str, subscription: Subscription) -> None:
        write(self._uow, partial(record_fetched, user_id=user_id, fetched=[subscription]))
