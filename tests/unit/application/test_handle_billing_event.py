import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.memory import FakePaymentGateway, InMemoryUnitOfWork
from application.ports import CheckoutOffer, DataConflict, EventStatus
from application.use_cases.handle_billing_event import (
    HandleBillingEvent,
    HandleBillingEventCommand,
    HandleBillingEventResult,
    describe_failure,
)
from domain.errors import PaymentProviderError
from domain.provider_events import BillingEvent
from domain.subscription import Subscription, SubscriptionStatus
from tests.support.mail import billing_notices
from tests.unit.application.conftest import CANCEL_URL, SUCCESS_URL, World
from tests.unit.builders import a_subscription, an_event

S = SubscriptionStatus


def handle(world: World, event: BillingEvent) -> HandleBillingEventResult:
    return world.handler().execute(HandleBillingEventCommand(event))


def by_type(events: list[BillingEvent], provider_type: str) -> BillingEvent:
    (event,) = [e for e in events if e.provider_type == provider_type]
    return event


def test_the_checkout_events_in_order_grant_premium_and_are_recorded_processed(
    world: World,
) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    results = world.deliver(events)
    assert results[0].status is EventStatus.PROCESSED
    assert all(r.status is not EventStatus.FAILED for r in results)
    assert not any(r.duplicate for r in results)
    stored = world.stored(ann.id)
    assert world.has_premium(stored)
    assert stored.subscriptions[subscription_id].same_state_as(
        world.gateway.subscriptions[subscription_id]
    )
    for event in events:
        record = world.inbox(event.id)
        assert record.provider_type == event.provider_type
        assert record.payload == event.payload
        assert record.received_at == world.clock.now()
        assert record.error is None


def test_a_duplicate_delivery_is_answered_again_with_no_second_effect(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    checkout_completed = events[0]
    first = handle(world, checkout_completed)
    applied = world.stored(ann.id)
    record = world.inbox(checkout_completed.id)
    # The provider's state moves on; a second run of the checkout event would fetch it.
    world.clock.advance(timedelta(hours=1))
    world.gateway.schedule_cancel(subscription_id)
    commits = world.uow.commits

    again = handle(world, checkout_completed)

    assert (first.status, first.duplicate) == (EventStatus.PROCESSED, False)
    assert (again.status, again.duplicate) == (EventStatus.PROCESSED, True)
    assert world.stored(ann.id) == applied
    assert world.inbox(checkout_completed.id) == record
    assert world.uow.commits == commits


def test_an_unknown_event_type_is_ignored_and_recorded(world: World) -> None:
    ann = world.register()
    event = an_event(
        "customer.tax_id.created",
        id="evt_unknown",
        customer_id="cus_1",
        payload='{"id": "evt_unknown"}',
    )
    result = handle(world, event)
    assert (result.status, result.duplicate) == (EventStatus.IGNORED, False)
    assert "customer.tax_id.created" in result.note
    record = world.inbox("evt_unknown")
    assert record.status is EventStatus.IGNORED
    assert record.note == result.note
    assert world.stored(ann.id).subscriptions == {}
    assert handle(world, event).duplicate


def test_an_event_about_an_unknown_user_is_ignored_and_recorded(world: World) -> None:
    ann = world.register()
    event = an_event(
        id="evt_stranger",
        user_ref="somebody-else",
        snapshot=a_subscription(id="sub_stranger", customer_id="cus_stranger"),
    )
    result = handle(world, event)
    assert result.status is EventStatus.IGNORED
    assert "no user" in result.note
    assert world.inbox("evt_stranger").status is EventStatus.IGNORED
    assert world.stored(ann.id).subscriptions == {}
    assert world.stored(ann.id).customer_id is None


def test_a_checkout_paid_after_its_account_was_deleted_is_canceled_at_once(
    world: World,
) -> None:
    """A Checkout tab the deletion could not expire (paid at that very moment)."""
    ann = world.register()
    session_id = world.start_checkout(ann)
    with world.uow.writing() as uow:  # the account deleted, its tombstone kept
        uow.users.require(ann.id)
        uow.users.remove(ann.id, world.clock.now())
        uow.commit()
    events = world.gateway.pay_checkout(session_id)
    subscription_id = events[0].subscription_id
    assert subscription_id is not None

    results = world.deliver(events)

    assert world.gateway.subscriptions[subscription_id].status is S.CANCELED
    assert "has no account: canceled" in results[0].note
    assert all(r.status is EventStatus.IGNORED for r in results)
    assert world.store.outbox == {} or all(
        not e.id.startswith(("subscription-", "trial-")) for e in world.store.outbox.values()
    )


def test_a_paid_checkout_naming_an_id_of_ours_never_deleted_here_is_left_alone(
    world: World,
) -> None:
    """Our id, but no account and no tombstone: a database restored from a backup older
    than the signup, or another deployment (or a staging copy) on the same Stripe account.
    Someone is paying: nothing is canceled, the event is ignored as about an unknown user."""
    ann = world.register()
    session_id = world.start_checkout(ann)
    del world.store.users[ann.id]  # never deleted here: the store does not know them
    events = world.gateway.pay_checkout(session_id)
    subscription_id = events[0].subscription_id
    assert subscription_id is not None

    results = world.deliver(events)

    assert world.gateway.subscriptions[subscription_id].status is S.ACTIVE
    assert all(r.status is EventStatus.IGNORED for r in results)
    assert all("canceled" not in r.note for r in results)
    assert "no user" in results[0].note


def test_a_subscription_naming_a_reference_that_is_not_ours_is_left_alone(
    world: World,
) -> None:
    """Made through the API by someone else ("42" is no id of ours): not ours to end."""
    customer = world.gateway.create_customer("42", world.register().email)
    [created, _] = world.gateway.subscribe_directly(customer, world.gateway.price_id, "42")
    world.store.users.clear()
    assert created.subscription_id is not None

    result = handle(world, created)

    assert result.status is EventStatus.IGNORED
    assert world.gateway.subscriptions[created.subscription_id].status is S.ACTIVE


def test_subscription_deleted_removes_premium_finding_the_user_by_subscription(
    world: World,
) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=3))
    deleted = by_type(world.gateway.cancel_now(subscription_id), "customer.subscription.deleted")
    assert deleted.user_ref is None  # the seed read an undefined user id here

    result = handle(world, deleted)

    assert result.status is EventStatus.PROCESSED
    stored = world.stored(ann.id)
    assert stored.subscriptions[subscription_id].status is S.CANCELED
    assert not world.has_premium(stored)


def test_subscription_deleted_finds_the_user_by_customer_when_the_subscription_is_new(
    world: World,
) -> None:
    ann = world.register()
    subscription_id, _lost = world.subscribe(ann)  # none of the checkout events arrive
    world.clock.advance(timedelta(minutes=1))
    deleted = world.gateway.cancel_now(subscription_id)[0]

    assert handle(world, deleted).status is EventStatus.PROCESSED

    stored = world.stored(ann.id)
    assert stored.subscriptions[subscription_id].status is S.CANCELED
    assert not world.has_premium(stored)


def test_a_late_subscription_event_does_not_undo_a_newer_one(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(hours=1))
    scheduled = world.gateway.schedule_cancel(subscription_id)[0]
    world.clock.advance(timedelta(hours=1))
    resumed = world.gateway.resume(subscription_id)[0]

    assert handle(world, resumed).status is EventStatus.PROCESSED
    late = handle(world, scheduled)

    assert (late.status, late.note) == (EventStatus.IGNORED, "subscription stale")
    assert not world.stored(ann.id).subscriptions[subscription_id].cancel_at_period_end


def test_two_states_at_the_same_moment_are_settled_by_the_provider(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(hours=1))
    scheduled = world.gateway.schedule_cancel(subscription_id)[0]
    resumed = world.gateway.resume(subscription_id)[0]  # same instant
    assert scheduled.occurred_at == resumed.occurred_at

    world.deliver([resumed, scheduled])

    stored = world.stored(ann.id).subscriptions[subscription_id]
    assert stored.same_state_as(world.gateway.subscriptions[subscription_id])
    assert not stored.cancel_at_period_end


def test_a_failed_renewal_makes_the_subscription_past_due(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=30))
    failed = by_type(world.gateway.fail_renewal(subscription_id), "invoice.payment_failed")

    assert handle(world, failed).status is EventStatus.PROCESSED

    assert world.stored(ann.id).subscriptions[subscription_id].status is S.PAST_DUE


def test_an_event_about_a_subscription_the_provider_does_not_know_is_ignored(
    world: World,
) -> None:
    ann = world.register()
    world.start_checkout(ann)
    customer_id = world.stored(ann.id).customer_id
    event = an_event(
        "invoice.paid", id="evt_gone", customer_id=customer_id, subscription_id="sub_gone"
    )
    result = handle(world, event)
    assert result.status is EventStatus.IGNORED
    assert "sub_gone" in result.note
    assert world.stored(ann.id).subscriptions == {}


def unlinked_paid_checkout(world: World) -> tuple[str, list[BillingEvent]]:
    """A user whose customer was created at the provider but never linked here."""
    ann = world.register()
    customer_id = world.gateway.create_customer(ann.id, ann.email)
    checkout = world.gateway.create_checkout_session(
        user_id=ann.id,
        customer_id=customer_id,
        offer=CheckoutOffer(world.gateway.price_id),
        success_url=SUCCESS_URL,
        cancel_url=CANCEL_URL,
        requested_at=world.clock.now(),
    )
    return ann.id, world.gateway.pay_checkout(checkout.session_id)


def test_a_gateway_failure_rolls_back_records_the_failure_and_re_raises(world: World) -> None:
    user_id, events = unlinked_paid_checkout(world)
    checkout_completed = events[0]
    before = world.stored(user_id)
    world.gateway.fail_next = PaymentProviderError("Stripe is down")

    with pytest.raises(PaymentProviderError, match="Stripe is down"):
        handle(world, checkout_completed)

    assert world.stored(user_id) == before  # the customer link made before the fetch is undone
    assert world.stored(user_id).customer_id is None
    record = world.inbox(checkout_completed.id)
    assert record.status is EventStatus.FAILED
    assert record.error == "PaymentProviderError: Stripe is down"
    assert record.payload == checkout_completed.payload


def test_a_retry_after_a_failure_applies_the_event_exactly_once(world: World) -> None:
    user_id, events = unlinked_paid_checkout(world)
    checkout_completed = events[0]
    world.gateway.fail_next = PaymentProviderError("Stripe is down")
    with pytest.raises(PaymentProviderError):
        handle(world, checkout_completed)

    retry = handle(world, checkout_completed)
    again = handle(world, checkout_completed)

    assert (retry.status, retry.duplicate) == (EventStatus.PROCESSED, False)
    assert again.duplicate
    stored = world.stored(user_id)
    assert stored.customer_id == checkout_completed.customer_id
    assert list(stored.subscriptions) == [checkout_completed.subscription_id]
    assert world.has_premium(stored)
    record = world.inbox(checkout_completed.id)
    assert (record.status, record.error) == (EventStatus.PROCESSED, None)
    assert [r.event_id for r in world.store.events.values()].count(checkout_completed.id) == 1


def test_a_long_error_is_recorded_shortened(world: World) -> None:
    _, events = unlinked_paid_checkout(world)
    world.gateway.fail_next = PaymentProviderError("x" * 5000)
    with pytest.raises(PaymentProviderError):
        handle(world, events[0])
    error = world.inbox(events[0].id).error
    assert error is not None
    assert error.startswith("PaymentProviderError: xxx")
    assert len(error) == 500


class GatewayWithAHook(FakePaymentGateway):
    """Runs `hook` once, in the middle of the first subscription fetch."""

    hook: Callable[[], None] | None = None

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        return super().get_subscription(subscription_id)


def test_a_concurrent_delivery_of_the_same_event_has_one_effect(world: World) -> None:
    gateway = GatewayWithAHook(world.clock)
    world.gateway = gateway
    user_id, events = unlinked_paid_checkout(world)
    checkout_completed = events[0]
    other_worker = HandleBillingEvent(
        InMemoryUnitOfWork(world.store),
        gateway,
        world.clock,
        world.policy,
        billing_notices(world.policy),
    )
    results: list[HandleBillingEventResult] = []
    gateway.hook = lambda: results.append(
        other_worker.execute(HandleBillingEventCommand(checkout_completed))
    )

    ours = handle(world, checkout_completed)

    assert results[0].status is EventStatus.PROCESSED
    assert not results[0].duplicate
    assert (ours.status, ours.duplicate) == (EventStatus.PROCESSED, True)
    assert world.inbox(checkout_completed.id).status is EventStatus.PROCESSED
    assert list(world.stored(user_id).subscriptions) == [checkout_completed.subscription_id]


def test_a_concurrent_delivery_that_failed_meanwhile_does_not_hide_ours(world: World) -> None:
    gateway = GatewayWithAHook(world.clock)
    world.gateway = gateway
    user_id, events = unlinked_paid_checkout(world)
    event = events[0]
    other_worker = HandleBillingEvent(
        InMemoryUnitOfWork(world.store),
        gateway,
        world.clock,
        world.policy,
        billing_notices(world.policy),
    )

    def other_delivery_fails() -> None:
        gateway.fail_next = PaymentProviderError("Stripe blip")
        with pytest.raises(PaymentProviderError):
            other_worker.execute(HandleBillingEventCommand(event))

    gateway.hook = other_delivery_fails

    ours = handle(world, event)

    # Ours read the failed record again and applied the event: processed, not "duplicate".
    assert (ours.status, ours.duplicate) == (EventStatus.PROCESSED, False)
    assert world.inbox(event.id).status is EventStatus.PROCESSED
    assert list(world.stored(user_id).subscriptions) == [event.subscription_id]


def test_an_event_from_the_fakes_json_round_trips_through_translate(world: World) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    for event in events:
        assert world.gateway.translate_event(event.payload) == event
    data = json.loads(events[1].payload)
    assert data["snapshot"]["status"] == "incomplete"  # as Stripe: created incomplete


def test_a_snapshot_event_does_not_call_the_provider(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    created = by_type(events, "customer.subscription.created")
    world.gateway.fail_next = PaymentProviderError("must not be called")
    assert handle(world, created).status is EventStatus.PROCESSED
    assert world.gateway.fail_next is not None
    assert subscription_id in world.stored(ann.id).subscriptions


def test_a_recovered_payment_restores_premium_after_the_grace(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=30))
    world.deliver(world.gateway.fail_renewal(subscription_id))
    world.clock.advance(timedelta(days=5))
    assert not world.has_premium(world.stored(ann.id))
    world.deliver(world.gateway.recover(subscription_id))
    assert world.has_premium(world.stored(ann.id))


def test_a_renewal_failing_while_the_last_is_unpaid_opens_no_new_grace(world: World) -> None:
    """Left past due, the subscription renews and fails again: the grace still counts
    from the first failure, whichever order the events come in."""
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=30))
    first_failure = world.clock.now()
    first = world.gateway.fail_renewal(subscription_id)
    world.clock.advance(timedelta(days=30))
    second = world.gateway.fail_renewal(subscription_id)
    world.clock.advance(timedelta(hours=1))

    world.deliver([*second, *first])

    stored = world.stored(ann.id).subscriptions[subscription_id]
    assert stored.status is S.PAST_DUE
    assert stored.unpaid_since == first_failure
    assert stored.current_period_start == first_failure + timedelta(days=30)
    assert not world.has_premium(world.stored(ann.id))


def test_a_past_due_event_asks_the_provider_since_when_and_a_paid_one_does_not(
    world: World,
) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=30))
    failed_at = world.clock.now()
    updated = by_type(world.gateway.fail_renewal(subscription_id), "customer.subscription.updated")
    assert updated.snapshot is not None and updated.snapshot.unpaid_since is None

    assert handle(world, updated).status is EventStatus.PROCESSED
    assert world.stored(ann.id).subscriptions[subscription_id].unpaid_since == failed_at

    world.clock.advance(timedelta(days=1))
    recovered = by_type(world.gateway.recover(subscription_id), "customer.subscription.updated")
    world.gateway.fail_next = PaymentProviderError("must not be called")
    assert handle(world, recovered).status is EventStatus.PROCESSED
    stored = world.stored(ann.id).subscriptions[subscription_id]
    assert stored.status is S.ACTIVE
    assert stored.unpaid_since is None


def test_a_past_due_event_is_stored_when_the_provider_cannot_say_since_when(
    world: World,
) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=30))
    failed_at = world.clock.now()
    failing = world.gateway.fail_renewal(subscription_id)
    world.gateway.fail_next = PaymentProviderError("Stripe is down")

    updated = by_type(failing, "customer.subscription.updated")
    assert handle(world, updated).status is EventStatus.PROCESSED
    stored = world.stored(ann.id).subscriptions[subscription_id]
    assert (stored.status, stored.unpaid_since) == (S.PAST_DUE, None)

    assert handle(world, by_type(failing, "invoice.payment_failed")).status is (
        EventStatus.PROCESSED
    )
    assert world.stored(ann.id).subscriptions[subscription_id].unpaid_since == failed_at


def test_an_event_stamped_before_the_stored_state_but_fetched_moves_nothing_back(
    world: World,
) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=1))
    world.deliver(world.gateway.schedule_cancel(subscription_id))
    stored_as_of = world.stored(ann.id).subscriptions[subscription_id].as_of
    old_invoice = replace(by_type(events, "invoice.paid"), id="evt_old_invoice_again")

    handle(world, old_invoice)

    stored = world.stored(ann.id).subscriptions[subscription_id]
    assert stored.as_of >= stored_as_of
    assert stored.cancel_at_period_end


class ConflictOnCommit(InMemoryUnitOfWork):
    """A store whose next commit breaks one of its rules (a unique key)."""

    conflicts = 1

    def commit(self) -> None:
        if ConflictOnCommit.conflicts:
            ConflictOnCommit.conflicts -= 1
            self.rollback()
            raise DataConflict(
                "the change breaks a rule of the store: UNIQUE constraint failed: users.x"
            )
        super().commit()


def test_item_4_an_event_that_can_never_succeed_is_failed_readably_not_retried(
    world: World,
) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    ConflictOnCommit.conflicts = 1
    handler = HandleBillingEvent(
        ConflictOnCommit(world.store),
        world.gateway,
        world.clock,
        world.policy,
        billing_notices(world.policy),
    )

    result = handler.execute(HandleBillingEventCommand(events[1]))  # no exception: 2xx

    assert result.status is EventStatus.FAILED
    record = world.inbox(events[1].id)
    assert record.status is EventStatus.FAILED
    assert record.error is not None and "UNIQUE constraint failed" in record.error
    assert "[SQL" not in record.error


def test_a_failure_reason_keeps_the_first_line_and_no_sql() -> None:
    error = RuntimeError("(psycopg.Error) boom\n[SQL: UPDATE users SET x=%(x)s]\n[parameters: {}]")
    assert describe_failure(error) == "RuntimeError: (psycopg.Error) boom"


def test_a_duplicate_of_a_handled_checkout_event_needs_no_provider_call(world: World) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    assert handle(world, events[0]).status is EventStatus.PROCESSED
    world.gateway.fail_next = PaymentProviderError("Stripe is down")

    again = handle(world, events[0])

    assert (again.status, again.duplicate) == (EventStatus.PROCESSED, True)
    assert world.gateway.fail_next is not None  # the provider was not asked
