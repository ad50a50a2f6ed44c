from collections.abc import Sequence
from datetime import timedelta

import pytest

from adapters.memory import FakePaymentGateway, ManualClock
from application.use_cases.reconcile_subscriptions import (
    ReconcileReport,
    ReconcileSubscriptions,
    ReconcileSubscriptionsCommand,
)
from domain.errors import PaymentProviderError
from domain.subscription import Subscription, SubscriptionStatus
from tests.unit.application.conftest import World


def reconcile(world: World) -> ReconcileReport:
    return ReconcileSubscriptions(world.uow, world.gateway, world.clock).execute(
        ReconcileSubscriptionsCommand()
    )


def test_fixes_drift_from_lost_events_and_reports_each_change(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=2))
    world.gateway.schedule_cancel(subscription_id)  # its event is lost

    report = reconcile(world)

    truth = world.gateway.subscriptions[subscription_id]
    stored = world.stored(ann.id).subscriptions[subscription_id]
    assert stored.same_state_as(truth)
    assert stored.cancel_at_period_end
    assert report.checked_users == 1
    [change] = report.changes
    assert (change.user_email, change.subscription_id) == ("ann@example.com", subscription_id)
    assert change.before is not None
    assert not change.before.cancel_at_period_end
    assert change.after.cancel_at_period_end
    description = change.describe()
    assert description.startswith(f"ann@example.com: {subscription_id} active -> active")
    assert f"{truth.current_period_end:%Y-%m-%d %H:%M}" in description
    assert "cancel" in description


def test_a_subscription_we_never_heard_of_is_added_and_reported(world: World) -> None:
    ann = world.register()
    subscription_id, _lost = world.subscribe(ann)

    report = reconcile(world)

    assert world.has_premium(world.stored(ann.id))
    [change] = report.changes
    assert change.before is None
    assert change.after.status is SubscriptionStatus.ACTIVE
    assert change.describe().startswith(f"ann@example.com: {subscription_id} unknown -> active")


def test_no_drift_gives_an_empty_report_and_changes_nothing(world: World) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=1))
    before = world.stored(ann.id)

    report = reconcile(world)

    assert report.checked_users == 1
    assert report.changes == []
    after = world.stored(ann.id)
    assert after.customer_id == before.customer_id
    assert after.subscriptions.keys() == before.subscriptions.keys()
    for subscription_id, subscription in after.subscriptions.items():
        assert subscription.same_state_as(before.subscriptions[subscription_id])
        # Only the moment it was last known true moves on: a late event older than the
        # check can no longer undo it.
        assert subscription.as_of == world.clock.now()


def test_a_second_run_finds_nothing_left_to_fix(world: World) -> None:
    ann = world.register()
    subscription_id, _lost = world.subscribe(ann)
    world.gateway.cancel_now(subscription_id)
    assert len(reconcile(world).changes) == 1
    assert reconcile(world).changes == []


def test_only_users_with_a_billing_customer_are_checked(world: World) -> None:
    world.register("ann@example.com")
    bob = world.register("bob@example.com")
    world.start_checkout(bob)
    report = reconcile(world)
    assert report.checked_users == 1
    assert report.changes == []


def test_every_billed_user_is_checked(world: World) -> None:
    ann = world.register("ann@example.com")
    bob = world.register("bob@example.com")
    ann_subscription, _ = world.subscribe(ann)
    bob_subscription, _ = world.subscribe(bob)
    report = reconcile(world)
    assert report.checked_users == 2
    assert {c.subscription_id for c in report.changes} == {ann_subscription, bob_subscription}
    assert world.has_premium(world.stored(ann.id))
    assert world.has_premium(world.stored(bob.id))


class FlakyForSomeCustomers(FakePaymentGateway):
    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self.down_for: set[str] = set()
        self.error: Exception = PaymentProviderError("timeout")

    def list_subscriptions(self, customer_id: str) -> Sequence[Subscription]:
        if customer_id in self.down_for:
            raise self.error
        return super().list_subscriptions(customer_id)


@pytest.mark.parametrize("failing", ["ann@example.com", "bob@example.com"])
def test_a_provider_failure_for_one_user_is_reported_and_the_others_are_fixed(
    world: World, failing: str
) -> None:
    gateway = world.gateway = FlakyForSomeCustomers(world.clock)
    ann = world.register("ann@example.com")
    world.clock.advance(timedelta(seconds=1))  # Ann is listed first
    bob = world.register("bob@example.com")
    subscriptions = {
        "ann@example.com": world.subscribe(ann)[0],
        "bob@example.com": world.subscribe(bob)[0],
    }
    users = {"ann@example.com": ann, "bob@example.com": bob}
    gateway.down_for.add(world.stored(users[failing].id).customer_id or "")

    report = reconcile(world)

    assert report.failures == {failing: "timeout"}
    [working] = set(users) - {failing}
    assert subscriptions[working] in world.stored(users[working].id).subscriptions
    assert world.stored(users[failing].id).subscriptions == {}
    assert [c.user_email for c in report.changes] == [working]


def test_an_unexpected_error_for_one_user_is_reported_and_the_others_are_fixed(
    world: World,
) -> None:
    gateway = world.gateway = FlakyForSomeCustomers(world.clock)
    gateway.error = ValueError("'weird' is not a valid SubscriptionStatus")
    ann = world.register("ann@example.com")
    world.clock.advance(timedelta(seconds=1))
    bob = world.register("bob@example.com")
    world.subscribe(ann)
    bob_subscription, _ = world.subscribe(bob)
    gateway.down_for.add(world.stored(ann.id).customer_id or "")

    report = reconcile(world)

    assert report.failures == {
        "ann@example.com": "ValueError: 'weird' is not a valid SubscriptionStatus"
    }
    assert bob_subscription in world.stored(bob.id).subscriptions
