"""A crash half-way through applying an event leaves nothing half-written; the retry
applies it exactly once. Against the real database (SQLite and PostgreSQL)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.memory import FakePaymentGateway, ManualClock
from adapters.sqlalchemy.tables import EventRow, SubscriptionRow, UserRow
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.ports import CheckoutOffer, EventStatus
from application.use_cases.handle_billing_event import (
    HandleBillingEvent,
    HandleBillingEventCommand,
)
from domain.access import AccessPolicy
from domain.email import EmailAddress
from domain.subscription import SubscriptionStatus
from domain.user import User
from tests.support.crashing import Crash, CrashingUnitOfWork
from tests.support.mail import billing_notices


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def session_factory(request: pytest.FixtureRequest) -> sessionmaker[Session]:
    return request.getfixturevalue(f"{request.param}_session_factory")  # type: ignore[no-any-return]


def count(session_factory: sessionmaker[Session], table: type) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_crash_after_the_first_write_leaves_nothing_and_the_retry_applies_once(
    session_factory: sessionmaker[Session],
) -> None:
    clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    gateway = FakePaymentGateway(clock)
    uow = CrashingUnitOfWork(session_factory)
    with uow:
        user = User.register(EmailAddress("crash@example.com"), "hash", clock.now())
        user.link_customer(gateway.create_customer(user.id, user.email))
        uow.users.add(user)
        uow.commit()
    checkout = gateway.create_checkout_session(
        user_id=user.id,
        customer_id=user.customer_id or "",
        offer=CheckoutOffer(gateway.price_id),
        success_url="s",
        cancel_url="c",
        requested_at=clock.now(),
    )
    created = gateway.pay_checkout(checkout.session_id)[1]  # customer.subscription.created
    handler = HandleBillingEvent(
        uow,
        gateway,
        clock,
        policy := AccessPolicy.selling(gateway.price_id),
        billing_notices(policy),
    )

    CrashingUnitOfWork.crashes = 1
    with pytest.raises(Crash):
        handler.execute(HandleBillingEventCommand(created))

    assert count(session_factory, SubscriptionRow) == 0  # nothing half-applied
    with SqlAlchemyUnitOfWork(session_factory) as check:
        record = check.events.get(created.id)
        stored = check.users.get(user.id)
    assert record is not None
    assert record.status is EventStatus.FAILED
    assert "killed after the first write" in (record.error or "")
    assert stored is not None
    assert stored.subscriptions == {}

    retried = handler.execute(HandleBillingEventCommand(created))  # Stripe's retry
    again = handler.execute(HandleBillingEventCommand(created))  # and a duplicate

    assert retried.status is EventStatus.PROCESSED
    assert retried.duplicate is False
    assert again.duplicate is True
    assert count(session_factory, SubscriptionRow) == 1
    assert count(session_factory, EventRow) == 1
    assert count(session_factory, UserRow) == 1
    with SqlAlchemyUnitOfWork(session_factory) as check:
        stored = check.users.get(user.id)
        record = check.events.get(created.id)
    assert stored is not None
    # The created event's own state: incomplete (the update to active is another event).
    assert [s.status for s in stored.subscriptions.values()] == [SubscriptionStatus.INCOMPLETE]
    assert record is not None
    assert record.status is EventStatus.PROCESSED
    assert record.error is None
