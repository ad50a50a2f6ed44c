"""Ports: what the use cases need from the outside world, as abstract classes.

Each docstring is a contract. The in-memory fakes in `adapters/memory` and the real
adapters pass the same contract tests (tests/contract), so a use case tested against
the fakes behaves the same in production.
"""

import abc
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Self

from application.email_message import EmailMessage
from domain.catalog import PlanPrice
from domain.email import EmailAddress
from domain.errors import UserNotFound
from domain.notes import Note
from domain.provider_events import BillingEvent, CheckoutSession
from domain.subscription import Subscription
from domain.user import User


class UserRepository(abc.ABC):
    """Users with their subscriptions, inside the unit of work's transaction.

    - `add` stores a new user; a second user with the same email (the address is
      normalised, so letter case does not matter) raises `EmailAlreadyRegistered`,
      at the latest on `commit`.
    - `save` stores the changes made to a user loaded from this repository.
    - The finders return None when nothing matches; they never raise for "not found".
    """

    @abc.abstractmethod
    def add(self, user: User) -> None: ...

    @abc.abstractmethod
    def save(self, user: User) -> None: ...

    @abc.abstractmethod
    def get(self, user_id: str) -> User | None: ...

    def require(self, user_id: str) -> User:
        """`get` for a user who must exist (the signed-in one): `UserNotFound` otherwise."""
        user = self.get(user_id)
        if user is None:
            raise UserNotFound()
        return user

    @abc.abstractmethod
    def get_by_email(self, email: EmailAddress) -> User | None: ...

    @abc.abstractmethod
    def get_by_customer_id(self, customer_id: str) -> User | None: ...

    @abc.abstractmethod
    def get_by_subscription_id(self, subscription_id: str) -> User | None: ...

    @abc.abstractmethod
    def list_billed(self) -> Sequence[User]:
        """Every user who has a billing customer or a stored subscription, in a stable
        order (oldest first, then by id)."""


class EventStatus(enum.StrEnum):
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


@dataclass(frozen=True)
class InboxRecord:
    """One verified event as received, and what became of it."""

    event_id: str
    provider_type: str
    status: EventStatus
    received_at: datetime
    payload: str
    error: str | None = None
    note: str | None = None


class ConcurrentUpdate(Exception):
    """Raised by `UnitOfWork.commit` when another transaction saved the same user since this
    one loaded it. Nothing of this transaction is stored; run it again (`retry_on_conflict`)."""


class EventAlreadyRecorded(Exception):
    """Raised by `UnitOfWork.commit` when another transaction recorded the same event first."""


class DataConflict(Exception):
    """Raised by `UnitOfWork.commit` when the change breaks another rule of the store (a
    unique key other than the email and the event id). Running it again cannot help. The
    message names the rule, never the SQL."""


class EventInbox(abc.ABC):
    """Every verified provider event, with its outcome, inside the unit of work.

    The event id is unique: `record` of an id that is already stored replaces its
    status (a failed event that later succeeds), it never adds a second row. Because the
    record is written in the same transaction as the event's effect, an event whose
    effect was committed is always marked done, and never the other way round.
    """

    @abc.abstractmethod
    def get(self, event_id: str) -> InboxRecord | None: ...

    @abc.abstractmethod
    def record(self, record: InboxRecord) -> None: ...

    @abc.abstractmethod
    def claim(self, record: InboxRecord) -> InboxRecord | None:
        """Record a new event in one write, unless its id is recorded already.

        Returns None when `record` was stored (visible to others at commit), or the record
        already stored, left as it is: committed before, or by another transaction that
        commits first (a database waits for that transaction to end; a fake may instead
        make the second commit raise `EventAlreadyRecorded`).
        """

    @abc.abstractmethod
    def list(self, status: EventStatus | None = None) -> Sequence[InboxRecord]:
        """Records, oldest first, optionally only those with `status`."""


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up: refused for good, or too many attempts


@dataclass(frozen=True)
class OutboxEntry:
    """One email to send, written in the same transaction as the change that causes it.

    `id` names the cause (`password-reset:<token id>`, `payment-failed:<event id>`): one
    cause, one entry, one email. `claimed_until` is a deliverer's lease: while it lasts,
    no other deliverer takes the entry.
    """

    id: str
    message: EmailMessage
    created_at: datetime
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None  # None: at once
    claimed_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None

    def __post_init__(self) -> None:
        if not 0 < len(self.id) <= 255 or not self.id.isprintable():
            raise ValueError("an outbox entry's id is 1 to 255 printable characters")
        if self.attempts < 0:
            raise ValueError("attempts cannot be negative")

    def due(self, now: datetime) -> bool:
        """Pending, its next attempt reached, and no live claim on it."""
        return (
            self.status is OutboxStatus.PENDING
            and (self.next_attempt_at is None or self.next_attempt_at <= now)
            and (self.claimed_until is None or self.claimed_until <= now)
        )


class Outbox(abc.ABC):
    """Emails waiting to be sent, inside the unit of work's transaction.

    - `add` writes a new entry, unless one with its id is stored already (committed, or
      by another transaction that commits first): then nothing is added and nothing is
      raised. So a cause that runs twice (a replayed event) still makes one email.
    - `claim` takes a due entry for a deliverer until `until`, in one conditional write:
      of two transactions claiming one entry, one gets None (or, in a fake, its commit
      raises `ConcurrentUpdate`), never both the entry.
    - `save` stores the changes made to an entry read here (status, attempts, ...).
    - The finders return None or nothing for "not found", never raise.
    """

    @abc.abstractmethod
    def add(self, entry: OutboxEntry) -> None: ...

    @abc.abstractmethod
    def get(self, entry_id: str) -> OutboxEntry | None: ...

    @abc.abstractmethod
    def due(self, now: datetime, limit: int) -> Sequence[OutboxEntry]:
        """At most `limit` entries due at `now`, oldest first (created_at, then id)."""

    @abc.abstractmethod
    def claim(self, entry_id: str, now: datetime, until: datetime) -> OutboxEntry | None:
        """The entry with `claimed_until=until` if it is due at `now`, else None."""

    @abc.abstractmethod
    def save(self, entry: OutboxEntry) -> None: ...

    @abc.abstractmethod
    def list(self, status: OutboxStatus | None = None) -> Sequence[OutboxEntry]:
        """Entries, oldest first, optionally only those with `status`."""


class UnitOfWork(abc.ABC):
    """One transaction over users, subscriptions, the event inbox and the outbox.

    Used as a context manager. Nothing is stored until `commit`; leaving the block
    without committing (or with an exception) rolls everything back. A conflict found
    at commit time leaves nothing half-written and raises: `EmailAlreadyRegistered`
    (a duplicate email), `EventAlreadyRecorded` (the same event recorded concurrently),
    `ConcurrentUpdate` (a user saved by another transaction since it was loaded here).
    """

    users: UserRepository
    events: EventInbox
    outbox: Outbox
    _writing = False
    _reading = False

    def writing(self) -> Self:
        """Open the next transaction as a writer: `with uow.writing() as uow:`.

        Each user it reads is locked until it ends, so writers to one user take turns
        instead of one failing at commit with `ConcurrentUpdate` (PostgreSQL: SELECT ...
        FOR UPDATE; SQLite: an immediate transaction). Readers are not held up.
        """
        self._writing = True
        return self

    def _take_writing(self) -> bool:
        """For `__enter__`: whether this transaction was opened with `writing()`."""
        writing, self._writing = self._writing, False
        return writing

    def reading(self) -> Self:
        """Open the next transaction as a reader: `with uow.reading() as uow:`.

        It reads what is committed and stores nothing: its `commit` raises
        `RuntimeError` (an adapter may refuse a write sooner, with the same error). A
        database may run each of its reads on its own, with no transaction around them
        (PostgreSQL: no BEGIN and ROLLBACK round trips), so two reads in one reader may
        see a commit made between them (as in READ COMMITTED).
        """
        self._reading = True
        return self

    def _take_reading(self) -> bool:
        """For `__enter__`: whether this transaction was opened with `reading()`."""
        reading, self._reading = self._reading, False
        return reading

    def __enter__(self) -> Self:
        self._take_writing()
        self._take_reading()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...


class PasswordHasher(abc.ABC):
    """One-way password hashing.

    `verify` returns False for a wrong password or a hash it cannot read; it never
    raises for those. `needs_rehash` is True when the hash was made with older
    parameters than the hasher's current ones.
    """

    @abc.abstractmethod
    def hash(self, password: str) -> str: ...

    @abc.abstractmethod
    def verify(self, password_hash: str, password: str) -> bool: ...

    @abc.abstractmethod
    def needs_rehash(self, password_hash: str) -> bool: ...


class Clock(abc.ABC):
    """The current time, timezone-aware, in UTC."""

    @abc.abstractmethod
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class CheckoutRedirect:
    session_id: str
    url: str


@dataclass(frozen=True)
class CheckoutOffer:
    """What one checkout sells: a price, and the trial that comes with it (0 days: none)."""

    price_id: str
    trial_days: int = 0
    trial_without_card: bool = False

    def __post_init__(self) -> None:
        if self.trial_days < 0:
            raise ValueError("a trial cannot be negative")
        if self.trial_without_card and not self.trial_days:
            raise ValueError("no card is needed only for a trial")


class PaymentGateway(abc.ABC):
    """The payment provider (Stripe in production).

    Every call that creates something is idempotent where a key is given, so a retry
    after a time-out never charges or creates twice. Provider failures raise
    `PaymentProviderError` (or a subclass) with a message a person can read; unknown ids
    raise `CheckoutNotFound` / return None as documented.
    """

    @abc.abstractmethod
    def find_prices(self, lookup_keys: Sequence[str]) -> Mapping[str, PlanPrice]:
        """The provider's active recurring prices named by `lookup_keys`, by lookup key,
        each with its id, amount (minor units), currency and interval as the provider
        charges them. A key the provider does not know (or whose price is inactive, or
        not billed by the month or the year) is absent from the answer, never an error."""

    @abc.abstractmethod
    def create_customer(
        self, user_id: str, email: EmailAddress, *, replacing: str | None = None
    ) -> str:
        """Create the user's billing customer (user id in its metadata); return its id.

        Idempotent on `user_id`: calling it twice for one user returns one customer.
        `replacing` names a customer of the user's that the provider no longer knows:
        the new one must not be a replay of the request that created it.
        """

    @abc.abstractmethod
    def create_checkout_session(
        self,
        *,
        user_id: str,
        customer_id: str,
        offer: CheckoutOffer,
        success_url: str,
        cancel_url: str,
        requested_at: datetime,
    ) -> CheckoutRedirect:
        """A subscription checkout for `offer`'s price, tied to `user_id`.

        The offer's trial is the subscription's (`trial_days`; `trial_without_card`: the
        checkout asks for no card, and a trial that ends without one ends the
        subscription, canceled). Promotion codes are accepted on every checkout.
        `success_url` may contain the `{CHECKOUT_SESSION_ID}` placeholder. `requested_at`
        (when the person asked for it) is kept with the checkout for
        `settle_open_checkouts`. `CustomerMissing` when the provider does not know
        `customer_id`.
        """

    @abc.abstractmethod
    def settle_open_checkouts(self, customer_id: str) -> CheckoutRedirect | None:
        """Keep the customer's most recently requested open checkout, expire the others;
        return the kept one (None when none is open).

        Every request settles right after creating its own checkout. The one asked for
        last is never expired, by any request: so of any number of racing clicks the
        last one always lands on a payable page, and at most one stays payable.
        A checkout paid meanwhile is left alone.
        """

    @abc.abstractmethod
    def get_checkout_session(self, session_id: str) -> CheckoutSession:
        """The checkout as the provider has it; `CheckoutNotFound` for an unknown id."""

    @abc.abstractmethod
    def get_subscription(self, subscription_id: str) -> Subscription | None:
        """The subscription's current state (stamped with the provider's now), or None."""

    @abc.abstractmethod
    def list_subscriptions(self, customer_id: str) -> Sequence[Subscription]:
        """Every subscription of the customer, canceled ones included, each stamped with
        the provider's time of the answer; `CustomerMissing` for an unknown customer."""

    @abc.abstractmethod
    def cancel_subscription(self, subscription_id: str) -> Subscription:
        """Cancel now; returns the canceled subscription."""

    @abc.abstractmethod
    def create_portal_session(self, customer_id: str, return_url: str) -> str:
        """The URL of the provider's billing portal for the customer; `CustomerMissing`
        for an unknown customer."""

    @abc.abstractmethod
    def parse_webhook(self, payload: bytes, signature: str | None) -> BillingEvent:
        """Verify a webhook delivery and translate it.

        Raises `InvalidWebhook` for a missing or wrong signature, a timestamp outside the
        tolerance, a body that is not an event, or an event from the wrong mode (live
        events on a test key and the other way round).
        """

    @abc.abstractmethod
    def translate_event(self, payload: str) -> BillingEvent:
        """Translate an event payload verified earlier (for replaying stored events)."""


class NoteLibrary(abc.ABC):
    """The notes on offer, read-only.

    Rules:
    - `list` gives every note, ordered by slug; listing twice gives the same notes;
    - a note's slug is its name in the library (a file's name without `.md`), unique;
    - `get` returns the note with that slug, equal to the one `list` gives; any other
      string (unknown, empty, a path, another letter case) is None, never an error;
    - a library that holds a malformed note refuses to be built (`NoteError` naming it),
      so a server never starts with a note it would show wrongly.
    """

    @abc.abstractmethod
    def list(self) -> Sequence[Note]: ...

    @abc.abstractmethod
    def get(self, slug: str) -> Note | None: ...


class EmailSender(abc.ABC):
    """Sends one email now, from the configured sender.

    - `send` returns once the mail server has taken the message (SMTP: 250 after DATA);
      delivering it further is then the server's job.
    - Every failure raises `EmailDeliveryFailed` (unreachable, timed out, TLS, log-in, a
      refused sender, recipient or content), never another exception; its text holds no
      credential. `permanent` says whether sending the same message again can work.
    - Not idempotent: a message sent twice arrives twice (the outbox sends each once).
    - The message arrives From the configured sender, To its address, with a Date and a
      Message-ID (its own when its headers name one, else a new one), its extra headers,
      and its text and HTML as alternatives of one another.
    """

    @abc.abstractmethod
    def send(self, message: EmailMessage) -> None: ...


class EmailRenderer(abc.ABC):
    """Messages made from templates, one template per kind of message.

    `render(name, to, context)` gives message `name` for `to`: its subject, text and
    (when the template has one) HTML part, filled from `context`. Values are escaped in
    the HTML part, never in the text. An unknown `name`, or a value the template uses
    that `context` lacks, raises `LookupError` naming it: a message never goes out with
    a hole in it.
    """

    @abc.abstractmethod
    def render(
        self, name: str, to: EmailAddress, context: Mapping[str, object]
    ) -> EmailMessage: ...
