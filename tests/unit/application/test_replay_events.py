import pytest

from application.ports import EventStatus
from application.use_cases.replay_events import ReplayEvents, ReplayEventsCommand, ReplayReport
from domain.errors import PaymentProviderError
from domain.provider_events import BillingEvent
from tests.unit.application.conftest import World


def replay(world: World, *event_ids: str) -> ReplayReport:
    use_case = ReplayEvents(world.uow, world.gateway, world.handler())
    return use_case.execute(ReplayEventsCommand(tuple(event_ids)))


def fail_delivery(world: World, event: BillingEvent) -> None:
    world.gateway.fail_next = PaymentProviderError("down")
    with pytest.raises(PaymentProviderError):
        world.deliver([event])
    assert world.inbox(event.id).status is EventStatus.FAILED


def test_re_runs_every_failed_event_when_no_id_is_given(world: World) -> None:
    ann = world.register()
    bob = world.register("bob@example.com")
    _, ann_events = world.subscribe(ann)
    _, bob_events = world.subscribe(bob)
    fail_delivery(world, ann_events[0])
    fail_delivery(world, bob_events[0])

    report = replay(world)

    assert sorted(report.replayed) == sorted([ann_events[0].id, bob_events[0].id])
    assert report.failed == {}
    assert report.skipped == {}
    for event in (ann_events[0], bob_events[0]):
        assert world.inbox(event.id).status is EventStatus.PROCESSED
    assert world.has_premium(world.stored(ann.id))
    assert world.has_premium(world.stored(bob.id))


def test_skips_processed_and_ignored_events_with_the_reason(world: World) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    results = world.deliver(events)
    processed = events[0].id
    ignored = next(
        e.id for e, r in zip(events, results, strict=True) if r.status.value == "ignored"
    )
    commits = world.uow.commits

    report = replay(world, processed, ignored)

    assert report.replayed == []
    assert report.skipped == {processed: "already processed", ignored: "already ignored"}
    assert world.uow.commits == commits


def test_reports_an_unknown_event_id_without_failing(world: World) -> None:
    report = replay(world, "evt_nowhere")
    assert report.skipped == {"evt_nowhere": "no such event in the inbox"}
    assert report.replayed == []
    assert report.failed == {}


def test_replays_only_the_failed_ones_among_the_given_ids(world: World) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    fail_delivery(world, events[0])
    world.deliver(events[1:2])

    report = replay(world, events[0].id, events[1].id, "evt_nowhere")

    assert report.replayed == [events[0].id]
    assert set(report.skipped) == {events[1].id, "evt_nowhere"}


def test_a_replay_that_fails_again_is_reported_and_the_others_still_run(world: World) -> None:
    ann = world.register()
    bob = world.register("bob@example.com")
    _, ann_events = world.subscribe(ann)
    _, bob_events = world.subscribe(bob)
    fail_delivery(world, ann_events[0])
    fail_delivery(world, bob_events[0])
    world.gateway.fail_next = PaymentProviderError("still down")  # hits the first replay

    report = replay(world, ann_events[0].id, bob_events[0].id)

    assert report.failed == {ann_events[0].id: "PaymentProviderError: still down"}
    assert report.replayed == [bob_events[0].id]
    assert world.inbox(ann_events[0].id).status is EventStatus.FAILED
    assert world.inbox(ann_events[0].id).error == "PaymentProviderError: still down"
    assert world.inbox(bob_events[0].id).status is EventStatus.PROCESSED


def test_a_replayed_event_then_delivered_by_the_provider_is_a_duplicate(world: World) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    fail_delivery(world, events[0])
    replay(world)
    after_replay = world.stored(ann.id)
    [result] = world.deliver(events[:1])
    assert result.duplicate
    assert world.stored(ann.id) == after_replay
