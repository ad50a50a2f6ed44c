"""Checkout for a price the person chose from the catalog, with its plan's trial, and one
trial per user."""

from dataclasses import replace

import pytest

from adapters.memory.payment_gateway import FakeCheckout
from application.ports import CheckoutOffer
from application.use_cases.start_subscription import StartSubscriptionCommand
from domain.access import AccessPolicy
from domain.catalog import Catalog, Interval, Plan, PlanPrice
from domain.errors import AlreadySubscribed, UnknownPlan
from domain.subscription import SubscriptionStatus
from domain.user import User
from tests.unit.application.conftest import CANCEL_URL, SUCCESS_URL, World

CATALOG = Catalog(
    (
        Plan(
            key="basic",
            name="Basic",
            includes=frozenset({"notes.basic"}),
            prices=(
                PlanPrice("basic_monthly", Interval.MONTH, 500, "usd"),
                PlanPrice("basic_yearly", Interval.YEAR, 5000, "usd"),
            ),
            trial_days=7,
            trial_without_card=True,
            rank=0,
        ),
        Plan(
            key="pro",
            name="Pro",
            includes=frozenset({"notes.basic", "notes.pro"}),
            prices=(
                PlanPrice("pro_monthly", Interval.MONTH, 1200, "usd"),
                PlanPrice("pro_yearly", Interval.YEAR, 12000, "usd"),
            ),
            trial_days=14,
            rank=1,
        ),
    )
)


@pytest.fixture
def plans(world: World) -> World:
    """The world selling the two-plan catalog, its prices made at the provider."""
    world.policy = AccessPolicy(world.gateway.stock(CATALOG))
    return world


def checkout(world: World, user: User, lookup_key: str | None) -> FakeCheckout:
    redirect = world.starter().execute(
        StartSubscriptionCommand(user.id, SUCCESS_URL, CANCEL_URL, lookup_key=lookup_key)
    )
    return world.gateway.checkouts[redirect.session_id]


def price_id(world: World, lookup_key: str) -> str:
    return world.gateway.prices[lookup_key].price_id or ""


def test_the_chosen_price_is_the_checkouts_with_its_plans_trial(plans: World) -> None:
    ann = plans.register()
    chosen = checkout(plans, ann, "pro_yearly")
    assert chosen.offer == CheckoutOffer(price_id(plans, "pro_yearly"), 14, False)
    assert chosen.allow_promotion_codes


def test_a_no_card_plan_asks_for_no_card_and_ends_its_trial_canceled(plans: World) -> None:
    ann = plans.register()
    chosen = checkout(plans, ann, "basic_monthly")
    assert chosen.offer == CheckoutOffer(price_id(plans, "basic_monthly"), 7, True)

    events = plans.gateway.pay_checkout(chosen.id, card=False)
    plans.deliver(events)
    subscription_id = events[0].subscription_id
    assert subscription_id is not None
    stored = plans.stored(ann.id).subscriptions[subscription_id]
    assert stored.status is SubscriptionStatus.TRIALING
    assert plans.policy.entitlements(plans.stored(ann.id), plans.clock.now()) == {"notes.basic"}

    plans.deliver(plans.gateway.end_trial(subscription_id))
    ended = plans.stored(ann.id)
    assert ended.subscriptions[subscription_id].status is SubscriptionStatus.CANCELED
    assert plans.policy.entitlements(ended, plans.clock.now()) == frozenset()


def test_a_trial_with_a_card_is_charged_when_it_ends(plans: World) -> None:
    ann = plans.register()
    events = plans.gateway.pay_checkout(checkout(plans, ann, "pro_monthly").id)
    plans.deliver(events)
    subscription_id = events[0].subscription_id
    assert subscription_id is not None
    plans.deliver(plans.gateway.end_trial(subscription_id))
    charged = plans.stored(ann.id).subscriptions[subscription_id]
    assert charged.status is SubscriptionStatus.ACTIVE
    assert plans.policy.grants(plans.stored(ann.id), "notes.pro", plans.clock.now())


@pytest.mark.parametrize("lookup_key", ["gold_monthly", "", "basic_weekly", "price_x"])
def test_a_price_the_catalog_does_not_sell_is_refused_before_anything_is_made(
    plans: World, lookup_key: str
) -> None:
    ann = plans.register()
    with pytest.raises(UnknownPlan):
        checkout(plans, ann, lookup_key)
    assert plans.gateway.customers == {}
    assert plans.gateway.checkouts == {}


def test_no_choice_is_refused_when_the_catalog_sells_several_prices(plans: World) -> None:
    with pytest.raises(UnknownPlan):
        checkout(plans, plans.register(), None)


def test_no_choice_is_the_one_price_of_a_one_price_setup(world: World) -> None:
    chosen = checkout(world, world.register(), None)
    assert chosen.offer == CheckoutOffer(world.gateway.price_id)


def test_a_catalog_not_resolved_at_the_provider_sells_nothing(world: World) -> None:
    world.policy = AccessPolicy(CATALOG)  # no price ids: payments not configured
    with pytest.raises(UnknownPlan):
        checkout(world, world.register(), "pro_monthly")


def test_a_user_who_had_a_subscription_gets_no_second_trial(plans: World) -> None:
    ann = plans.register()
    first = checkout(plans, ann, "basic_monthly")
    events = plans.gateway.pay_checkout(first.id, card=False)
    plans.deliver(events)
    assert events[0].subscription_id is not None
    plans.deliver(plans.gateway.end_trial(events[0].subscription_id))

    again = checkout(plans, ann, "pro_yearly")
    assert again.offer == CheckoutOffer(price_id(plans, "pro_yearly"))
    basic_again = checkout(plans, ann, "basic_monthly")
    assert basic_again.offer == CheckoutOffer(price_id(plans, "basic_monthly"))


def test_a_subscription_known_only_to_the_provider_uses_up_the_trial(plans: World) -> None:
    ann = plans.register()
    checkout(plans, ann, "pro_monthly")  # makes the customer
    customer_id = plans.stored(ann.id).customer_id
    assert customer_id is not None
    [created, _] = plans.gateway.subscribe_directly(customer_id, price_id(plans, "pro_monthly"))
    assert created.subscription_id is not None
    plans.gateway.cancel_now(created.subscription_id)  # its webhooks never arrived

    again = checkout(plans, ann, "pro_monthly")
    assert again.offer.trial_days == 0


def test_checkouts_never_completed_and_foreign_prices_keep_the_trial(plans: World) -> None:
    ann = plans.register()
    checkout(plans, ann, "pro_monthly")
    customer_id = plans.stored(ann.id).customer_id
    assert customer_id is not None
    plans.deliver(plans.gateway.subscribe_directly(customer_id, "price_newsletter"))
    assert checkout(plans, ann, "pro_monthly").offer.trial_days == 14


def test_a_trialing_user_is_subscribed_already(plans: World) -> None:
    ann = plans.register()
    plans.deliver(plans.gateway.pay_checkout(checkout(plans, ann, "pro_monthly").id))
    with pytest.raises(AlreadySubscribed):
        checkout(plans, ann, "basic_yearly")


def test_a_trial_offer_without_days_is_not_a_trial() -> None:
    with pytest.raises(ValueError, match="trial"):
        CheckoutOffer("price_1", 0, trial_without_card=True)
    assert replace(CheckoutOffer("price_1", 3, True), trial_days=5).trial_days == 5


def test_the_trial_will_end_notice_is_recorded_as_processed_and_changes_nothing(
    plans: World,
) -> None:
    from application.ports import EventStatus

    ann = plans.register()
    events = plans.gateway.pay_checkout(checkout(plans, ann, "pro_monthly").id)
    plans.deliver(events)
    before = plans.stored(ann.id)
    assert events[0].subscription_id is not None

    [notice] = plans.gateway.trial_will_end(events[0].subscription_id)
    [result] = plans.deliver([notice])

    assert result.status is EventStatus.PROCESSED
    assert plans.inbox(notice.id).status is EventStatus.PROCESSED
    assert "trial ends" in (plans.inbox(notice.id).note or "")
    assert plans.stored(ann.id) == before
