"""Any order and duplication of events ends in the in-order state, now with plans: trials,
upgrades and trial changes made now, downgrades scheduled for the period's end (and kept
or dropped), renewals that make them (issue 11, Done-when 2).

A lifecycle against the fake provider selling the two-plan catalog; its events delivered
in order and again in a generated permutation with duplicates must store the provider's
truth, and the entitlements its plans give.
"""

import copy
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory import FakePaymentGateway, InMemoryStore, InMemoryUnitOfWork, ManualClock
from application.ports import CheckoutOffer, EventStatus
from application.use_cases.handle_billing_event import (
    HandleBillingEvent,
    HandleBillingEventCommand,
)
from domain.access import AccessPolicy
from domain.email import EmailAddress
from domain.provider_events import BillingEvent
from domain.subscription import Subscription, SubscriptionStatus
from domain.user import User
from tests.unit.application.test_billing_order_property import advances, deliveries
from tests.unit.application.test_start_subscription_plans import CATALOG
from tests.unit.builders import T0

S = SubscriptionStatus
LOOKUP_KEYS = CATALOG.lookup_keys


class PlanLifecycle:
    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        self.gateway = FakePaymentGateway(self.clock)
        self.policy = AccessPolicy(self.gateway.stock(CATALOG))
        self.user = User.register(EmailAddress("ann@example.com"), "fake$v1$salt$digest", T0)
        self.user.link_customer(self.gateway.create_customer(self.user.id, self.user.email))
        self.operations: list[str] = []

    def current(self) -> Subscription | None:
        customer = self.gateway.customers[self.user.customer_id or ""]
        ids = customer.subscriptions
        return self.gateway.subscriptions[ids[-1]] if ids else None

    def legal(self) -> list[str]:
        current = self.current()
        if current is None or current.status.is_terminal:
            return ["pay", "pay_with_trial"]
        legal = ["cancel_now", "keep_plan"]
        if current.status is S.TRIALING:
            legal.append("end_trial")
        else:
            legal += ["renew", "fail_renewal"] if current.status is S.ACTIVE else ["recover"]
        start, end = current.current_period_start, current.current_period_end
        # Inside the current period (the fake renews whenever told, even early).
        inside = start is not None and end is not None and start <= self.clock.now() <= end
        if current.status in (S.ACTIVE, S.TRIALING) and inside:
            legal += ["change_now", "schedule_change"]
        return legal

    def run(self, operation: str, price: str) -> None:
        gateway, current = self.gateway, self.current()
        price_id = gateway.prices[price].price_id or ""
        if operation.startswith("pay"):
            trial = 14 if operation == "pay_with_trial" else 0
            checkout = gateway.create_checkout_session(
                user_id=self.user.id,
                customer_id=self.user.customer_id or "",
                offer=CheckoutOffer(price_id, trial),
                success_url="https://app.test/success",
                cancel_url="https://app.test/cancel",
                requested_at=self.clock.now(),
            )
            gateway.pay_checkout(checkout.session_id)
        else:
            assert current is not None
            if operation == "change_now":
                trialing = current.status is S.TRIALING
                gateway.change_price_now(
                    current.id, price_id, self.clock.now(), bill_now=not trialing
                )
            elif operation == "schedule_change":
                gateway.schedule_price_change(current.id, price_id)
            elif operation == "keep_plan":
                gateway.release_scheduled_change(current.id)
            else:
                getattr(gateway, operation)(current.id)
        self.operations.append(f"{operation} {price}")

    def deliver(self, events: Sequence[BillingEvent]) -> User:
        store = InMemoryStore()
        uow = InMemoryUnitOfWork(store)
        with uow:
            uow.users.add(copy.deepcopy(self.user))
            uow.commit()
        handler = HandleBillingEvent(uow, self.gateway, self.clock, self.policy)
        for event in events:
            result = handler.execute(HandleBillingEventCommand(event))
            assert result.status is not EventStatus.FAILED
        return store.users[self.user.id]


@st.composite
def plan_lifecycles(draw: st.DrawFn) -> PlanLifecycle:
    lifecycle = PlanLifecycle()
    lifecycle.run("pay_with_trial", draw(st.sampled_from(LOOKUP_KEYS)))
    for _ in range(draw(st.integers(0, 10))):
        lifecycle.clock.advance(draw(advances))
        operation = draw(st.sampled_from(lifecycle.legal()))
        lifecycle.run(operation, draw(st.sampled_from(LOOKUP_KEYS)))
    lifecycle.clock.advance(draw(advances))
    return lifecycle


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lifecycle=plan_lifecycles(), data=st.data())
def test_plan_changes_in_any_order_end_in_the_in_order_state_with_its_entitlements(
    lifecycle: PlanLifecycle, data: st.DataObject
) -> None:
    events = lifecycle.gateway.events
    in_order = lifecycle.deliver(events)
    shuffled = lifecycle.deliver(data.draw(deliveries(events), label="delivery"))

    assert shuffled.subscriptions == in_order.subscriptions, lifecycle.operations
    gateway = lifecycle.gateway
    truth = {key: gateway.owing_since(s) for key, s in gateway.subscriptions.items()}
    assert set(in_order.subscriptions) == set(truth)
    for subscription_id, stored in in_order.subscriptions.items():
        assert stored.same_state_as(truth[subscription_id]), lifecycle.operations

    now = lifecycle.clock.now()
    expected: set[str] = set()
    for subscription in truth.values():
        plan = CATALOG.plan_of(subscription.price_id)
        resolved = lifecycle.policy.catalog.plan_of(subscription.price_id)
        assert plan is None and resolved is not None  # the file's plans have no ids
        if subscription.grants_premium(now):
            expected |= resolved.includes
    assert lifecycle.policy.entitlements(in_order, now) == expected
    assert lifecycle.policy.entitlements(shuffled, now) == expected
