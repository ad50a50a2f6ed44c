"""The store: users with their subscriptions, the event inbox, and the unit of work
that makes one transaction of them (with the outbox)."""

import abc
import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Self

from application.ports.outbox import Outbox
from domain.email import EmailAddress
from domain.errors import UserNotFound
from domain.user import User

log = logging.getLogger(__name__)


class UserRepository(abc.ABC):
    """Users with their subscriptions, inside the unit of work's transaction.

    - `add` stores a new user; a second user with the same email (the address is
      normalised, so letter case does not matter) raises `EmailAlreadyRegistered`,
      at the latest on `commit`.
    - `save` stores the changes made to a user loaded from this repository, their email
      included (another user's email raises `EmailAlreadyRegistered`, at the latest on
      `commit`).
    - `remove` deletes a user loaded in this transaction, with their subscriptions, and
      keeps a tombstone of them: their id and the time of the deletion (`deleted_at`),
      nothing else; a user saved by another transaction since it was loaded raises
      `ConcurrentUpdate` at the latest on `commit`, and nothing is removed (no tombstone).
    - The finders return None when nothing matches; they never raise for "not found".
    """

    @abc.abstractmethod
    def add(self, user: User) -> None: ...

    @abc.abstractmethod
    def save(self, user: User) -> None: ...

    @abc.abstractmethod
    def remove(self, user_id: str, at: datetime) -> None: ...

    @abc.abstractmethod
    def deleted_at(self, user_id: str) -> datetime | None:
        """When the user of this id was removed (committed, or removed in this
        transaction), or None: never removed here (an unknown id, or a live user)."""

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
    # Stored by /webhook in the queue mode (WEBHOOK_PROCESSING=queue), not applied yet:
    # a worker's task applies it (and the sweeper sends it again if the task got lost).
    RECEIVED = "received"

    @property
    def done(self) -> bool:
        """Whether the event was handled (processed or ignored): what a duplicate of it
        finds, and answers with no effect. A failed or received one is still to apply."""
        return self in (EventStatus.PROCESSED, EventStatus.IGNORED)


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


class UnitOfWork(abc.ABC):
    """One transaction over users, subscriptions, the event inbox and the outbox.

    Used as a context manager. Nothing is stored until `commit`; leaving the block
    without committing (or with an exception) rolls everything back. A conflict found
    at commit time leaves nothing half-written and raises: `EmailAlreadyRegistered`
    (a duplicate email), `EventAlreadyRecorded` (the same event recorded concurrently),
    `ConcurrentUpdate` (a user saved by another transaction since it was loaded here).

    An adapter may be given `after_outbox_commit`, a callable it calls once after each
    commit that added outbox entries (never after a rollback or a failed commit): how a
    sender learns that there is mail to send, without polling. It is called after the
    data is committed, so a failure in it (logged) loses nothing: the entries wait.
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


def notify_outbox_written(after_outbox_commit: Callable[[], None] | None) -> None:
    """For adapters: call the hook after a commit that added outbox entries; whatever it
    raises is logged (the commit is done, and the entries wait for the next sender)."""
    if after_outbox_commit is None:
        return
    try:
        after_outbox_commit()
    except Exception:
        log.exception("the outbox's after-commit hook failed; the emails wait in the outbox")
