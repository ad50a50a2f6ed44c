from dataclasses import replace

import pytest

from application.ports import EventStatus
from application.use_cases.access_content import (
    AccessContent,
    AccessContentCommand,
    ContentTier,
)
from application.use_cases.confirm_checkout import (
    ConfirmCheckout,
    ConfirmCheckoutCommand,
    ConfirmCheckoutResult,
)
from domain.errors import CheckoutNotFound, CheckoutNotYours, SubscriptionRequired
from domain.subscription import SubscriptionStatus
from tests.unit.application.conftest import World


def confirm(world: World, user_id: str, session_id: str) -> ConfirmCheckoutResult:
    use_case = ConfirmCheckout(world.uow, world.gateway, world.clock, world.policy)
    return use_case.execute(ConfirmCheckoutCommand(user_id, session_id))


def has_premium(world: World, user_id: str) -> bool:
    try:
        with world.uow as uow:
            user = uow.users.require(user_id)
        AccessContent(world.clock, world.policy).execute(
            AccessContentCommand(user, ContentTier.PREMIUM)
        )
    except SubscriptionRequired:
        return False
    return True


def test_a_paid_checkout_grants_premium_before_any_webhook(world: World) -> None:
    ann = world.register()
    session_id = world.start_checkout(ann)
    events = world.gateway.pay_checkout(session_id)  # sent, not delivered
    assert not has_premium(world, ann.id)

    assert confirm(world, ann.id, session_id) == ConfirmCheckoutResult(paid=True, premium=True)

    assert has_premium(world, ann.id)
    stored = world.stored(ann.id)
    subscription = stored.subscriptions[events[0].subscription_id or ""]
    assert subscription.status is SubscriptionStatus.ACTIVE
    assert stored.customer_id == world.gateway.checkouts[session_id].customer_id


def test_the_webhook_events_after_a_confirmation_change_nothing_more(world: World) -> None:
    ann = world.register()
    session_id = world.start_checkout(ann)
    events = world.gateway.pay_checkout(session_id)
    confirm(world, ann.id, session_id)
    confirmed = world.stored(ann.id)

    results = world.deliver(events)

    assert world.stored(ann.id) == confirmed
    assert all(r.status is not EventStatus.FAILED for r in results)
    assert has_premium(world, ann.id)


def test_confirming_after_the_webhooks_changes_nothing(world: World) -> None:
    ann = world.register()
    session_id = world.start_checkout(ann)
    world.deliver(world.gateway.pay_checkout(session_id))
    delivered = world.stored(ann.id)

    assert confirm(world, ann.id, session_id).paid
    assert world.stored(ann.id) == delivered


def test_confirming_twice_changes_nothing_the_second_time(world: World) -> None:
    ann = world.register()
    session_id = world.start_checkout(ann)
    world.gateway.pay_checkout(session_id)
    confirm(world, ann.id, session_id)
    once = world.stored(ann.id)
    assert confirm(world, ann.id, session_id).paid
    assert world.stored(ann.id) == once


def test_someone_elses_checkout_is_refused_and_grants_nothing(world: World) -> None:
    ann = world.register("ann@example.com")
    bob = world.register("bob@example.com")
    session_id = world.start_checkout(ann)
    world.gateway.pay_checkout(session_id)
    bob_before = world.stored(bob.id)

    with pytest.raises(CheckoutNotYours):
        confirm(world, bob.id, session_id)

    assert world.stored(bob.id) == bob_before
    assert not has_premium(world, bob.id)


def test_an_unpaid_checkout_is_reported_unpaid_and_changes_nothing(world: World) -> None:
    ann = world.register()
    session_id = world.start_checkout(ann)
    before = world.stored(ann.id)
    commits = world.uow.commits

    assert confirm(world, ann.id, session_id) == ConfirmCheckoutResult(paid=False, premium=False)

    assert world.stored(ann.id) == before
    assert world.uow.commits == commits
    assert not has_premium(world, ann.id)


def test_an_unknown_checkout_is_not_found(world: World) -> None:
    ann = world.register()
    with pytest.raises(CheckoutNotFound):
        confirm(world, ann.id, "cs_does_not_exist")


def test_a_paid_checkout_whose_subscription_is_not_active_yet_promises_no_premium(
    world: World,
) -> None:
    ann = world.register()
    session_id = world.start_checkout(ann)
    world.gateway.pay_checkout(session_id)
    subscription_id = world.gateway.checkouts[session_id].subscription_id
    assert subscription_id is not None
    incomplete = replace(
        world.gateway.subscriptions[subscription_id], status=SubscriptionStatus.INCOMPLETE
    )
    world.gateway.subscriptions[subscription_id] = incomplete

    assert confirm(world, ann.id, session_id) == ConfirmCheckoutResult(paid=True, premium=False)
    assert not has_premium(world, ann.id)
