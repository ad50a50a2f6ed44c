"""Changing plan: which changes are allowed, and when each takes effect.

The proration policy (README, "Changing plan"):
- an upgrade (a plan that ranks higher, or the same plan paid yearly instead of
  monthly) takes effect now: the unused time of the current price is credited, the
  rest of the period at the new price is charged now, prorated by the second;
- a downgrade (a plan that ranks lower, or the same plan paid monthly instead of
  yearly) takes effect at the end of the period already paid: the user keeps the
  higher plan until then, nothing is refunded, the lower price is billed from then;
- during a trial every change takes effect now and nothing is charged: the trial
  keeps its end (and what happens then), and the new price is what its end bills.
"""

import enum
from dataclasses import dataclass
from datetime import datetime

from domain.access import AccessPolicy
from domain.catalog import Plan, PlanPrice
from domain.errors import PlanChangeRefused, UnknownPlan
from domain.subscription import Subscription, SubscriptionStatus


class ChangeKind(enum.StrEnum):
    UPGRADE = "upgrade"  # now, the difference prorated and charged now
    DOWNGRADE = "downgrade"  # at the end of the period, nothing billed now
    TRIAL = "trial"  # now, during a trial: nothing billed until the trial ends


@dataclass(frozen=True)
class PendingChange:
    """A change of price the provider will make by itself (a downgrade at period end)."""

    price_id: str
    at: datetime


@dataclass(frozen=True)
class Discount:
    """A discount the provider takes off the subscription's invoices: a coupon's
    `percent_off` or `amount_off` (minor units of `currency`), by the promotion `code`
    typed at checkout when there was one, until `ends_at` (None: as long as it lasts:
    `once` or `forever`)."""

    name: str | None = None
    code: str | None = None
    percent_off: float | None = None
    amount_off: int | None = None
    currency: str | None = None
    ends_at: datetime | None = None

    def __post_init__(self) -> None:
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValueError("a discount is a percentage or an amount, one of them")


@dataclass(frozen=True)
class PlanChange:
    """A change the policy allows: from the subscription's plan and price to the target's.

    `current_price` is None for a price no longer on sale (grandfathered);
    `takes_effect` is when the target price replaces the current one (now, or the end
    of the period for a downgrade).
    """

    kind: ChangeKind
    subscription: Subscription
    current_plan: Plan
    current_price: PlanPrice | None
    target_plan: Plan
    target_price: PlanPrice
    takes_effect: datetime

    @property
    def target_price_id(self) -> str:
        assert self.target_price.price_id is not None
        return self.target_price.price_id

    @property
    def trial_ends(self) -> datetime | None:
        if self.kind is ChangeKind.TRIAL:
            return self.subscription.current_period_end
        return None


def decide_plan_change(
    policy: AccessPolicy,
    subscription: Subscription | None,
    lookup_key: str,
    now: datetime,
    pending: PendingChange | None = None,
    *,
    card_on_file: bool = True,
) -> PlanChange:
    """The change from `subscription` to the catalog's price `lookup_key`, or why not.

    Rules:
    - the price must be on sale (`UnknownPlan` otherwise);
    - there must be a live subscription of ours, active or trialing, not set to end: a
      payment to fix, a pause or a cancellation comes first (`PlanChangeRefused`, with
      what to do);
    - the price chosen is neither the current one nor the one a pending change moves
      to already;
    - trialing: a trial change, to a plan whose trial asks for a card only with a card on
      file (`card_on_file`); else an upgrade or a downgrade by the plans' rank, and
      within one plan by the billing interval (yearly ranks above monthly).
    """
    chosen = policy.catalog.price_by_lookup_key(lookup_key)
    if chosen is None or chosen[1].price_id is None:
        raise UnknownPlan()
    target_plan, target_price = chosen
    if subscription is None or not subscription.is_live or not policy.sells(subscription):
        raise PlanChangeRefused(
            "You have no subscription to change. Choose a plan on the pricing page."
        )
    _refuse_unless_changeable(subscription)
    current_plan = policy.plan_of(subscription)
    assert current_plan is not None  # sold: a plan of the catalog, or grandfathered into one
    sold = policy.catalog.price_by_id(subscription.price_id or "")
    current_price = sold[1] if sold else None
    name = _name(target_plan, target_price)
    if subscription.price_id == target_price.price_id:
        raise PlanChangeRefused(f"You are on {name} already.")
    if pending is not None and pending.price_id == target_price.price_id:
        raise PlanChangeRefused(f"Your change to {name} is already planned for {_day(pending.at)}.")
    if subscription.status is SubscriptionStatus.TRIALING:
        if not card_on_file and not target_plan.trial_without_card:
            # Its trial asks for a card: without one, the switch would open it free.
            raise PlanChangeRefused(
                f"{target_plan.name}'s trial asks for a card. Add one in Manage billing,"
                " then change plan."
            )
        kind, takes_effect = ChangeKind.TRIAL, now
    elif _ranks_above(target_plan, target_price, current_plan, current_price):
        kind, takes_effect = ChangeKind.UPGRADE, now
    else:
        end = subscription.current_period_end
        if end is None or end <= now:
            raise PlanChangeRefused(
                "Your billing period is being renewed. Please try again in a minute."
            )
        kind, takes_effect = ChangeKind.DOWNGRADE, end
    return PlanChange(
        kind, subscription, current_plan, current_price, target_plan, target_price, takes_effect
    )


def _refuse_unless_changeable(subscription: Subscription) -> None:
    status = subscription.status
    if status in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID):
        raise PlanChangeRefused(
            "Your last payment failed. Fix your payment method in Manage billing first, "
            "then change plan."
        )
    if status is SubscriptionStatus.PAUSED:
        raise PlanChangeRefused(
            "Your subscription is paused. Resume it in Manage billing first, then change plan."
        )
    if status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING):
        raise PlanChangeRefused("Your subscription cannot be changed now.")
    if subscription.ends_at is not None:
        raise PlanChangeRefused(
            f"Your subscription ends on {_day(subscription.ends_at)}. Resume it in Manage "
            "billing first, then change plan."
        )


def _ranks_above(
    plan: Plan, price: PlanPrice, current_plan: Plan, current_price: PlanPrice | None
) -> bool:
    """Whether moving to `plan` at `price` is an upgrade: a higher plan, or the same plan
    billed over a longer interval. From a price no longer on sale (its interval unknown),
    the same plan counts as no upgrade."""
    if plan.rank != current_plan.rank:
        return plan.rank > current_plan.rank
    if current_price is None:
        return False
    return price.interval.months > current_price.interval.months


def _name(plan: Plan, price: PlanPrice) -> str:
    return f"{plan.name} ({price.interval.value}ly)"


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"
