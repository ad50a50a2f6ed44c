"""The first pass of reconciling: the events the provider could not deliver, applied
through the webhook's own idempotent path, without asking about every subscription."""

from datetime import timedelta

import pytest

from application.ports import EventStatus
from application.use_cases.apply_undelivered_events import (
    ApplyUndeliveredEvents,
    ApplyUndeliveredEventsCommand,
    UndeliveredReport,
)
from domain.errors import PaymentProviderError
from domain.subscription import SubscriptionStatus
from tests.unit.application.conftest import World


def first_pass(world: World, lookback: timedelta = timedelta(days=3)) -> UndeliveredReport:
    return ApplyUndeliveredEvents(world.gateway, world.clock, world.handler()).execute(
        ApplyUndeliveredEventsCommand(lookback)
    )


def test_an_event_our_endpoint_missed_is_applied(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.gateway.mark_delivered(*events)
    world.clock.advance(timedelta(days=1))
    missed = world.gateway.schedule_cancel(subscription_id)  # its delivery failed

    report = first_pass(world)

    assert report.applied == [e.id for e in missed]
    assert report.complete and report.listed == len(missed)
    assert world.stored(ann.id).subscriptions[subscription_id].cancel_at_period_end
    assert all(world.inbox(e.id).status is EventStatus.PROCESSED for e in missed)


def test_events_that_arrived_after_all_are_duplicates_and_change_nothing(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)  # arrived, but the provider has not counted them delivered yet
    before = world.stored(ann.id)

    report = first_pass(world)

    assert report.applied == []
    assert report.duplicates == [e.id for e in events]
    assert world.stored(ann.id) == before
    assert world.stored(ann.id).subscriptions[subscription_id].status is SubscriptionStatus.ACTIVE


def test_events_older_than_the_lookback_are_not_asked_for(world: World) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    world.clock.advance(timedelta(days=4))

    report = first_pass(world, lookback=timedelta(days=3))

    assert report.listed == 0
    assert world.stored(ann.id).subscriptions == {}
    assert events  # they exist; only the full reconcile would see them now


def test_the_provider_unreachable_raises_for_the_caller_to_fall_back(world: World) -> None:
    world.gateway.fail_next = PaymentProviderError("Stripe is down")

    with pytest.raises(PaymentProviderError):
        first_pass(world)
