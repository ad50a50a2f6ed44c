"""Cancelling at the period's end and resuming, against the fakes: decided on the
provider's state, stored at once, pressed twice without harm."""

from datetime import timedelta

import pytest

from application.ports import EventStatus
from application.use_cases.cancel_subscription import (
    CancelSubscription,
    CancelSubscriptionCommand,
)
from application.use_cases.resume_subscription import (
    ResumeSubscription,
    ResumeSubscriptionCommand,
)
from domain.errors import CancellationRefused
from domain.plan_change import PendingChange
from domain.subscription import SubscriptionStatus
from domain.user import User
from tests.unit.application.conftest import World


def cancel(world: World, user: User) -> object:
    use_case = CancelSubscription(world.uow, world.gateway, world.policy)
    return use_case.execute(CancelSubscriptionCommand(user.id))


def resume(world: World, user: User) -> object:
    use_case = ResumeSubscription(world.uow, world.gateway, world.policy)
    return use_case.execute(ResumeSubscriptionCommand(user.id))


def subscribed(world: World) -> tuple[User, str]:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    return ann, subscription_id


def test_cancelling_ends_the_subscription_at_the_period_end_and_stores_it_at_once(
    world: World,
) -> None:
    ann, subscription_id = subscribed(world)
    period_end = world.gateway.subscriptions[subscription_id].current_period_end
    sent = len(world.gateway.events)

    canceled = cancel(world, ann)

    stored = world.stored(ann.id).subscriptions[subscription_id]
    assert stored == canceled
    assert stored.cancel_at_period_end and stored.ends_at == period_end
    assert stored.status is SubscriptionStatus.ACTIVE
    assert world.has_premium(world.stored(ann.id))  # until the period ends
    # Its webhook, arriving after, changes nothing.
    results = world.deliver(world.gateway.events[sent:])
    assert [r.status for r in results] == [EventStatus.IGNORED], results
    assert world.stored(ann.id).subscriptions[subscription_id].ends_at == period_end


def test_cancelling_twice_or_resuming_twice_asks_the_provider_once(world: World) -> None:
    ann, subscription_id = subscribed(world)
    cancel(world, ann)
    sent = len(world.gateway.events)
    cancel(world, ann)
    assert len(world.gateway.events) == sent  # nothing changed at the provider

    resumed = resume(world, ann)
    resume(world, ann)
    assert len(world.gateway.events) == sent + 1
    assert world.stored(ann.id).subscriptions[subscription_id] == resumed
    assert not world.gateway.subscriptions[subscription_id].cancel_at_period_end


def test_resuming_makes_it_renew_again(world: World) -> None:
    ann, subscription_id = subscribed(world)
    cancel(world, ann)
    resume(world, ann)
    world.clock.advance(timedelta(days=31))
    world.deliver(world.gateway.renew(subscription_id))
    stored = world.stored(ann.id).subscriptions[subscription_id]
    assert stored.status is SubscriptionStatus.ACTIVE and stored.ends_at is None


def test_a_pending_downgrade_is_dropped_before_cancelling(world: World) -> None:
    ann, subscription_id = subscribed(world)
    at = world.gateway.subscriptions[subscription_id].current_period_end
    assert at is not None
    world.gateway.pending[subscription_id] = PendingChange("price_other", at)

    cancel(world, ann)

    assert subscription_id not in world.gateway.pending
    assert world.gateway.subscriptions[subscription_id].cancel_at_period_end


def test_the_provider_is_asked_not_our_records(world: World) -> None:
    ann, subscription_id = subscribed(world)
    world.gateway.schedule_cancel(subscription_id)  # in the portal; webhook not arrived
    sent = len(world.gateway.events)
    cancel(world, ann)
    assert len(world.gateway.events) == sent  # already set to cancel there
    assert world.stored(ann.id).subscriptions[subscription_id].cancel_at_period_end


def test_a_past_due_subscription_keeps_its_grace_when_cancelled(world: World) -> None:
    ann, subscription_id = subscribed(world)
    world.clock.advance(timedelta(days=30))
    world.deliver(world.gateway.fail_renewal(subscription_id))
    failed_at = world.clock.now()
    world.clock.advance(timedelta(days=1))

    cancel(world, ann)

    stored = world.stored(ann.id).subscriptions[subscription_id]
    assert stored.cancel_at_period_end
    assert stored.unpaid_since == failed_at  # not reset to the period's start


def test_nothing_to_cancel_or_resume_is_refused_with_the_reason(world: World) -> None:
    ann = world.register()
    with pytest.raises(CancellationRefused, match="no subscription to cancel"):
        cancel(world, ann)
    with pytest.raises(CancellationRefused, match="no subscription to resume"):
        resume(world, ann)


def test_a_subscription_the_provider_ended_meanwhile_is_stored_and_refused(
    world: World,
) -> None:
    ann, subscription_id = subscribed(world)
    world.gateway.cancel_now(subscription_id)  # its webhook not arrived yet
    with pytest.raises(CancellationRefused, match="has ended"):
        resume(world, ann)
    stored = world.stored(ann.id).subscriptions[subscription_id]
    assert stored.status is SubscriptionStatus.CANCELED
