"""The use cases wired to the in-memory fakes, and a few steps most tests share."""

from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from adapters.memory import (
    FakePasswordHasher,
    FakePaymentGateway,
    InMemoryStore,
    InMemoryUnitOfWork,
    ManualClock,
)
from application.mail import Mailer
from application.ports import InboxRecord, OutboxEntry
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
from domain.provider_events import BillingEvent
from domain.user import User
from tests.support.mail import a_mailer, billing_notices, link_to, token_of
from tests.unit.builders import T0

PASSWORD = "correct horse battery"
SUCCESS_URL = "https://app.test/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://app.test/cancel"


@dataclass
class World:
    """The fakes one test shares: the 'database', the provider, the clock, the hasher."""

    clock: ManualClock
    store: InMemoryStore
    uow: InMemoryUnitOfWork
    hasher: FakePasswordHasher
    gateway: FakePaymentGateway
    policy: AccessPolicy
    mailer: Mailer

    def has_premium(self, user: User) -> bool:
        return self.policy.grants_premium(user, self.clock.now())

    def register(
        self, email: str = "ann@example.com", password: str = PASSWORD, *, verified: bool = True
    ) -> User:
        """A new account, registered as a person does; `verified`: its address proven
        too, by the link of the email registration sent (subscribing needs it)."""
        RegisterUser(self.uow, self.hasher, self.clock, self.mailer).execute(
            RegisterUserCommand(email, password)
        )
        [user] = [u for u in self.store.users.values() if u.email == EmailAddress(email)]
        if verified:
            self.verify(user.email.value)
        return self.stored(user.id)

    def verify(self, email: str) -> None:
        """Open the newest verification link sent to `email`."""
        link = link_to(self.store.outbox.values(), email, "/verify-email/")
        VerifyEmail(self.uow, self.gateway, self.clock, self.mailer).execute(
            VerifyEmailCommand(token_of(link))
        )

    def outbox_to(self, email: str) -> list[OutboxEntry]:
        """The emails written for `email`, oldest first."""
        entries = sorted(self.store.outbox.values(), key=lambda e: (e.created_at, e.id))
        return [e for e in entries if str(e.message.to) == email.lower()]

    def stored(self, user_id: str) -> User:
        """The user as committed (what another request would read)."""
        return self.store.users[user_id]

    def inbox(self, event_id: str) -> InboxRecord:
        return self.store.events[event_id]

    def start_checkout(self, user: User) -> str:
        redirect = self.starter().execute(
            StartSubscriptionCommand(user.id, SUCCESS_URL, CANCEL_URL)
        )
        return redirect.session_id

    def starter(self) -> StartSubscription:
        return StartSubscription(self.uow, self.gateway, self.clock, self.policy)

    def handler(self) -> HandleBillingEvent:
        return HandleBillingEvent(
            self.uow, self.gateway, self.clock, self.policy, billing_notices(self.policy)
        )

    def deliver(self, events: Iterable[BillingEvent]) -> list[HandleBillingEventResult]:
        handler = self.handler()
        return [handler.execute(HandleBillingEventCommand(event)) for event in events]

    def subscribe(self, user: User) -> tuple[str, list[BillingEvent]]:
        """Checkout paid at the provider; returns the subscription id and the events sent
        (not delivered yet)."""
        events = self.gateway.pay_checkout(self.start_checkout(user))
        subscription_id = events[0].subscription_id
        assert subscription_id is not None
        return subscription_id, events


@pytest.fixture
def world() -> World:
    clock = ManualClock(T0)
    store = InMemoryStore()
    gateway = FakePaymentGateway(clock)
    return World(
        clock=clock,
        store=store,
        uow=InMemoryUnitOfWork(store),
        hasher=FakePasswordHasher(),
        gateway=gateway,
        policy=AccessPolicy.selling(gateway.price_id),
        mailer=a_mailer(),
    )
