from collections.abc import Callable
from datetime import timedelta

import pytest

from adapters.memory import FakePaymentGateway
from application.ports import CheckoutRedirect
from application.use_cases.start_subscription import (
    StartSubscription,
    StartSubscriptionCommand,
)
from domain.errors import AlreadySubscribed, PaymentProviderError, UserNotFound
from domain.subscription import SubscriptionStatus
from tests.unit.application.conftest import CANCEL_URL, SUCCESS_URL, World


def start(world: World, user_id: str) -> str:
    """One click on Subscribe, a millisecond after the one before."""
    world.clock.advance(timedelta(milliseconds=1))
    redirect = world.starter().execute(StartSubscriptionCommand(user_id, SUCCESS_URL, CANCEL_URL))
    return redirect.session_id


def payable(gateway: FakePaymentGateway, session_id: str) -> bool:
    return gateway.checkouts[session_id].is_open


def test_returns_a_checkout_for_the_user_with_the_urls(world: World) -> None:
    ann = world.register()
    redirect = world.starter().execute(StartSubscriptionCommand(ann.id, SUCCESS_URL, CANCEL_URL))
    checkout = world.gateway.checkouts[redirect.session_id]
    assert redirect.url == checkout.url
    assert checkout.user_id == ann.id
    assert (checkout.success_url, checkout.cancel_url) == (SUCCESS_URL, CANCEL_URL)


def test_creates_the_billing_customer_once_and_reuses_it(world: World) -> None:
    ann = world.register()
    first = start(world, ann.id)
    second = start(world, ann.id)
    assert len(world.gateway.customers) == 1
    customer_id = world.stored(ann.id).customer_id
    assert customer_id in world.gateway.customers
    assert world.gateway.customers[customer_id].user_id == ann.id
    assert world.gateway.checkouts[first].customer_id == customer_id
    assert world.gateway.checkouts[second].customer_id == customer_id


def test_each_user_gets_their_own_customer(world: World) -> None:
    ann = world.register("ann@example.com")
    bob = world.register("bob@example.com")
    start(world, ann.id)
    start(world, bob.id)
    assert world.stored(ann.id).customer_id != world.stored(bob.id).customer_id
    assert len(world.gateway.customers) == 2


def test_refuses_a_user_with_a_live_subscription(world: World) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    world.deliver(events)
    checkouts = len(world.gateway.checkouts)
    with pytest.raises(AlreadySubscribed):
        start(world, ann.id)
    assert len(world.gateway.checkouts) == checkouts


def test_a_user_whose_subscription_ended_may_subscribe_again(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.deliver(world.gateway.cancel_now(subscription_id))
    session_id = start(world, ann.id)
    assert world.gateway.checkouts[session_id].customer_id == world.stored(ann.id).customer_id


def test_a_provider_error_creating_the_customer_propagates_and_stores_nothing(
    world: World,
) -> None:
    ann = world.register()
    before = world.stored(ann.id)
    world.gateway.fail_next = PaymentProviderError()
    with pytest.raises(PaymentProviderError):
        start(world, ann.id)
    assert world.stored(ann.id) == before
    assert world.stored(ann.id).customer_id is None
    assert world.gateway.checkouts == {}


class CheckoutDown(FakePaymentGateway):
    """The provider creates customers but fails to create checkouts."""

    def create_checkout_session(self, **_: object) -> CheckoutRedirect:
        raise PaymentProviderError()


def test_a_provider_error_creating_the_checkout_keeps_only_the_reusable_customer(
    world: World,
) -> None:
    ann = world.register()
    down = CheckoutDown(world.clock)
    with pytest.raises(PaymentProviderError):
        StartSubscription(world.uow, down, world.clock, world.policy).execute(
            StartSubscriptionCommand(ann.id, SUCCESS_URL, CANCEL_URL)
        )
    stored = world.stored(ann.id)
    assert stored.customer_id in down.customers
    assert stored.subscriptions == {}
    assert down.checkouts == {}


def test_a_provider_error_on_a_later_checkout_propagates_and_the_customer_stays(
    world: World,
) -> None:
    ann = world.register()
    start(world, ann.id)
    before = world.stored(ann.id)
    world.gateway.fail_next = PaymentProviderError()
    with pytest.raises(PaymentProviderError):
        start(world, ann.id)
    assert world.stored(ann.id) == before
    assert len(world.gateway.checkouts) == 1
    assert len(world.gateway.customers) == 1


def test_an_unknown_user_is_not_found(world: World) -> None:
    with pytest.raises(UserNotFound):
        start(world, "no-such-user")
    assert world.gateway.customers == {}


def test_a_subscription_paid_but_not_yet_reported_is_found_at_the_provider(world: World) -> None:
    ann = world.register()
    subscription_id, _ = world.subscribe(ann)  # paid; no webhook, no success page yet

    with pytest.raises(AlreadySubscribed):
        start(world, ann.id)

    stored = world.stored(ann.id).subscriptions
    assert list(stored) == [subscription_id]  # recorded on the way
    assert stored[subscription_id].is_live


def test_each_click_gets_a_payable_checkout_and_expires_the_earlier_ones(world: World) -> None:
    ann = world.register()
    first = start(world, ann.id)
    second = start(world, ann.id)

    assert second != first
    assert payable(world.gateway, second)
    assert not payable(world.gateway, first)


def test_two_tabs_cannot_give_one_user_two_subscriptions(world: World) -> None:
    ann = world.register()
    tab_one = start(world, ann.id)
    tab_two = start(world, ann.id)
    world.gateway.pay_checkout(tab_two)

    with pytest.raises(PaymentProviderError):
        world.gateway.pay_checkout(tab_one)  # expired by the second tab
    with pytest.raises(AlreadySubscribed):
        start(world, ann.id)


class Interleaved(FakePaymentGateway):
    """Runs other clicks at the worst moments of one: right before it creates its
    checkout, or right after it created it and before it settles."""

    before_create: list[Callable[[], object]]
    before_settle: list[Callable[[], object]]

    def create_checkout_session(self, **kwargs: object) -> CheckoutRedirect:
        _run_all(self.before_create)
        return super().create_checkout_session(**kwargs)  # type: ignore[arg-type]

    def settle_open_checkouts(self, customer_id: str) -> CheckoutRedirect | None:
        _run_all(self.before_settle)
        return super().settle_open_checkouts(customer_id)


def _run_all(hooks: list[Callable[[], object]]) -> None:
    while hooks:
        hooks.pop(0)()


@pytest.mark.parametrize("moment", ["before_create", "before_settle"])
def test_item_6_three_quick_clicks_land_the_last_on_a_payable_checkout(
    world: World, moment: str
) -> None:
    gateway = world.gateway = Interleaved(world.clock)
    gateway.before_create, gateway.before_settle = [], []
    ann = world.register()
    start(world, ann.id)  # the customer exists: the clicks race only on checkouts
    answers: dict[str, str] = {}
    # The first click stalls at `moment`; the second and third run through meanwhile,
    # the third stalling in turn so that the second finishes last.
    hooks = getattr(gateway, moment)
    third = lambda: answers.update(third=start(world, ann.id))  # noqa: E731
    second = lambda: (hooks.append(third), answers.update(second=start(world, ann.id)))  # noqa: E731
    hooks.append(second)

    answers["first"] = start(world, ann.id)

    assert payable(gateway, answers["third"]), answers  # the last click lands on a payable page
    open_ones = [c for c in gateway.checkouts.values() if c.is_open]
    assert len(open_ones) == 1


def test_item_1_a_subscription_to_another_price_does_not_block_subscribing(
    world: World,
) -> None:
    ann = world.register()
    start(world, ann.id)
    customer_id = world.stored(ann.id).customer_id
    assert customer_id is not None
    world.deliver(world.gateway.subscribe_directly(customer_id, "price_newsletter_free"))

    session_id = start(world, ann.id)  # not "already subscribed"

    assert payable(world.gateway, session_id)
    assert not world.has_premium(world.stored(ann.id))


class DeletedWhileListing(FakePaymentGateway):
    """The subscription is deleted, and its webhook stored, right after the listing."""

    on_list: Callable[[], object] | None = None

    def list_subscriptions(self, customer_id: str):  # type: ignore[no-untyped-def]
        listed = super().list_subscriptions(customer_id)
        hook, self.on_list = self.on_list, None
        if hook is not None:
            hook()
        return listed


def test_item_2_subscribe_never_brings_a_canceled_subscription_back(world: World) -> None:
    gateway = world.gateway = DeletedWhileListing(world.clock)
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)

    def delete() -> None:
        world.clock.advance(timedelta(seconds=1))
        world.deliver(gateway.cancel_now(subscription_id))

    gateway.on_list = delete
    with pytest.raises(AlreadySubscribed):  # what the provider said at the listing
        start(world, ann.id)

    stored = world.stored(ann.id).subscriptions[subscription_id]
    assert stored.status is SubscriptionStatus.CANCELED
    assert not world.has_premium(world.stored(ann.id))
    assert payable(gateway, start(world, ann.id))  # and the next click may subscribe


@pytest.mark.parametrize("how", ["deleted in the dashboard", "provider state lost"])
def test_item_3_a_customer_the_provider_does_not_know_is_replaced(world: World, how: str) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    dead = world.stored(ann.id).customer_id
    assert dead is not None
    if how == "deleted in the dashboard":
        world.gateway.delete_customer(dead)  # its webhooks are lost
    else:
        world.gateway.lose_state()

    session_id = start(world, ann.id)

    stored = world.stored(ann.id)
    assert stored.customer_id not in (None, dead)
    assert world.gateway.customers[stored.customer_id].user_id == ann.id
    assert world.gateway.checkouts[session_id].customer_id == stored.customer_id
    assert payable(world.gateway, session_id)
    if how == "deleted in the dashboard":  # Stripe says so when asked, by its id
        assert stored.subscriptions[subscription_id].status is SubscriptionStatus.CANCELED
        assert not world.has_premium(stored)
    else:  # nobody says it ended: it stays as stored (only the provider ends it)
        assert stored.subscriptions[subscription_id].status is SubscriptionStatus.ACTIVE


def test_the_click_time_given_by_the_caller_orders_racing_clicks(world: World) -> None:
    ann = world.register()
    start(world, ann.id)
    clicked = world.clock.now()
    later = StartSubscriptionCommand(
        ann.id, SUCCESS_URL, CANCEL_URL, requested_at=clicked + timedelta(milliseconds=20)
    )
    earlier = StartSubscriptionCommand(
        ann.id, SUCCESS_URL, CANCEL_URL, requested_at=clicked + timedelta(milliseconds=10)
    )
    last_click = world.starter().execute(later)
    world.clock.advance(timedelta(seconds=1))  # the earlier click is slower to be served
    slow = world.starter().execute(earlier)

    assert slow == last_click
    assert payable(world.gateway, last_click.session_id)
