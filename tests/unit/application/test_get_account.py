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


def with_gateway(world: World, user_id: str) -> AccountView:
    return GetAccount(world.uow, world.clock, world.policy, world.gateway).execute(
        GetAccountCommand(user_id)
    )


def test_the_card_on_file_and_the_invoices_come_from_the_provider(world: World) -> None:
    from domain.billing import InvoiceStatus, PaymentCard

    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=30))
    world.deliver(world.gateway.fail_renewal(subscription_id))

    view = with_gateway(world, ann.id)

    assert view.card == PaymentCard("visa", "4242", 12, 2034)
    assert [(i.status, i.payment_failed) for i in view.invoices] == [
        (InvoiceStatus.OPEN, True),
        (InvoiceStatus.PAID, False),
    ]
    assert not view.billing_unknown
    assert without_gateway_details(account(world, ann.id))


def without_gateway_details(view: AccountView) -> bool:
    return view.card is None and view.invoices == () and not view.billing_unknown


def test_the_page_shows_without_them_when_the_provider_cannot_be_reached(world: World) -> None:
    from domain.errors import CustomerMissing, PaymentProviderError

    ann = world.register()
    _, events = world.subscribe(ann)
    world.deliver(events)
    for failure in (PaymentProviderError(), CustomerMissing()):
        world.gateway.fail_next = failure
        view = with_gateway(world, ann.id)
        assert view.billing_unknown
        assert view.card is None and view.invoices == () and view.pending is None
        assert view.status is SubscriptionStatus.ACTIVE  # what we stored
        assert view.can_cancel


def test_a_live_subscription_may_be_cancelled_and_one_set_to_cancel_resumed(
    world: World,
) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    period_end = world.gateway.subscriptions[subscription_id].current_period_end

    live = with_gateway(world, ann.id)
    assert (live.can_cancel, live.can_resume, live.cancel_takes_effect) == (
        True,
        False,
        period_end,
    )
    world.deliver(world.gateway.schedule_cancel(subscription_id))
    ending = with_gateway(world, ann.id)
    assert (ending.can_cancel, ending.can_resume, ending.cancel_takes_effect) == (
        False,
        True,
        None,
    )


def test_an_ended_subscription_shows_when_it_ended_and_its_invoices_but_no_actions(
    world: World,
) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=2))
    world.deliver(world.gateway.cancel_now(subscription_id))

    view = with_gateway(world, ann.id)

    assert view.key_date == KeyDate(DateMeaning.ENDED, world.clock.now())
    assert (view.can_cancel, view.can_resume, view.can_subscribe) == (False, False, True)
    assert len(view.invoices) == 1
    assert view.discount is None and view.pending is None
