"""Any order and any duplication of a subscription's events ends in the same stored state.

A lifecycle is generated against the fake provider: only operations legal in the
current state, with the clock advanced by a generated amount between them (often zero,
so timestamps tie). Its events are then delivered through `HandleBillingEvent` in
order, and again in a generated permutation with generated duplicates. Both deliveries
must store the same subscriptions, equal to the provider's truth, and grant premium
exactly when the domain rule grants it on that truth.
"""

import contextlib
import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory import FakePaymentGateway, InMemoryStore, InMemoryUnitOfWork, ManualClock
from application.ports import CheckoutOffer, EventStatus
from application.use_cases.confirm_checkout import ConfirmCheckout, ConfirmCheckoutCommand
from application.use_cases.handle_billing_event import (
    HandleBillingEvent,
    HandleBillingEventCommand,
)
from application.use_cases.reconcile_subscriptions import (
    ReconcileSubscriptions,
    ReconcileSubscriptionsCommand,
)
from application.use_cases.start_subscription import (
    StartSubscription,
    StartSubscriptionCommand,
)
from domain.access import AccessPolicy
from domain.email import EmailAddress
from domain.errors import AlreadySubscribed
from domain.provider_events import BillingEvent
from domain.subscription import Subscription, SubscriptionStatus
from domain.user import User
from tests.unit.builders import T0

S = SubscriptionStatus

advances = st.one_of(
    st.just(timedelta(0)),
    st.integers(1, 600).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 45).map(lambda d: timedelta(days=d)),
)


@dataclass
class Lifecycle:
    clock: ManualClock
    gateway: FakePaymentGateway
    user: User  # as stored before any event: registered, customer linked
    operations: list[str]

    @property
    def events(self) -> list[BillingEvent]:
        return self.gateway.events

    def current(self) -> Subscription | None:
        customer = self.gateway.customers[self.user.customer_id or ""]
        return (
            self.gateway.subscriptions[customer.subscriptions[-1]]
            if customer.subscriptions
            else None
        )


def policy(gateway: FakePaymentGateway) -> AccessPolicy:
    return AccessPolicy.selling(gateway.price_id)


CHECKOUTS = ["pay_checkout", "start_trial_with_card", "start_trial_without_card"]


def legal_operations(current: Subscription | None) -> list[str]:
    if current is None or current.status.is_terminal:
        return CHECKOUTS
    legal = ["cancel_now", "resume" if current.cancel_at_period_end else "schedule_cancel"]
    if current.status is S.TRIALING:
        return [*legal, "trial_will_end", "end_trial"]  # its end is its first renewal
    if current.status is S.PAST_DUE:
        legal.append("recover")
    legal.append("renew")  # ends the subscription when it is set to cancel
    if not current.cancel_at_period_end:
        legal.append("fail_renewal")
    return legal


def run(lifecycle: Lifecycle, operation: str) -> None:
    gateway, current = lifecycle.gateway, lifecycle.current()
    if operation in CHECKOUTS:
        trial = operation != "pay_checkout"
        card = operation != "start_trial_without_card"
        checkout = gateway.create_checkout_session(
            user_id=lifecycle.user.id,
            customer_id=lifecycle.user.customer_id or "",
            offer=CheckoutOffer(
                gateway.price_id, trial_days=14 if trial else 0, trial_without_card=not card
            ),
            success_url="https://app.test/success",
            cancel_url="https://app.test/cancel",
            requested_at=lifecycle.clock.now(),
        )
        gateway.pay_checkout(checkout.session_id, card=card)
    else:
        assert current is not None
        action: Callable[[str], list[BillingEvent]] = getattr(gateway, operation)
        action(current.id)
    lifecycle.operations.append(operation)


@st.composite
def lifecycles(draw: st.DrawFn) -> Lifecycle:
    clock = ManualClock(T0)
    gateway = FakePaymentGateway(clock)
    user = User.register(EmailAddress("ann@example.com"), "fake$v1$salt$digest", T0)
    user.link_customer(gateway.create_customer(user.id, user.email))
    lifecycle = Lifecycle(clock, gateway, user, [])
    run(lifecycle, draw(st.sampled_from(CHECKOUTS)))
    for _ in range(draw(st.integers(0, 10))):
        clock.advance(draw(advances))
        run(lifecycle, draw(st.sampled_from(legal_operations(lifecycle.current()))))
    clock.advance(draw(advances))
    return lifecycle


def deliver(lifecycle: Lifecycle, events: Sequence[BillingEvent]) -> User:
    """Deliver `events` to a fresh service that knows only the user; return the user."""
    store = InMemoryStore()
    uow = InMemoryUnitOfWork(store)
    with uow:
        uow.users.add(copy.deepcopy(lifecycle.user))
        uow.commit()
    handler = HandleBillingEvent(uow, lifecycle.gateway, lifecycle.clock, policy(lifecycle.gateway))
    seen: set[str] = set()
    for event in events:
        result = handler.execute(HandleBillingEventCommand(event))
        assert result.status is not EventStatus.FAILED
        assert result.duplicate == (event.id in seen)
        seen.add(event.id)
    assert {record.event_id for record in store.events.values()} == seen
    return store.users[lifecycle.user.id]


@st.composite
def deliveries(draw: st.DrawFn, events: list[BillingEvent]) -> list[BillingEvent]:
    """Every event at least once, some more than once, in any order."""
    duplicates = draw(st.lists(st.sampled_from(events), max_size=len(events)))
    return draw(st.permutations(events + duplicates))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lifecycle=lifecycles(), data=st.data())
def test_any_order_and_duplication_of_events_ends_in_the_in_order_state(
    lifecycle: Lifecycle, data: st.DataObject
) -> None:
    in_order = deliver(lifecycle, lifecycle.events)
    shuffled = deliver(lifecycle, data.draw(deliveries(lifecycle.events), label="delivery"))

    assert shuffled.subscriptions == in_order.subscriptions
    assert shuffled.customer_id == in_order.customer_id == lifecycle.user.customer_id

    gateway = lifecycle.gateway
    truth = {key: gateway.owing_since(s) for key, s in gateway.subscriptions.items()}
    assert set(in_order.subscriptions) == set(truth)
    for subscription_id, stored in in_order.subscriptions.items():
        assert stored.same_state_as(truth[subscription_id]), lifecycle.operations

    now = lifecycle.clock.now()
    expected = any(s.grants_premium(now) for s in truth.values())
    assert policy(lifecycle.gateway).grants_premium(in_order, now) is expected
    assert policy(lifecycle.gateway).grants_premium(shuffled, now) is expected


# -- deliveries interleaved with the lifecycle ---------------------------------------------

service_advances = st.one_of(
    advances,
    st.integers(1, 999).map(lambda ms: timedelta(milliseconds=ms)),  # inside one second
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_events_delivered_late_early_or_twice_while_the_provider_moves_on_end_in_its_truth(
    data: st.DataObject,
) -> None:
    """The service acts while the provider changes: webhooks, the success page and the
    reconciler run between the provider's operations, with events delayed, repeated and
    reordered; once everything is delivered the stored state is the provider's."""
    clock = ManualClock(T0)
    gateway = FakePaymentGateway(clock)
    user = User.register(EmailAddress("ann@example.com"), "fake$v1$salt$digest", T0)
    user.link_customer(gateway.create_customer(user.id, user.email))
    lifecycle = Lifecycle(clock, gateway, user, [])
    store = InMemoryStore()
    uow = InMemoryUnitOfWork(store)
    with uow:
        uow.users.add(copy.deepcopy(user))
        uow.commit()
    handler = HandleBillingEvent(uow, gateway, clock, policy(gateway))
    pending: list[BillingEvent] = []

    def deliver_one(event: BillingEvent) -> None:
        assert handler.execute(HandleBillingEventCommand(event)).status is not EventStatus.FAILED

    def deliver_the_rest() -> None:
        for event in data.draw(deliveries(pending), label="the rest") if pending else []:
            deliver_one(event)
        pending.clear()

    def assert_stored_is_the_truth() -> None:
        stored = store.users[user.id]
        truth = {key: gateway.owing_since(s) for key, s in gateway.subscriptions.items()}
        assert set(stored.subscriptions) == set(truth)
        for subscription_id, subscription in stored.subscriptions.items():
            assert subscription.same_state_as(truth[subscription_id]), lifecycle.operations
        now = clock.now()
        expected = any(s.grants_premium(now) for s in truth.values())
        assert policy(gateway).grants_premium(stored, now) is expected

    steps = ["operate", "advance", "deliver", "settle", "confirm", "reconcile", "subscribe"]
    for _ in range(data.draw(st.integers(1, 25), label="steps")):
        step = data.draw(st.sampled_from(steps), label="step")
        if step == "operate":
            sent = len(gateway.events)
            operation = data.draw(st.sampled_from(legal_operations(lifecycle.current())))
            run(lifecycle, operation)
            pending += gateway.events[sent:]
        elif step == "advance":
            clock.advance(data.draw(service_advances, label="advance"))
        elif step == "deliver" and gateway.events:
            # Any event sent so far: a pending one, or one delivered before (a duplicate).
            event = data.draw(st.sampled_from(gateway.events), label="event")
            if event in pending:
                pending.remove(event)
            deliver_one(event)
        elif step == "settle":
            # Whenever every event sent so far has arrived, the stored state is the truth.
            deliver_the_rest()
            assert_stored_is_the_truth()
        elif step == "confirm" and gateway.checkouts:
            session_id = data.draw(st.sampled_from(sorted(gateway.checkouts)), label="session")
            ConfirmCheckout(uow, gateway, clock, policy(gateway)).execute(
                ConfirmCheckoutCommand(user.id, session_id)
            )
        elif step == "reconcile":
            ReconcileSubscriptions(uow, gateway, clock).execute(ReconcileSubscriptionsCommand())
        elif step == "subscribe":
            # Subscribe asks the provider and records what it says (or opens a checkout).
            with contextlib.suppress(AlreadySubscribed):
                StartSubscription(uow, gateway, clock, policy(gateway)).execute(
                    StartSubscriptionCommand(user.id, "https://app.test/s", "https://app.test/c")
                )
    deliver_the_rest()
    assert_stored_is_the_truth()
