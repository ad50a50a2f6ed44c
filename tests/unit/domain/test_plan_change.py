"""The plan-change policy: upgrades now, downgrades at the period's end, a switch of
interval, changes during a trial, and what is refused (with a reason a page can show)."""

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.access import AccessPolicy
from domain.catalog import Catalog, Interval, Plan, PlanPrice
from domain.errors import PlanChangeRefused, UnknownPlan
from domain.plan_change import ChangeKind, Discount, PendingChange, decide_plan_change
from domain.subscription import Subscription, SubscriptionStatus
from tests.unit.builders import T0, a_subscription

S = SubscriptionStatus
NOW = T0 + timedelta(days=10)


def _plan(key: str, name: str, rank: int, monthly: int, yearly: int) -> Plan:
    return Plan(
        key=key,
        name=name,
        includes=frozenset({f"notes.{key}"}),
        prices=(
            PlanPrice(f"{key}_monthly", Interval.MONTH, monthly, "usd", f"price_{key}_m"),
            PlanPrice(f"{key}_yearly", Interval.YEAR, yearly, "usd", f"price_{key}_y"),
        ),
        rank=rank,
    )


POLICY = AccessPolicy(
    Catalog(
        (_plan("basic", "Basic", 0, 500, 5000), _plan("pro", "Pro", 1, 1200, 12000)),
        grandfathered={"price_old_pro": "pro"},
        from_provider=True,
    )
)


def on(price_id: str, **changes: object) -> Subscription:
    return replace(a_subscription(price_id=price_id), **changes)  # type: ignore[arg-type]


def test_a_higher_plan_is_an_upgrade_now() -> None:
    change = decide_plan_change(POLICY, on("price_basic_m"), "pro_monthly", NOW)
    assert change.kind is ChangeKind.UPGRADE
    assert change.takes_effect == NOW
    assert (change.current_plan.key, change.target_plan.key) == ("basic", "pro")
    assert change.target_price_id == "price_pro_m"
    assert change.current_price is not None and change.current_price.lookup_key == "basic_monthly"


def test_a_lower_plan_waits_for_the_end_of_the_period_already_paid() -> None:
    subscription = on("price_pro_y")
    change = decide_plan_change(POLICY, subscription, "basic_monthly", NOW)
    assert change.kind is ChangeKind.DOWNGRADE
    assert change.takes_effect == subscription.current_period_end


def test_monthly_to_yearly_of_one_plan_is_an_upgrade_and_back_a_downgrade() -> None:
    assert (
        decide_plan_change(POLICY, on("price_basic_m"), "basic_yearly", NOW).kind
        is ChangeKind.UPGRADE
    )
    assert (
        decide_plan_change(POLICY, on("price_basic_y"), "basic_monthly", NOW).kind
        is ChangeKind.DOWNGRADE
    )


def test_a_higher_plan_billed_monthly_is_still_an_upgrade_from_a_lower_yearly_one() -> None:
    change = decide_plan_change(POLICY, on("price_basic_y"), "pro_monthly", NOW)
    assert change.kind is ChangeKind.UPGRADE


def test_during_a_trial_every_change_is_made_now_and_keeps_the_trials_end() -> None:
    trial = on("price_pro_y", status=S.TRIALING)
    for lookup_key in ("basic_monthly", "pro_monthly", "basic_yearly"):
        change = decide_plan_change(POLICY, trial, lookup_key, NOW)
        assert change.kind is ChangeKind.TRIAL
        assert change.takes_effect == NOW
        assert change.trial_ends == trial.current_period_end


def test_from_a_grandfathered_price_the_same_plan_waits_for_the_period_end() -> None:
    old = on("price_old_pro")
    change = decide_plan_change(POLICY, old, "pro_monthly", NOW)
    assert change.kind is ChangeKind.DOWNGRADE
    assert change.current_price is None
    assert change.current_plan.key == "pro"


@pytest.mark.parametrize(
    ("subscription", "reason"),
    [
        (None, "no subscription to change"),
        (on("price_basic_m", status=S.CANCELED), "no subscription to change"),
        (on("price_newsletter"), "no subscription to change"),
        (on("price_basic_m", status=S.PAST_DUE), "Your last payment failed"),
        (on("price_basic_m", status=S.UNPAID), "Your last payment failed"),
        (on("price_basic_m", status=S.PAUSED), "paused"),
        (on("price_basic_m", cancel_at_period_end=True), "Your subscription ends on 31 January"),
        (on("price_pro_m"), "You are on Pro (monthly) already."),
    ],
)
def test_refusals_say_why(subscription: Subscription | None, reason: str) -> None:
    with pytest.raises(PlanChangeRefused) as refused:
        decide_plan_change(POLICY, subscription, "pro_monthly", NOW)
    assert reason in refused.value.message


def test_a_change_pending_already_is_not_planned_twice_but_another_may_replace_it() -> None:
    subscription = on("price_pro_y")
    end = subscription.current_period_end
    assert end is not None
    pending = PendingChange("price_basic_m", end)
    with pytest.raises(PlanChangeRefused, match="already planned for 31 January 2026"):
        decide_plan_change(POLICY, subscription, "basic_monthly", NOW, pending)
    other = decide_plan_change(POLICY, subscription, "basic_yearly", NOW, pending)
    assert other.kind is ChangeKind.DOWNGRADE


def test_a_price_not_on_sale_is_an_unknown_plan() -> None:
    with pytest.raises(UnknownPlan):
        decide_plan_change(POLICY, on("price_basic_m"), "gold_monthly", NOW)
    plans = tuple(
        replace(p, prices=tuple(replace(x, price_id=None) for x in p.prices))
        for p in POLICY.catalog.plans
    )
    unresolved = AccessPolicy(replace(POLICY.catalog, plans=plans, from_provider=False))
    with pytest.raises(UnknownPlan):  # payments not configured: nothing is on sale
        decide_plan_change(unresolved, on("price_basic_m"), "pro_monthly", NOW)


def test_a_downgrade_when_the_period_is_over_already_waits_for_the_renewal() -> None:
    late = on("price_pro_m", current_period_end=NOW - timedelta(seconds=1))
    with pytest.raises(PlanChangeRefused, match="being renewed"):
        decide_plan_change(POLICY, late, "basic_monthly", NOW)


def test_a_discount_is_a_percentage_or_an_amount() -> None:
    assert Discount(percent_off=20).amount_off is None
    with pytest.raises(ValueError, match="one of them"):
        Discount()
    with pytest.raises(ValueError, match="one of them"):
        Discount(percent_off=10, amount_off=100)


def test_a_trial_without_a_card_moves_only_to_plans_whose_trial_needs_none() -> None:
    """Pro's trial asks for a card: a card-less Basic trial switched to Pro would read Pro
    free until the trial ends and is canceled for want of a card."""
    basic = replace(POLICY.catalog.plans[0], trial_days=7, trial_without_card=True)
    pro = replace(POLICY.catalog.plans[1], trial_days=14, trial_without_card=False)
    policy = replace(POLICY, catalog=replace(POLICY.catalog, plans=(basic, pro)))
    trial = on("price_basic_m", status=S.TRIALING)

    with pytest.raises(PlanChangeRefused, match="Pro's trial asks for a card"):
        decide_plan_change(policy, trial, "pro_monthly", NOW, card_on_file=False)
    assert decide_plan_change(policy, trial, "pro_monthly", NOW).kind is ChangeKind.TRIAL
    moved = decide_plan_change(policy, trial, "basic_yearly", NOW, card_on_file=False)
    assert moved.kind is ChangeKind.TRIAL
