"""Changing plan against the fakes (issue 11, Done-when 1): an upgrade charged now as
previewed, a downgrade at the period's end (and keeping the current plan instead), a
switch of interval, a trial's change, and the refusals. What the provider answers is
stored at once; its webhooks then change nothing."""

from datetime import timedelta

import pytest

from application.ports import CheckoutOffer
from application.use_cases.change_plan import ChangePlan, ChangePlanCommand, ChangePlanResult
from application.use_cases.get_account import GetAccount, GetAccountCommand
from application.use_cases.keep_current_plan import KeepCurrentPlan, KeepCurrentPlanCommand
from application.use_cases.preview_plan_change import (
    PlanChangeQuote,
    PreviewPlanChange,
    PreviewPlanChangeCommand,
)
from domain.access import AccessPolicy
from domain.errors import (
    PaymentDeclined,
    PaymentProviderError,
    PlanChangeExpired,
    PlanChangeRefused,
)
from domain.plan_change import ChangeKind
from domain.subscription import SubscriptionStatus
from domain.user import User
from tests.unit.application.conftest import CANCEL_URL, SUCCESS_URL, World
from tests.unit.application.test_start_subscription_plans import CATALOG


@pytest.fixture
def plans(world: World) -> World:
    world.policy = AccessPolicy(world.gateway.stock(CATALOG))
    return world


def price_id(world: World, lookup_key: str) -> str:
    return world.gateway.prices[lookup_key].price_id or ""


def subscribed(
    world: World,
    lookup_key: str,
    *,
    trial_days: int = 0,
    card_declines_later: bool = False,
    promotion_code: str | None = None,
) -> tuple[User, str]:
    """A user paid up on `lookup_key` (its events delivered); the user, the subscription."""
    user = world.register()
    customer = world.gateway.create_customer(user.id, user.email)
    checkout = world.gateway.create_checkout_session(
        user_id=user.id,
        customer_id=customer,
        offer=CheckoutOffer(price_id(world, lookup_key), trial_days),
        success_url=SUCCESS_URL,
        cancel_url=CANCEL_URL,
        requested_at=world.clock.now(),
    )
    events = world.gateway.pay_checkout(
        checkout.session_id,
        card_declines_later=card_declines_later,
        promotion_code=promotion_code,
    )
    world.deliver(events)
    subscription_id = events[0].subscription_id
    assert subscription_id is not None
    return user, subscription_id


def preview(world: World, user: User, lookup_key: str) -> PlanChangeQuote:
    use_case = PreviewPlanChange(world.uow, world.gateway, world.clock, world.policy)
    return use_case.execute(PreviewPlanChangeCommand(user.id, lookup_key))


def change(
    world: World, user: User, lookup_key: str, quote: PlanChangeQuote | None = None
) -> ChangePlanResult:
    use_case = ChangePlan(world.uow, world.gateway, world.clock, world.policy)
    moment = quote.proration_date if quote else None
    return use_case.execute(ChangePlanCommand(user.id, lookup_key, moment))


def stored_price(world: World, user: User, subscription_id: str) -> str | None:
    return world.stored(user.id).subscriptions[subscription_id].price_id


def test_an_upgrade_is_charged_now_as_previewed_and_stored_at_once(plans: World) -> None:
    ann, subscription_id = subscribed(plans, "basic_monthly")
    plans.clock.advance(timedelta(days=10))

    quote = preview(plans, ann, "pro_monthly")
    assert quote.change.kind is ChangeKind.UPGRADE
    assert quote.preview is not None
    assert 0 < quote.preview.due_now < 1200 - 500
    events_before = len(plans.gateway.events)

    result = change(plans, ann, "pro_monthly", quote)

    assert result.kind is ChangeKind.UPGRADE
    assert plans.gateway.charges[-1] == (subscription_id, quote.preview.due_now)
    assert stored_price(plans, ann, subscription_id) == price_id(plans, "pro_monthly")
    assert plans.policy.grants(plans.stored(ann.id), "notes.pro", plans.clock.now())
    stored = plans.stored(ann.id).subscriptions[subscription_id]
    plans.deliver(plans.gateway.events[events_before:])  # the webhooks come later
    assert plans.stored(ann.id).subscriptions[subscription_id].same_state_as(stored)


def test_a_confirmation_sent_twice_charges_once(plans: World) -> None:
    ann, subscription_id = subscribed(plans, "basic_monthly")
    quote = preview(plans, ann, "pro_monthly")

    change(plans, ann, "pro_monthly", quote)
    again = change(plans, ann, "pro_monthly", quote)

    assert again.kind is None  # at that price already: nothing to do
    assert [s for s, _ in plans.gateway.charges] == [subscription_id, subscription_id]


def test_a_preview_older_than_an_hour_is_priced_again(plans: World) -> None:
    ann, subscription_id = subscribed(plans, "basic_monthly")
    quote = preview(plans, ann, "pro_monthly")
    plans.clock.advance(timedelta(hours=2))

    with pytest.raises(PlanChangeExpired):
        change(plans, ann, "pro_monthly", quote)
    with pytest.raises(PlanChangeExpired):
        change(plans, ann, "pro_monthly")  # no moment at all
    assert stored_price(plans, ann, subscription_id) == price_id(plans, "basic_monthly")


def test_a_declined_card_changes_nothing(plans: World) -> None:
    ann, subscription_id = subscribed(plans, "basic_monthly", card_declines_later=True)
    quote = preview(plans, ann, "pro_monthly")

    with pytest.raises(PaymentDeclined):
        change(plans, ann, "pro_monthly", quote)

    assert stored_price(plans, ann, subscription_id) == price_id(plans, "basic_monthly")
    assert plans.gateway.subscriptions[subscription_id].price_id == price_id(plans, "basic_monthly")
    assert len(plans.gateway.charges) == 1


def test_a_downgrade_keeps_pro_until_the_period_ends(plans: World) -> None:
    ann, subscription_id = subscribed(plans, "pro_monthly")
    period_end = plans.gateway.subscriptions[subscription_id].current_period_end

    quote = preview(plans, ann, "basic_monthly")
    assert quote.change.kind is ChangeKind.DOWNGRADE and quote.preview is None
    result = change(plans, ann, "basic_monthly")

    assert (result.kind, result.takes_effect) == (ChangeKind.DOWNGRADE, period_end)
    assert stored_price(plans, ann, subscription_id) == price_id(plans, "pro_monthly")
    assert plans.policy.grants(plans.stored(ann.id), "notes.pro", plans.clock.now())
    view = GetAccount(plans.uow, plans.clock, plans.policy, plans.gateway).execute(
        GetAccountCommand(ann.id)
    )
    assert view.pending is not None and view.pending.at == period_end
    assert view.pending.plan is not None and view.pending.plan.key == "basic"

    assert period_end is not None
    plans.clock.set(period_end)
    plans.deliver(plans.gateway.renew(subscription_id))

    user = plans.stored(ann.id)
    assert user.subscriptions[subscription_id].price_id == price_id(plans, "basic_monthly")
    assert plans.policy.entitlements(user, plans.clock.now()) == {"notes.basic"}
    assert plans.gateway.charges[-1] == (subscription_id, 500)


def test_keeping_the_current_plan_undoes_a_pending_downgrade(plans: World) -> None:
    ann, subscription_id = subscribed(plans, "pro_yearly")
    change(plans, ann, "basic_yearly")
    keep = KeepCurrentPlan(plans.uow, plans.gateway, plans.policy)

    keep.execute(KeepCurrentPlanCommand(ann.id))
    keep.execute(KeepCurrentPlanCommand(ann.id))  # twice: nothing more happens

    assert subscription_id not in plans.gateway.pending
    plans.deliver(plans.gateway.renew(subscription_id))
    assert stored_price(plans, ann, subscription_id) == price_id(plans, "pro_yearly")


def test_switching_interval_yearly_is_charged_now_monthly_waits(plans: World) -> None:
    ann, subscription_id = subscribed(plans, "basic_monthly")
    quote = preview(plans, ann, "basic_yearly")
    assert quote.change.kind is ChangeKind.UPGRADE and quote.preview is not None
    assert quote.preview.due_now == 5000 - 500  # the whole unused month credited
    change(plans, ann, "basic_yearly", quote)
    assert stored_price(plans, ann, subscription_id) == price_id(plans, "basic_yearly")

    back = change(plans, ann, "basic_monthly")
    assert back.kind is ChangeKind.DOWNGRADE
    assert stored_price(plans, ann, subscription_id) == price_id(plans, "basic_yearly")


def test_a_trial_change_bills_nothing_and_keeps_the_trial(plans: World) -> None:
    ann, subscription_id = subscribed(plans, "pro_yearly", trial_days=14)
    trial_end = plans.gateway.subscriptions[subscription_id].current_period_end

    quote = preview(plans, ann, "basic_monthly")
    assert quote.change.kind is ChangeKind.TRIAL and quote.change.trial_ends == trial_end
    result = change(plans, ann, "basic_monthly")

    assert result.kind is ChangeKind.TRIAL
    stored = plans.stored(ann.id).subscriptions[subscription_id]
    assert (stored.price_id, stored.status, stored.current_period_end) == (
        price_id(plans, "basic_monthly"),
        SubscriptionStatus.TRIALING,
        trial_end,
    )
    assert plans.gateway.charges == []
    assert plans.policy.entitlements(plans.stored(ann.id), plans.clock.now()) == {"notes.basic"}


def test_refusals_change_nothing(plans: World) -> None:
    nobody = plans.register("bob@example.com")
    with pytest.raises(PlanChangeRefused, match="no subscription"):
        preview(plans, nobody, "pro_monthly")

    ann, subscription_id = subscribed(plans, "basic_monthly")
    plans.deliver(plans.gateway.fail_renewal(subscription_id))
    with pytest.raises(PlanChangeRefused, match="last payment failed"):
        preview(plans, ann, "pro_monthly")
    with pytest.raises(PlanChangeRefused, match="last payment failed"):
        change(plans, ann, "pro_monthly")
    assert plans.gateway.charges == [(subscription_id, 500)]


def test_the_account_offers_the_other_prices_and_the_discount(plans: World) -> None:
    plans.gateway.add_promotion_code("SPRING20", percent_off=20, months=3)
    ann, _ = subscribed(plans, "basic_monthly", promotion_code="spring20")

    view = GetAccount(plans.uow, plans.clock, plans.policy, plans.gateway).execute(
        GetAccountCommand(ann.id)
    )

    offered = {(c.price.lookup_key, c.kind) for c in view.choices}
    assert offered == {
        ("basic_yearly", ChangeKind.UPGRADE),
        ("pro_monthly", ChangeKind.UPGRADE),
        ("pro_yearly", ChangeKind.UPGRADE),
    }
    assert view.discount is not None and view.discount.code == "SPRING20"
    assert view.discount.percent_off == 20
    assert not view.billing_unknown


def test_the_account_page_does_without_the_provider_when_it_is_down(plans: World) -> None:
    ann, _ = subscribed(plans, "pro_monthly")
    plans.gateway.fail_next = PaymentProviderError()

    view = GetAccount(plans.uow, plans.clock, plans.policy, plans.gateway).execute(
        GetAccountCommand(ann.id)
    )

    assert view.billing_unknown
    assert view.pending is None and view.discount is None
    assert view.plan_name == "Pro"
