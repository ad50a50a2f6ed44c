"""Grace per unpaid invoice when Stripe cannot say since when (review of issue 11)."""

from datetime import timedelta

from application.ports import EventStatus
from domain.errors import PaymentProviderError
from domain.subscription import SubscriptionStatus as S
from tests.unit.application.conftest import World, world  # noqa: F401
from tests.unit.application.test_handle_billing_event import by_type, handle


def test_a_later_past_due_event_while_stripe_is_down_does_not_reopen_the_grace(
    world: World,  # noqa: F811
) -> None:
    """Left past due for a month, the renewal fails again. Its subscription event comes
    while the fetch for `unpaid_since` fails: the stored `unpaid_since` (first failure,
    a month ago) is thrown away, and grace counts again from the new period's start."""
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    world.clock.advance(timedelta(days=30))
    first_failure = world.clock.now()
    world.deliver(world.gateway.fail_renewal(subscription_id))
    assert world.stored(ann.id).subscriptions[subscription_id].unpaid_since == first_failure
    world.clock.advance(timedelta(days=4))
    assert not world.has_premium(world.stored(ann.id))  # grace over: locked out

    world.clock.advance(timedelta(days=26))
    second = world.gateway.fail_renewal(subscription_id)
    world.clock.advance(timedelta(hours=1))
    world.gateway.fail_next = PaymentProviderError("Stripe is down")
    assert handle(world, by_type(second, "customer.subscription.updated")).status is (
        EventStatus.PROCESSED
    )
    stored = world.stored(ann.id).subscriptions[subscription_id]
    assert stored.status is S.PAST_DUE
    # Still owes since the first failure, 30 days ago: no access.
    assert not world.has_premium(world.stored(ann.id)), "grace reopened"
    assert stored.unpaid_since == first_failure, stored.unpaid_since
