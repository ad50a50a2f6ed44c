"""A hostile review of the issue 8 change found these; each test failed before its fix."""

import json
import threading
from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import stripe

from adapters.memory import FakePaymentGateway, InMemoryStore, InMemoryUnitOfWork
from adapters.stripe.gateway import StripePaymentGateway, StripeSettings
from adapters.stripe.translate import event_from_json
from application.ports import DataConflict, EventStatus
from application.use_cases.open_billing_portal import OpenBillingPortal, OpenBillingPortalCommand
from application.use_cases.reconcile_subscriptions import (
    ReconcileSubscriptions,
    ReconcileSubscriptionsCommand,
)
from application.use_cases.replay_events import ReplayEvents, ReplayEventsCommand
from domain.access import AccessPolicy
from domain.errors import AlreadySubscribed, CustomerMissing, NoBillingAccount, PaymentProviderError
from domain.subscription import SubscriptionStatus
from tests.unit.application.conftest import World

S = SubscriptionStatus


class WrongKeyGateway(FakePaymentGateway):
    """The API key of another account or mode for a while: every customer is unknown,
    though nothing was deleted."""

    wrong_key = False

    def list_subscriptions(self, customer_id: str) -> Any:
        if self.wrong_key:
            raise CustomerMissing()
        return super().list_subscriptions(customer_id)

    def create_portal_session(
        self, customer_id: str, return_url: str, configuration: str | None = None
    ) -> str:
        if self.wrong_key:
            raise CustomerMissing()
        return super().create_portal_session(customer_id, return_url, configuration)

    def get_subscription(self, subscription_id: str) -> Any:
        return None if self.wrong_key else super().get_subscription(subscription_id)


@pytest.fixture
def wrong_key(world: World) -> World:
    return replace(world, gateway=WrongKeyGateway(world.clock))


def reconcile(world: World) -> Any:
    return ReconcileSubscriptions(world.uow, world.gateway, world.clock).execute(
        ReconcileSubscriptionsCommand()
    )


def test_a_reconcile_run_with_a_wrong_key_changes_nothing(wrong_key: World) -> None:
    world, gateway = wrong_key, wrong_key.gateway
    assert isinstance(gateway, WrongKeyGateway)
    ann = world.register()
    _, events = world.subscribe(ann)
    world.deliver(events)
    before = world.stored(ann.id)

    gateway.wrong_key = True
    report = reconcile(world)

    assert "does not know customer" in report.failures["ann@example.com"]
    assert world.stored(ann.id) == before
    assert world.has_premium(world.stored(ann.id))


def test_manage_billing_with_a_wrong_key_unlinks_but_ends_nothing_and_heals(
    wrong_key: World,
) -> None:
    world, gateway = wrong_key, wrong_key.gateway
    assert isinstance(gateway, WrongKeyGateway)
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    customer_id = world.stored(ann.id).customer_id

    gateway.wrong_key = True
    with pytest.raises(NoBillingAccount):
        OpenBillingPortal(world.uow, gateway).execute(
            OpenBillingPortalCommand(ann.id, "https://app.test/account")
        )
    assert world.stored(ann.id).customer_id is None
    assert world.has_premium(world.stored(ann.id))  # still paying: still premium

    gateway.wrong_key = False  # the key is fixed; reconcile links the customer again
    reconcile(world)
    assert world.stored(ann.id).customer_id == customer_id
    with pytest.raises(AlreadySubscribed):  # and no second subscription is sold
        world.start_checkout(ann)
    assert [s.id for s in gateway.subscriptions.values() if s.is_live] == [subscription_id]


def test_subscribe_refuses_while_a_subscription_of_an_unlinked_customer_still_runs(
    world: World,
) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    with world.uow as uow:  # unlinked, as after a wrong key
        user = uow.users.require(ann.id)
        user.customer_id = None
        uow.users.save(user)
        uow.commit()

    with pytest.raises(AlreadySubscribed):
        world.start_checkout(ann)
    assert world.gateway.subscriptions[subscription_id].is_live


def test_subscribe_does_not_undo_a_payment_stored_in_the_same_second(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=30))
    world.deliver(world.gateway.fail_renewal(subscription_id))
    gateway = world.gateway
    real_list = gateway.list_subscriptions

    def list_then_the_payment_lands(customer_id: str) -> Any:
        listed = real_list(customer_id)  # past_due, as of the listing
        world.clock.advance(timedelta(milliseconds=200))  # the same second at Stripe
        world.deliver(gateway.recover(subscription_id))
        return listed

    gateway.list_subscriptions = list_then_the_payment_lands  # type: ignore[method-assign]
    with pytest.raises(AlreadySubscribed):
        world.start_checkout(ann)

    assert world.stored(ann.id).subscriptions[subscription_id].status is S.ACTIVE
    world.clock.advance(timedelta(days=4))
    assert world.has_premium(world.stored(ann.id))


def test_a_second_lost_customer_in_stripes_idempotency_window_is_replaced_too(
    world: World,
) -> None:
    ann = world.register()
    world.start_checkout(ann)
    first = world.stored(ann.id).customer_id
    assert first is not None
    world.gateway.delete_customer(first)
    world.start_checkout(ann)
    second = world.stored(ann.id).customer_id
    assert second is not None and second != first
    world.gateway.delete_customer(second)
    with pytest.raises(NoBillingAccount):
        OpenBillingPortal(world.uow, world.gateway).execute(
            OpenBillingPortalCommand(ann.id, "https://app.test/account")
        )

    session_id = world.start_checkout(ann)  # replays reach both lost ones, then a new one

    third = world.stored(ann.id).customer_id
    assert third not in (None, first, second)
    assert world.gateway.checkouts[session_id].is_open


@pytest.mark.parametrize("reference", ["x" * 300, "ann\n", "ann\t"])
def test_an_unusable_reference_is_dropped_not_a_reason_to_refuse(reference: str) -> None:
    payload = json.dumps(
        {
            "id": "evt_1",
            "object": "event",
            "type": "customer.subscription.deleted",
            "created": 1767268800,
            "livemode": False,
            "data": {
                "object": {
                    "id": "sub_1",
                    "object": "subscription",
                    "status": "canceled",
                    "customer": "cus_1",
                    "metadata": {"user_id": reference},
                    "cancel_at_period_end": False,
                    "ended_at": 1767268800,
                    "items": {"data": [{"price": {"id": "price_1"}}]},
                }
            },
        }
    )
    event = event_from_json(json.loads(payload), payload)
    assert event.user_ref is None
    assert (event.subscription_id, event.customer_id) == ("sub_1", "cus_1")


def test_settling_does_not_pass_off_an_unreachable_stripe_as_success() -> None:
    def session(session_id: str, requested_us: int) -> SimpleNamespace:
        data = {"id": session_id, "metadata": {"requested_at_us": str(requested_us)}}
        return SimpleNamespace(
            id=session_id, url=f"https://pay/{session_id}", created=1, to_dict=lambda: data
        )

    open_ones = [session("cs_new", 2_000_000), session("cs_old", 1_000_000)]

    def expire(session_id: str, options: object = None) -> None:
        # The SDK's error classes have unannotated constructors.
        raise stripe.APIConnectionError("connection reset")  # type: ignore[no-untyped-call]

    sessions = SimpleNamespace(
        list=lambda params: SimpleNamespace(auto_paging_iter=lambda: iter(open_ones)),
        expire=expire,
    )
    client = SimpleNamespace(v1=SimpleNamespace(checkout=SimpleNamespace(sessions=sessions)))
    gateway = StripePaymentGateway(
        StripeSettings(secret_key="sk_test_x", webhook_secrets=("whsec_x",)),
        client=client,  # type: ignore[arg-type]
    )
    with pytest.raises(PaymentProviderError):
        gateway.settle_open_checkouts("cus_1")


def test_replay_reports_an_event_that_failed_again_as_failed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    real_commit = InMemoryUnitOfWork.commit

    def conflicting_commit(self: InMemoryUnitOfWork) -> None:
        if self._users.pending:
            raise DataConflict("the change breaks a rule of the store: uq_users_customer_id")
        real_commit(self)

    monkeypatch.setattr(InMemoryUnitOfWork, "commit", conflicting_commit)
    [result] = world.deliver(events[:1])
    assert result.status is EventStatus.FAILED

    report = ReplayEvents(world.uow, world.gateway, world.handler()).execute(
        ReplayEventsCommand((events[0].id,))
    )
    assert report.replayed == []
    assert "uq_users_customer_id" in report.failed[events[0].id]


def test_nested_writing_blocks_release_the_fakes_writer_lock() -> None:
    store = InMemoryStore()
    uow = InMemoryUnitOfWork(store)
    with uow.writing(), uow.writing():
        pass
    with uow.writing(), uow:  # a reader inside a writer must not release the writer's lock
        taken: list[bool] = []
        other = threading.Thread(target=lambda: taken.append(store.writer.acquire(timeout=0.2)))
        other.start()
        other.join()
        assert taken == [False]
    got: list[bool] = []
    other = threading.Thread(target=lambda: got.append(store.writer.acquire(timeout=0.5)))
    other.start()
    other.join()
    assert got == [True]


def test_a_grandfathered_price_keeps_its_subscribers(world: World) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    world.deliver(events)
    old_price = world.gateway.price_id
    moved = replace(world, policy=AccessPolicy.selling("price_new", old_price))

    assert moved.has_premium(moved.stored(ann.id))
    with pytest.raises(AlreadySubscribed):
        moved.start_checkout(ann)


def test_reconcile_ends_a_deleted_customers_subscriptions_when_the_webhooks_were_lost(
    world: World,
) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    customer_id = world.stored(ann.id).customer_id
    assert customer_id is not None
    world.clock.advance(timedelta(hours=1))
    world.gateway.delete_customer(customer_id)  # its webhooks never arrive

    report = reconcile(world)

    stored = world.stored(ann.id)
    assert stored.subscriptions[subscription_id].status is S.CANCELED
    assert not world.has_premium(stored)
    assert stored.customer_id is None  # Stripe answered by id: really deleted
    assert report.failures == {}
    assert reconcile(world).failures == {}  # and the next run has nothing to report
