"""Several workers on one database at once, as gunicorn workers share PostgreSQL.

The use cases run with SqlAlchemyUnitOfWork, in threads started together; the
database's keys and the optimistic lock must make every race end in one effect.
"""

import gc
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TypeVar

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapters.memory import FakePasswordHasher, FakePaymentGateway, ManualClock
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.ports import EventStatus
from application.use_cases.authenticate_user import AuthenticateUser, AuthenticateUserCommand
from application.use_cases.confirm_checkout import ConfirmCheckout, ConfirmCheckoutCommand
from application.use_cases.handle_billing_event import (
    HandleBillingEvent,
    HandleBillingEventCommand,
    HandleBillingEventResult,
)
from application.use_cases.register_user import RegisterUser, RegisterUserCommand
from application.use_cases.start_subscription import (
    StartSubscription,
    StartSubscriptionCommand,
)
from application.use_cases.verify_email import VerifyEmail, VerifyEmailCommand
from domain.access import AccessPolicy
from domain.email import EmailAddress
from domain.errors import AlreadySubscribed
from domain.provider_events import BillingEvent
from domain.subscription import Subscription, SubscriptionStatus
from domain.user import User
from tests.support.mail import a_mailer, billing_notices, link_to, token_of
from tests.unit.builders import T0

WORKERS = 8
T = TypeVar("T")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def session_factory(request: pytest.FixtureRequest) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.getfixturevalue(f"{request.param}_session_factory")
    return factory


@dataclass
class Service:
    session_factory: sessionmaker[Session]
    clock: ManualClock
    gateway: FakePaymentGateway

    @property
    def policy(self) -> AccessPolicy:
        return AccessPolicy.selling(self.gateway.price_id)

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.session_factory)

    def handle(self, event: BillingEvent) -> HandleBillingEventResult:
        handler = HandleBillingEvent(
            self.uow(), self.gateway, self.clock, self.policy, billing_notices(self.policy)
        )
        return handler.execute(HandleBillingEventCommand(event))

    def load_by_email(self, email: str) -> User:
        with self.uow() as uow:
            user = uow.users.get_by_email(EmailAddress(email))
        assert user is not None
        return user

    def load(self, user_id: str) -> User:
        with self.uow() as uow:
            user = uow.users.get(user_id)
        assert user is not None
        return user


@pytest.fixture
def service(session_factory: sessionmaker[Session]) -> Service:
    clock = ManualClock(T0)
    return Service(session_factory, clock, FakePaymentGateway(clock))


def all_at_once(tasks: list[Callable[[], T]]) -> Iterator[T | BaseException]:
    """Run the tasks in threads released together; yield each result or exception."""
    barrier = threading.Barrier(len(tasks))

    def run(task: Callable[[], T]) -> T | BaseException:
        barrier.wait()
        try:
            return task()
        except Exception as error:
            return error

    with ThreadPoolExecutor(len(tasks)) as pool:
        yield from pool.map(run, tasks)


def register(service: Service, email: str = "ann@example.com") -> User:
    """Register, then open the link of the verification email (subscribing needs it)."""
    mailer = a_mailer()
    RegisterUser(service.uow(), FakePasswordHasher(), service.clock, mailer).execute(
        RegisterUserCommand(email, "correct horse battery")
    )
    with service.uow() as uow:
        link = link_to(uow.outbox.list(), email, "/verify-email/")
    VerifyEmail(service.uow(), service.gateway, service.clock, mailer).execute(
        VerifyEmailCommand(token_of(link))
    )
    return service.load_by_email(email)


def paid_checkout(service: Service, user: User) -> tuple[str, list[BillingEvent]]:
    redirect = StartSubscription(
        service.uow(), service.gateway, service.clock, service.policy
    ).execute(StartSubscriptionCommand(user.id, "https://app.test/ok", "https://app.test/no"))
    return redirect.session_id, service.gateway.pay_checkout(redirect.session_id)


def test_one_event_delivered_to_many_workers_at_once_has_one_effect(service: Service) -> None:
    ann = register(service)
    _, events = paid_checkout(service, ann)
    checkout_completed = events[0]

    results = list(all_at_once([lambda: service.handle(checkout_completed)] * WORKERS))

    assert not [r for r in results if isinstance(r, BaseException)], results
    answers = [r for r in results if isinstance(r, HandleBillingEventResult)]
    assert [r.duplicate for r in answers].count(False) == 1
    assert all(r.status is EventStatus.PROCESSED for r in answers)
    assert list(service.load(ann.id).subscriptions) == [checkout_completed.subscription_id]
    with service.uow() as uow:
        assert [r.event_id for r in uow.events.list()] == [checkout_completed.id]


def test_one_email_registered_by_many_workers_at_once_makes_one_account(
    service: Service,
) -> None:
    """Each one answers alike (no error); one account, one verification email, and one
    "you have an account already" email for the others (one an hour)."""
    spellings = [f"{'ANN' if i % 2 else 'ann'}@Example.com" for i in range(WORKERS)]

    def register_once(email: str) -> None:
        RegisterUser(service.uow(), FakePasswordHasher(), service.clock, a_mailer()).execute(
            RegisterUserCommand(email, "correct horse battery")
        )

    results = list(all_at_once([partial(register_once, e) for e in spellings]))

    assert results == [None] * WORKERS
    with service.uow() as uow:
        user = uow.users.get_by_email(EmailAddress("ann@example.com"))
        assert user is not None
        keys = sorted(entry.id.split(":")[0] for entry in uow.outbox.list())
    assert keys == ["already-registered", "verify-email"]


def test_the_success_page_and_the_webhooks_at_once_store_one_subscription(
    service: Service,
) -> None:
    ann = register(service)
    session_id, events = paid_checkout(service, ann)

    def confirm() -> object:
        use_case = ConfirmCheckout(service.uow(), service.gateway, service.clock, service.policy)
        return use_case.execute(ConfirmCheckoutCommand(ann.id, session_id))

    tasks: list[Callable[[], object]] = [confirm, confirm]
    tasks += [partial(service.handle, e) for e in events]
    results = list(all_at_once(tasks))

    assert not [r for r in results if isinstance(r, BaseException)], results
    stored = service.load(ann.id)
    assert list(stored.subscriptions) == [events[0].subscription_id]
    assert service.policy.grants_premium(stored, service.clock.now())


def test_different_events_about_one_user_at_once_all_take_effect(service: Service) -> None:
    ann = register(service)
    _, events = paid_checkout(service, ann)
    subscription_id = events[0].subscription_id or ""
    for event in events:
        service.handle(event)
    service.clock.advance(timedelta(days=1))
    later = service.gateway.schedule_cancel(subscription_id)
    service.clock.advance(timedelta(days=1))
    later += service.gateway.resume(subscription_id)
    service.clock.advance(timedelta(days=30))
    later += service.gateway.renew(subscription_id)

    results = list(all_at_once([partial(service.handle, e) for e in later]))

    assert not [r for r in results if isinstance(r, BaseException)], results
    stored = service.load(ann.id).subscriptions[subscription_id]
    assert stored.same_state_as(service.gateway.subscriptions[subscription_id])
    with service.uow() as uow:
        assert len(uow.events.list(EventStatus.FAILED)) == 0


def test_a_log_in_that_rehashes_while_a_webhook_cancels_does_not_revive_the_subscription(
    service: Service,
) -> None:
    ann = register(service)  # hashed by FakePasswordHasher version 1
    _, events = paid_checkout(service, ann)
    subscription_id = events[0].subscription_id or ""
    for event in events:
        service.handle(event)
    service.clock.advance(timedelta(hours=1))
    [deleted] = service.gateway.cancel_now(subscription_id)

    class WebhookDuringRehash(FakePasswordHasher):
        """Rehashing happens between loading the user and saving it: the webhook's
        transaction commits right then, and the garbage collector happens to run."""

        def hash(self, password: str) -> str:
            service.handle(deleted)
            gc.collect()
            return super().hash(password)

    logged_in = AuthenticateUser(service.uow(), WebhookDuringRehash(version=2)).execute(
        AuthenticateUserCommand("ann@example.com", "correct horse battery")
    )

    assert logged_in.id == ann.id
    stored = service.load(ann.id)
    assert stored.subscriptions[subscription_id].status is SubscriptionStatus.CANCELED
    assert not service.policy.grants_premium(stored, service.clock.now())


class DeletedWhileListing(FakePaymentGateway):
    """The subscription is canceled at the provider, and its webhook stored by another
    worker, right after Subscribe listed the customer's subscriptions."""

    on_list: Callable[[], object] | None = None

    def list_subscriptions(self, customer_id: str) -> list[Subscription]:
        listed = list(super().list_subscriptions(customer_id))
        hook, self.on_list = self.on_list, None
        if hook is not None:
            hook()
        return listed


def test_item_2_subscribe_never_brings_a_canceled_subscription_back(service: Service) -> None:
    gateway = service.gateway = DeletedWhileListing(service.clock)
    ann = register(service)
    _, events = paid_checkout(service, ann)
    for event in events:
        service.handle(event)
    subscription_id = events[0].subscription_id
    assert subscription_id is not None

    def deleted_meanwhile() -> None:
        service.clock.advance(timedelta(seconds=1))
        for event in gateway.cancel_now(subscription_id):
            service.handle(event)

    gateway.on_list = deleted_meanwhile
    with pytest.raises(AlreadySubscribed):  # what Stripe said when it was asked
        StartSubscription(service.uow(), gateway, service.clock, service.policy).execute(
            StartSubscriptionCommand(ann.id, "https://app.test/ok", "https://app.test/no")
        )

    stored = service.load(ann.id).subscriptions[subscription_id]
    assert stored.status is SubscriptionStatus.CANCELED
    assert not service.policy.grants_premium(service.load(ann.id), service.clock.now())
