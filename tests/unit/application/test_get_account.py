from dataclasses import replace
from datetime import timedelta

import pytest

from application.use_cases.get_account import (
    AccountView,
    DateMeaning,
    GetAccount,
    GetAccountCommand,
    KeyDate,
)
from domain.errors import UserNotFound
from domain.subscription import SubscriptionStatus
from tests.unit.application.conftest import World


def account(world: World, user_id: str, grace: timedelta | None = None) -> AccountView:
    use_case = (
        GetAccount(world.uow, world.clock, world.policy)
        if grace is None
        else GetAccount(world.uow, world.clock, replace(world.policy, past_due_grace=grace))
    )
    return use_case.execute(GetAccountCommand(user_id))


def test_a_new_account_has_no_plan(world: World) -> None:
    ann = world.register("Ann@Example.com")
    assert account(world, ann.id) == AccountView(
        email="ann@example.com",
        has_premium=False,
        has_billing_account=False,
        status=None,
        subscription_id=None,
        past_due=False,
        can_subscribe=True,
        key_date=None,
    )


def test_a_subscriber_sees_the_plan_and_has_a_billing_account(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    view = account(world, ann.id)
    assert view.has_premium
    assert view.has_billing_account
    assert view.subscription_id == subscription_id
    assert view.status is SubscriptionStatus.ACTIVE
    assert not view.past_due
    assert not view.can_subscribe
    period_end = world.gateway.subscriptions[subscription_id].current_period_end
    assert period_end is not None
    assert view.key_date == KeyDate(DateMeaning.RENEWS, period_end)


def test_a_scheduled_cancellation_shows_until_when_access_lasts(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.deliver(world.gateway.schedule_cancel(subscription_id))
    view = account(world, ann.id)
    assert view.has_premium
    period_end = world.gateway.subscriptions[subscription_id].current_period_end
    assert period_end is not None
    assert view.key_date == KeyDate(DateMeaning.ACCESS_ENDS, period_end)


def test_a_failed_payment_shows_the_past_due_warning(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=30))
    world.deliver(world.gateway.fail_renewal(subscription_id))
    view = account(world, ann.id)
    assert view.past_due
    assert view.has_premium
    failed_at = world.gateway.subscriptions[subscription_id].current_period_start
    assert failed_at is not None
    # The date that matters is when access ends, not when the unpaid period does.
    assert view.key_date == KeyDate(DateMeaning.ACCESS_UNTIL, failed_at + timedelta(days=3))
    beyond = account(world, ann.id, grace=timedelta(0))
    assert not beyond.has_premium
    assert beyond.key_date is not None
    assert beyond.key_date.meaning is DateMeaning.PERIOD_ENDS


def test_after_a_new_subscription_the_live_one_is_shown(world: World) -> None:
    ann = world.register()
    first, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=1))
    world.deliver(world.gateway.cancel_now(first))
    world.clock.advance(timedelta(days=1))
    second, events = world.subscribe(ann)
    world.deliver(events)
    view = account(world, ann.id)
    assert view.subscription_id == second


def test_an_unknown_user_is_not_found(world: World) -> None:
    with pytest.raises(UserNotFound):
        account(world, "no-such-user")


def test_a_trial_shows_its_plan_its_end_and_that_the_card_is_charged_then(world: World) -> None:
    from application.use_cases.get_account import AfterTrial
    from domain.access import AccessPolicy
    from tests.unit.application.test_start_subscription_plans import CATALOG, checkout

    world.policy = AccessPolicy(world.gateway.stock(CATALOG))
    ann = world.register()
    world.deliver(world.gateway.pay_checkout(checkout(world, ann, "pro_yearly").id))
    view = account(world, ann.id)
    assert view.plan_name == "Pro"
    assert view.status is SubscriptionStatus.TRIALING
    assert view.key_date == KeyDate(DateMeaning.TRIAL_ENDS, world.clock.now() + timedelta(days=14))
    assert view.after_trial is AfterTrial.CHARGED
    assert view.price is not None and view.price.lookup_key == "pro_yearly"

    bob = world.register("bob@example.com")
    no_card = checkout(world, bob, "basic_monthly")
    world.deliver(world.gateway.pay_checkout(no_card.id, card=False))
    assert account(world, bob.id).after_trial is AfterTrial.ENDS_WITHOUT_CARD
