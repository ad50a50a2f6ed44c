from collections.abc import Callable

import pytest

from adapters.memory import FakePaymentGateway
from application.ports import CheckoutRedirect
from application.use_cases.start_subscription import (
    StartSubscription,
    StartSubscriptionCommand,
)
from domain.errors import AlreadySubscribed, PaymentProviderError, UserNotFound
from tests.unit.application.conftest import CANCEL_URL, SUCCESS_URL, World


def start(world: World, user_id: str) -> str:
    redirect = StartSubscription(world.uow, world.gateway).execute(
        StartSubscriptionCommand(user_id, SUCCESS_URL, CANCEL_URL)
    )
    return redirect.session_id


def test_returns_a_checkout_for_the_user_with_the_urls(world: World) -> None:
    ann = world.register()
    redirect = StartSubscription(world.uow, world.gateway).execute(
        StartSubscriptionCommand(ann.id, SUCCESS_URL, CANCEL_URL)
    )
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

    def create_checkout_session(
        self, *, user_id: str, customer_id: str, success_url: str, cancel_url: str
    ) -> CheckoutRedirect:
        raise PaymentProviderError()


def test_a_provider_error_creating_the_checkout_keeps_only_the_reusable_customer(
    world: World,
) -> None:
    ann = world.register()
    down = CheckoutDown(world.clock)
    with pytest.raises(PaymentProviderError):
        StartSubscription(world.uow, down).execute(
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


def test_starting_again_returns_the_checkout_still_open(world: World) -> None:
    ann = world.register()
    first = start(world, ann.id)
    second = start(world, ann.id)

    assert second == first
    world.gateway.pay_checkout(first)
    assert len(world.gateway.subscriptions) == 1


def test_two_tabs_cannot_give_one_user_two_subscriptions(world: World) -> None:
    ann = world.register()
    tab_one = start(world, ann.id)
    tab_two = start(world, ann.id)
    world.gateway.pay_checkout(tab_two)

    with pytest.raises(PaymentProviderError):
        world.gateway.pay_checkout(tab_one)  # the same checkout: already paid
    with pytest.raises(AlreadySubscribed):
        start(world, ann.id)


def test_an_expired_checkout_is_replaced_by_a_new_one(world: World) -> None:
    ann = world.register()
    first = start(world, ann.id)
    world.gateway.checkouts[first].expired = True  # e.g. Stripe's 24 hours passed

    second = start(world, ann.id)

    assert second != first
    world.gateway.pay_checkout(second)


class SecondClickInBetween(FakePaymentGateway):
    """Runs `second_click` once, at the worst moment of a double click: after the first
    request found no open checkout and before it created one."""

    second_click: Callable[[], object] | None = None

    def find_open_checkout(self, customer_id: str) -> CheckoutRedirect | None:
        found = super().find_open_checkout(customer_id)
        click, self.second_click = self.second_click, None
        if click is not None:
            click()
        return found


def test_a_double_click_leaves_at_most_one_payable_checkout(world: World) -> None:
    gateway = world.gateway = SecondClickInBetween(world.clock)
    ann = world.register()
    seconds: list[str] = []
    gateway.second_click = lambda: seconds.append(start(world, ann.id))

    first = start(world, ann.id)
    [second] = seconds

    payable = []
    for session_id in (first, second):
        try:
            gateway.pay_checkout(session_id)
        except PaymentProviderError:
            payable.append(False)
        else:
            payable.append(True)
    assert payable.count(True) <= 1
    assert len(gateway.subscriptions) <= 1
