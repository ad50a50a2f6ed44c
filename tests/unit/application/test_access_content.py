from dataclasses import replace
from datetime import timedelta

import pytest

from application.use_cases.access_content import (
    AccessContent,
    AccessContentCommand,
    ContentTier,
)
from domain.errors import SubscriptionRequired
from tests.unit.application.conftest import World


def access(world: World, user_id: str, tier: ContentTier, grace: timedelta | None = None) -> None:
    use_case = (
        AccessContent(world.clock, world.policy)
        if grace is None
        else AccessContent(world.clock, replace(world.policy, past_due_grace=grace))
    )
    with world.uow as uow:  # as the web session loads the user for the request
        user = uow.users.require(user_id)
    use_case.execute(AccessContentCommand(user, tier))


def test_free_content_is_for_every_signed_in_user(world: World) -> None:
    ann = world.register()
    access(world, ann.id, ContentTier.FREE)


def test_premium_content_is_refused_without_a_subscription(world: World) -> None:
    ann = world.register()
    with pytest.raises(SubscriptionRequired):
        access(world, ann.id, ContentTier.PREMIUM)


def test_premium_content_is_served_to_a_paying_subscriber(world: World) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    world.deliver(events)
    access(world, ann.id, ContentTier.PREMIUM)


def test_premium_content_is_refused_once_the_subscription_is_canceled(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.deliver(world.gateway.cancel_now(subscription_id))
    with pytest.raises(SubscriptionRequired):
        access(world, ann.id, ContentTier.PREMIUM)
    access(world, ann.id, ContentTier.FREE)


def test_premium_follows_the_configured_past_due_grace(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=30))
    world.deliver(world.gateway.fail_renewal(subscription_id))
    world.clock.advance(timedelta(days=2))
    access(world, ann.id, ContentTier.PREMIUM)  # default grace: three days
    with pytest.raises(SubscriptionRequired):
        access(world, ann.id, ContentTier.PREMIUM, grace=timedelta(days=1))
    world.clock.advance(timedelta(days=1))
    with pytest.raises(SubscriptionRequired):
        access(world, ann.id, ContentTier.PREMIUM)
