"""The queue mode's use cases on the fakes: store then apply, duplicates, failures, the
sweeper (WEBHOOK_PROCESSING=queue)."""

from datetime import timedelta

import pytest

from application.ports import EventQueue, EventStatus
from application.use_cases.queued_billing_events import (
    ApplyReceivedEvent,
    ReceiveBillingEvent,
    SweepReceivedEvents,
)
from domain.errors import PaymentProviderError
from domain.provider_events import BillingEvent
from tests.unit.application.conftest import World


class RecordingQueue(EventQueue):
    """Keeps what was sent, and what the store held for it when it was sent."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.sent: list[str] = []
        self.stored_when_sent: list[EventStatus | None] = []
        self.down = False

    def enqueue(self, event_id: str) -> None:
        if self.down:
            raise ConnectionError("broker unreachable")
        record = self.world.store.events.get(event_id)
        self.stored_when_sent.append(record.status if record else None)
        self.sent.append(event_id)


@pytest.fixture
def queue(world: World) -> RecordingQueue:
    return RecordingQueue(world)


def receive(world: World, queue: RecordingQueue, event: BillingEvent) -> bool:
    return ReceiveBillingEvent(world.uow, world.clock, queue).execute(event).duplicate


def apply(world: World, event_id: str) -> EventStatus | None:
    result = ApplyReceivedEvent(world.uow, world.gateway, world.handler()).execute(event_id)
    return result.status if result else None


def test_an_event_is_stored_as_received_and_sent_only_after_the_commit(
    world: World, queue: RecordingQueue
) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)

    assert receive(world, queue, events[0]) is False

    assert world.inbox(events[0].id).status is EventStatus.RECEIVED
    assert world.inbox(events[0].id).payload == events[0].payload
    assert queue.sent == [events[0].id]
    assert queue.stored_when_sent == [EventStatus.RECEIVED]  # committed before it was sent
    assert not world.has_premium(world.stored(ann.id))  # nothing applied yet


def test_the_stored_event_is_applied_through_the_idempotent_path(
    world: World, queue: RecordingQueue
) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    for event in events:
        receive(world, queue, event)

    statuses = [apply(world, event_id) for event_id in queue.sent]

    assert EventStatus.PROCESSED in statuses
    assert all(world.inbox(e.id).status.done for e in events)
    assert world.has_premium(world.stored(ann.id))
    commits = world.uow.commits
    assert [apply(world, event_id) for event_id in queue.sent] == [None] * len(events)
    assert world.uow.commits == commits  # a message delivered twice costs no write


def test_a_duplicate_delivery_adds_no_row_and_is_not_sent_once_handled(
    world: World, queue: RecordingQueue
) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    receive(world, queue, events[0])
    rows = len(world.store.events)

    assert receive(world, queue, events[0]) is True  # still waiting: sent again
    assert len(world.store.events) == rows
    assert queue.sent == [events[0].id, events[0].id]

    apply(world, events[0].id)
    assert receive(world, queue, events[0]) is True
    assert queue.sent == [events[0].id, events[0].id]  # handled: not sent a third time
    assert len(world.store.events) == rows


def test_a_queue_that_cannot_be_reached_leaves_the_event_stored_for_the_sweeper(
    world: World, queue: RecordingQueue
) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    queue.down = True

    result = ReceiveBillingEvent(world.uow, world.clock, queue).execute(events[0])

    assert (result.status, result.enqueued) == (EventStatus.RECEIVED, False)
    assert world.inbox(events[0].id).status is EventStatus.RECEIVED


def test_a_failure_raises_for_the_retry_reads_failed_and_a_later_try_applies_it(
    world: World, queue: RecordingQueue
) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    receive(world, queue, events[0])
    world.gateway.fail_next = PaymentProviderError("provider down")

    with pytest.raises(PaymentProviderError):
        apply(world, events[0].id)
    assert world.inbox(events[0].id).status is EventStatus.FAILED
    assert "provider down" in (world.inbox(events[0].id).error or "")
    assert not world.has_premium(world.stored(ann.id))

    assert apply(world, events[0].id) is EventStatus.PROCESSED
    assert world.inbox(events[0].id).status is EventStatus.PROCESSED
    assert world.has_premium(world.stored(ann.id))


def test_an_unknown_event_id_applies_nothing(world: World) -> None:
    assert apply(world, "evt_nowhere") is None


def test_the_sweeper_sends_again_only_the_events_received_long_enough_ago(
    world: World, queue: RecordingQueue
) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    queue.down = True
    receive(world, queue, events[0])
    world.clock.advance(timedelta(seconds=100))
    receive(world, queue, events[1])
    apply(world, events[1].id)  # handled: never swept
    queue.down = False
    sweeper = SweepReceivedEvents(world.uow, world.clock, queue, timedelta(seconds=60))

    assert sweeper.execute() == [events[0].id]
    assert queue.sent == [events[0].id]
    world.clock.advance(timedelta(seconds=60))
    assert events[1].id not in sweeper.execute()
