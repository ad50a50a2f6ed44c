import copy
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from adapters.memory.outbox import InMemoryOutbox
from application.ports import (
    ConcurrentUpdate,
    DataConflict,
    EventAlreadyRecorded,
    EventInbox,
    EventStatus,
    InboxRecord,
    OutboxEntry,
    UnitOfWork,
    UserRepository,
)
from application.ports.storage import notify_outbox_written
from domain.email import EmailAddress
from domain.errors import EmailAlreadyRegistered
from domain.user import User


class InMemoryStore:
    """The committed state that in-memory units of work share (the 'database')."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.events: dict[str, InboxRecord] = {}
        self.outbox: dict[str, OutboxEntry] = {}
        self.deleted: dict[str, datetime] = {}  # the tombstones: user id -> deleted at
        self.lock = threading.Lock()  # held by a commit
        self.writer = threading.RLock()  # held by a `writing()` transaction from start to end


class InMemoryUserRepository(UserRepository):
    """Reads committed users (copies, so changes stay private until commit)."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.pending: dict[str, User] = {}
        self.added: set[str] = set()
        self.removed: set[str] = set()
        self.deleted: dict[str, datetime] = {}
        self.loaded: dict[str, User] = {}  # as first read, for the optimistic check

    def _all(self) -> list[User]:
        merged = {**self._store.users, **self.pending}
        return [user for user in merged.values() if user.id not in self.removed]

    def _find(self, match: Callable[[User], bool]) -> User | None:
        for user in self._all():
            if match(user):
                if user.id not in self.pending:
                    self.loaded.setdefault(user.id, copy.deepcopy(user))
                return copy.deepcopy(user)
        return None

    def add(self, user: User) -> None:
        if any(u.email == user.email for u in self._all()):
            raise EmailAlreadyRegistered()
        self.pending[user.id] = copy.deepcopy(user)
        self.added.add(user.id)

    def save(self, user: User) -> None:
        if user.id not in self.pending and user.id not in self._store.users:
            raise LookupError(f"save() of a user that was never added: {user.id}")
        self.pending[user.id] = copy.deepcopy(user)

    def remove(self, user_id: str, at: datetime) -> None:
        if user_id not in self.loaded and user_id not in self.added:
            raise LookupError(f"remove() of a user not read in this transaction: {user_id}")
        self.pending.pop(user_id, None)
        self.added.discard(user_id)
        self.removed.add(user_id)
        self.deleted[user_id] = at

    def deleted_at(self, user_id: str) -> datetime | None:
        return self.deleted.get(user_id) or self._store.deleted.get(user_id)

    def get(self, user_id: str) -> User | None:
        return self._find(lambda u: u.id == user_id)

    def get_by_email(self, email: EmailAddress) -> User | None:
        return self._find(lambda u: u.email == email)

    def get_by_customer_id(self, customer_id: str) -> User | None:
        return self._find(lambda u: u.customer_id == customer_id)

    def get_by_subscription_id(self, subscription_id: str) -> User | None:
        return self._find(lambda u: subscription_id in u.subscriptions)

    def list_billed(self) -> Sequence[User]:
        billed = [u for u in self._all() if u.customer_id is not None or u.subscriptions]
        return [copy.deepcopy(u) for u in sorted(billed, key=lambda u: (u.created_at, u.id))]


class InMemoryEventInbox(EventInbox):
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.pending: dict[str, InboxRecord] = {}
        self.seen: dict[str, InboxRecord | None] = {}

    def get(self, event_id: str) -> InboxRecord | None:
        if event_id in self.pending:
            return self.pending[event_id]
        record = self._store.events.get(event_id)
        self.seen.setdefault(event_id, record)
        return record

    def record(self, record: InboxRecord) -> None:
        if record.event_id not in self.pending:
            self.seen.setdefault(record.event_id, self._store.events.get(record.event_id))
        self.pending[record.event_id] = record

    def claim(self, record: InboxRecord) -> InboxRecord | None:
        stored = self.pending.get(record.event_id) or self._store.events.get(record.event_id)
        if stored is not None:
            return stored
        self.record(record)
        return None

    def list(self, status: EventStatus | None = None) -> Sequence[InboxRecord]:
        merged = {**self._store.events, **self.pending}
        records = sorted(merged.values(), key=lambda r: (r.received_at, r.event_id))
        return [r for r in records if status is None or r.status is status]


class InMemoryUnitOfWork(UnitOfWork):
    """A transaction over an `InMemoryStore`: changes are private until `commit`.

    Commit checks what the database checks: a unique email and billing customer, that no
    other transaction recorded one of our new events since we looked (a unique key), that
    no other transaction saved a user we save since we loaded it (the optimistic
    version), nor an outbox entry we change (a claim). A `writing()` transaction holds the
    store's writer lock until it ends.
    """

    def __init__(
        self,
        store: InMemoryStore | None = None,
        after_outbox_commit: Callable[[], None] | None = None,
    ) -> None:
        self.store = store or InMemoryStore()
        self._after_outbox_commit = after_outbox_commit
        self.commits = 0
        self._writer_held: list[bool] = []  # per open block: whether it took the writer lock
        self._read_only: list[bool] = []  # per open block: whether it was opened `reading()`
        self._begin()

    def _begin(self) -> None:
        self.users = self._users = InMemoryUserRepository(self.store)
        self.events = self._events = InMemoryEventInbox(self.store)
        self.outbox = self._outbox = InMemoryOutbox(self.store)

    def __enter__(self) -> "InMemoryUnitOfWork":
        writing = self._take_writing()
        if writing:
            # One writer at a time (the database locks per user; one lock is enough here).
            self.store.writer.acquire()
        self._writer_held.append(writing)
        self._read_only.append(self._take_reading())
        self._begin()
        return self

    def __exit__(self, *args: object) -> None:
        self.rollback()
        self._read_only.pop()
        if self._writer_held.pop():
            self.store.writer.release()

    def commit(self) -> None:
        if self._read_only and self._read_only[-1]:
            self._begin()
            raise RuntimeError("commit() in a reader's transaction (opened with reading())")
        with self.store.lock:
            for user_id, user in self._users.pending.items():
                # A new user's email, or a changed one, that another user holds.
                clash = any(
                    u.email == user.email and u.id != user_id
                    for u in self.store.users.values()
                    if u.id not in self._users.removed
                )
                if clash:
                    self._begin()
                    raise EmailAlreadyRegistered()
                customer = user.customer_id
                taken = customer is not None and any(
                    u.customer_id == customer and u.id != user_id
                    for u in {**self.store.users, **self._users.pending}.values()
                )
                if taken:
                    self._begin()
                    raise DataConflict(f"the billing customer {customer} has another user")
            for user_id, loaded in self._users.loaded.items():
                changing = user_id in self._users.pending or user_id in self._users.removed
                if changing and self.store.users.get(user_id) != loaded:
                    self._begin()
                    raise ConcurrentUpdate(user_id)
            for event_id, seen in self._events.seen.items():
                if event_id in self._events.pending and self.store.events.get(event_id) != seen:
                    self._begin()
                    raise EventAlreadyRecorded(event_id)
            changed_entries = self._outbox.conflicts()
            if changed_entries:
                self._begin()
                raise ConcurrentUpdate(f"outbox entry {changed_entries[0]}")
            if (
                self._users.pending
                or self._users.removed
                or self._events.pending
                or self._outbox.pending
                or self._outbox.discarded
            ):
                for user_id in self._users.removed:
                    self.store.users.pop(user_id, None)
                self.store.users.update(self._users.pending)
                self.store.deleted.update(self._users.deleted)
                self.store.events.update(self._events.pending)
                for entry_id in self._outbox.discarded:
                    self.store.outbox.pop(entry_id, None)
                self.store.outbox.update(self._outbox.to_store())
                self.commits += 1  # commits that stored something
            added = bool(self._outbox.added)
        self._begin()
        if added:
            notify_outbox_written(self._after_outbox_commit)

    def rollback(self) -> None:
        self._begin()
