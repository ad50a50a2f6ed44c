from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Insert,
    Select,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from adapters.sqlalchemy import driver_reads
from adapters.sqlalchemy.tables import DeletedAccountRow, EventRow, SubscriptionRow, UserRow
from adapters.sqlalchemy.user_mapping import CHANGEABLE, changeable_values, user_of
from application.ports import EventInbox, EventStatus, InboxRecord, UserRepository
from domain.email import EmailAddress
from domain.errors import EmailAlreadyRegistered
from domain.subscription import Subscription, SubscriptionStatus
from domain.user import User


def violates_unique_email(error: IntegrityError) -> bool:
    """SQLite names the column (`users.email`), PostgreSQL the constraint (`uq_users_email`)."""
    text = str(error.orig).lower()
    return "users.email" in text or "uq_users_email" in text


def violates_unique_event(error: IntegrityError) -> bool:
    text = str(error.orig).lower()
    return "billing_events.event_id" in text or "pk_billing_events" in text


def violates_unique_subscription(error: IntegrityError) -> bool:
    text = str(error.orig).lower()
    return "subscriptions.id" in text or "pk_subscriptions" in text


def violated_rule(error: IntegrityError) -> str:
    """The constraint or column an integrity error names, without the SQL around it."""
    first_line = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
    return first_line.split("DETAIL")[0].strip()[:200] or type(error.orig).__name__


class SqlAlchemyUserRepository(UserRepository):
    def __init__(
        self,
        session: Session,
        *,
        lock: bool = False,
        read_only: bool = False,
        connection: Callable[[], Connection] | None = None,
        reader_engine: Engine | None = None,
    ) -> None:
        self._session = session
        # Where Core reads run: the session's own connection, or a reader's (no ORM).
        self._connect: Callable[[], Connection] = connection or session.connection
        # A reader's: its look-ups of a user run on the driver's connection (driver_reads).
        self._reader_engine = reader_engine if read_only and not lock else None
        self._lock = lock  # a writer's transaction: every user read is locked (FOR UPDATE)
        self._read_only = read_only  # a reader's: nothing is flushed (it may autocommit)
        # The rows this transaction loaded or added, held so that they outlive the domain
        # objects made from them. The session's identity map holds rows only weakly: a
        # row collected after `get` would be loaded afresh by `save`, with the version
        # another transaction committed meanwhile, and the optimistic lock would let that
        # transaction's changes be overwritten.
        self._rows: dict[str, UserRow] = {}
        # The users read with Core statements (no ORM rows: a page that only reads pays
        # no identity map, no instrumented objects), as read: the first read of a user in
        # this transaction is the one its `save` builds on, as the identity map would.
        self._read: dict[str, _UserRead] = {}
        # What `save` wrote of those users, as statements run at commit (or before the
        # next read): no ORM row is built for them.
        self._pending: list[tuple[Executable, dict[str, Any]]] = []
        # Once this transaction has written, reads flush first and go through the ORM, so
        # that they see what was written, as they did before the Core reads.
        self._wrote = False

    def add(self, user: User) -> None:
        row = UserRow(
            id=user.id,
            created_at=user.created_at,
            version=1,
            subscriptions=[_subscription_row(s) for s in user.subscriptions.values()],
            **changeable_values(user),
        )
        self._session.add(row)
        self._rows[user.id] = row
        self._wrote = True
        if self._read_only:
            return  # never flushed: the reader's commit refuses it
        try:
            self._session.flush()  # the unique email is checked now, not at commit
        except IntegrityError as error:
            if violates_unique_email(error):
                raise EmailAlreadyRegistered() from error
            raise

    def save(self, user: User) -> None:
        read = self._read.get(user.id)
        if read is not None and user.id not in self._rows:
            self._save_as_read(user, read)
            return
        row = self._rows.get(user.id) or self._session.get(UserRow, user.id)
        if row is None:
            raise LookupError(f"save() of a user that was never added: {user.id}")
        self._rows[user.id] = row
        self._wrote = True
        for column, value in changeable_values(user).items():
            setattr(row, column, value)
        rows = {r.id: r for r in row.subscriptions}
        for subscription in user.subscriptions.values():
            existing = rows.get(subscription.id)
            if existing is None:
                row.subscriptions.append(_subscription_row(subscription))
            else:
                _copy_into(existing, subscription)
        row.version = row.version + 1

    def _save_as_read(self, user: User, read: "_UserRead") -> None:
        """`save` of a user read with Core: the statements are queued for `flush` (at
        commit, or before this transaction reads again), as the ORM would flush them. The
        user's UPDATE is conditional on the version read (the optimistic lock); only the
        subscriptions that changed are written."""
        version = read.user["version"]
        changed = changeable_values(user)
        self._pending.append(
            (
                _UPDATE_USER,
                {
                    "b_id": user.id,
                    "b_version": version,
                    **{f"v_{column}": value for column, value in changed.items()},
                    "v_version": version + 1,
                },
            )
        )
        before = {s["id"]: s for s in read.subscriptions}
        after = []
        for subscription in user.subscriptions.values():
            values = _subscription_columns(subscription, user.id)
            stored = before.get(subscription.id)
            if stored is None:
                self._pending.append((_INSERT_SUBSCRIPTION, values))
            elif stored != values:
                update = {"b_id": subscription.id}
                update.update({f"v_{k}": v for k, v in values.items() if k != "id"})
                self._pending.append((_UPDATE_SUBSCRIPTION, update))
            after.append(values)
        after += [s for i, s in before.items() if i not in user.subscriptions]
        user_values = {**read.user, **changed, "version": version + 1}
        self._read[user.id] = _UserRead(user_values, after)
        self._wrote = True

    def remove(self, user_id: str, at: datetime) -> None:
        if self._read_only:
            raise RuntimeError("remove() in a reader's transaction (opened with reading())")
        row = self._rows.pop(user_id, None)
        read = self._read.pop(user_id, None)
        if row is None and read is None:
            raise LookupError(f"remove() of a user not read in this transaction: {user_id}")
        self._wrote = True
        if row is not None:
            self._session.delete(row)  # its subscriptions with it (delete-orphan)
        else:
            assert read is not None
            # Run at commit, as `save`'s statements: conditional on the version read.
            self._pending.append((_DELETE_SUBSCRIPTIONS, {"b_user_id": user_id}))
            self._pending.append(
                (_DELETE_USER, {"b_id": user_id, "b_version": read.user["version"]})
            )
        self._pending.append((_INSERT_TOMBSTONE, {"user_id": user_id, "deleted_at": at}))

    def deleted_at(self, user_id: str) -> datetime | None:
        if self._wrote:
            self.flush()
        return self._connect().execute(_TOMBSTONE_OF, {"user_id": user_id}).scalar()

    def flush(self) -> None:
        """Run the statements `save` queued (a reader never runs them): a user saved by
        another transaction since it was read here raises `StaleDataError`."""
        if self._read_only or not self._pending:
            return
        pending, self._pending = self._pending, []
        connection = self._connect()
        for statement, values in pending:
            result = connection.execute(statement, values)
            if statement in (_UPDATE_USER, _DELETE_USER) and result.rowcount != 1:
                raise StaleDataError(
                    f"user {values['b_id']} was saved by another transaction since it was read"
                )

    def get(self, user_id: str) -> User | None:
        if user_id in self._rows:
            return self._user(self._rows[user_id])
        return self._one("id", user_id)

    def get_by_email(self, email: EmailAddress) -> User | None:
        return self._one("email", email.value)

    def get_by_customer_id(self, customer_id: str) -> User | None:
        return self._one("customer_id", customer_id)

    def get_by_subscription_id(self, subscription_id: str) -> User | None:
        return self._one("subscription_id", subscription_id)

    def list_billed(self) -> Sequence[User]:
        query = (
            select(UserRow)
            .where(UserRow.customer_id.is_not(None) | UserRow.subscriptions.any())
            .order_by(UserRow.created_at, UserRow.id)
        )
        return [self._user(row) for row in self._session.scalars(query)]

    def _one(self, by: str, value: str) -> User | None:
        """The user whose `by` is `value`, with their subscriptions, in one statement (a
        join); a writer on PostgreSQL may need a second one.

        A writer's read locks the user's row there (FOR UPDATE OF users), and a statement
        that waited for that lock sees the user's row as committed meanwhile but its
        joined rows as they were when it started. The same statement also reads the
        user's version as it was when it started (`seen_version`, an unlocked alias): a
        transaction that changes a user's subscriptions always writes the user's version
        too (`save`), so when the two versions agree, nobody changed the subscriptions
        between the statement's start and the lock, and the joined rows are the current
        ones. When they differ (it waited for a writer of that user), the subscriptions
        are read again, after the lock. SQLite's writer holds the database from its start.
        """
        # Only a writer asks its connection which database it is (a reader's connection is
        # made when first needed, and a page's read runs on the driver's instead).
        sqlite = self._lock and self._connect().dialect.name == "sqlite"
        if self._wrote:
            self.flush()
            query = _user_query(by, self._lock, joined=not self._lock or sqlite)
            row = self._session.scalars(query, {"value": value}).unique().first()
            if row is None:
                return None
            if row.id in self._read and row.id not in self._rows:
                return self._read[row.id].domain()  # as read and saved here
            return self._user(row)
        seen = self._lock and not sqlite
        statement = _user_statement(by, self._lock, seen=seen)
        engine = self._reader_engine
        rows: Sequence[Mapping[Any, Any]]
        if engine is not None and not driver_reads.listened(engine):
            rows = driver_reads.rows_of(engine, statement, {"value": value})
        else:
            result = self._connect().execute(statement, {"value": value})
            rows = [row._mapping for row in result]
        if not rows:
            return None
        user_id = rows[0]["id"]
        if user_id in self._rows:  # loaded by the ORM before (list_billed, or an add)
            return self._user(self._rows[user_id])
        read = self._read.get(user_id)
        if read is None:
            found: Sequence[Mapping[Any, Any]]
            if seen and rows[0]["seen_version"] != rows[0]["version"]:
                subscriptions = self._connect().execute(_SUBSCRIPTIONS_OF, {"user_id": user_id})
                found = [row._mapping for row in subscriptions]
            else:
                found = [row for row in rows if row["s_id"] is not None]
            read = _UserRead(
                user=_user_values(rows[0]),
                subscriptions=[_subscription_values(row) for row in found],
            )
            self._read[user_id] = read
        return read.domain()

    def _user(self, row: UserRow) -> User:
        self._rows[row.id] = row
        return _user(row)


@cache
def _user_query(by: str, lock: bool, joined: bool) -> Select[UserRow]:
    """Built once per kind, not per request (building one costs more than running it)."""
    if by == "subscription_id":
        owner = select(SubscriptionRow.user_id).where(SubscriptionRow.id == bindparam("value"))
        query = select(UserRow).where(UserRow.id == owner.scalar_subquery())
    else:
        query = select(UserRow).where(getattr(UserRow, by) == bindparam("value"))
    if lock:
        query = query.with_for_update(of=UserRow)
    if joined:
        query = query.options(joinedload(UserRow.subscriptions))
    return query


_USERS = cast(Table, UserRow.__table__)
_SUBSCRIPTIONS = cast(Table, SubscriptionRow.__table__)
_USER_KEYS = tuple(column.key for column in _USERS.columns)
_SUBSCRIPTION_KEYS = tuple(column.key for column in _SUBSCRIPTIONS.columns)
_SUBSCRIPTION_COLUMNS = tuple(column.label(f"s_{column.key}") for column in _SUBSCRIPTIONS.columns)
_SUBSCRIPTIONS_OF = select(*_SUBSCRIPTION_COLUMNS).where(
    _SUBSCRIPTIONS.c.user_id == bindparam("user_id")
)


_UPDATE_USER = (
    update(_USERS)
    .where(_USERS.c.id == bindparam("b_id"), _USERS.c.version == bindparam("b_version"))
    .values(
        {
            **{column: bindparam(f"v_{column}") for column in CHANGEABLE},
            "version": bindparam("v_version"),
        }
    )
)
_UPDATE_SUBSCRIPTION = (
    update(_SUBSCRIPTIONS)
    .where(_SUBSCRIPTIONS.c.id == bindparam("b_id"))
    .values({key: bindparam(f"v_{key}") for key in _SUBSCRIPTION_KEYS if key != "id"})
)
_INSERT_SUBSCRIPTION = insert(_SUBSCRIPTIONS)
_DELETE_USER = delete(_USERS).where(
    _USERS.c.id == bindparam("b_id"), _USERS.c.version == bindparam("b_version")
)
_DELETE_SUBSCRIPTIONS = delete(_SUBSCRIPTIONS).where(
    _SUBSCRIPTIONS.c.user_id == bindparam("b_user_id")
)
_TOMBSTONES = cast(Table, DeletedAccountRow.__table__)
_INSERT_TOMBSTONE = insert(_TOMBSTONES)
_TOMBSTONE_OF = select(_TOMBSTONES.c.deleted_at).where(
    _TOMBSTONES.c.user_id == bindparam("user_id")
)


def _subscription_columns(subscription: Subscription, user_id: str) -> dict[str, Any]:
    """A subscription as its row's values (the keys of `_subscription_values`)."""
    values = {name: getattr(subscription, name) for name in SUBSCRIPTION_FIELDS}
    values["status"] = subscription.status.value
    values["user_id"] = user_id
    return {key: values[key] for key in _SUBSCRIPTION_KEYS}


@dataclass(frozen=True)
class _UserRead:
    """A user's row and subscription rows as a Core statement read them (column: value)."""

    user: dict[str, Any]
    subscriptions: list[dict[str, Any]]

    def domain(self) -> User:
        return user_of(self.user, {s["id"]: _subscription_of(s) for s in self.subscriptions})


def _user_values(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {key: row[key] for key in _USER_KEYS}


def _subscription_values(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {key: row[f"s_{key}"] for key in _SUBSCRIPTION_KEYS}


def _subscription_of(values: dict[str, Any]) -> Subscription:
    fields_ = {name: values[name] for name in SUBSCRIPTION_FIELDS}
    return Subscription(**{**fields_, "status": SubscriptionStatus(values["status"])})


@cache
def _user_statement(by: str, lock: bool, *, seen: bool = False) -> Select[Any]:
    """The Core twin of `_user_query`: the user's columns and each of their
    subscriptions' (one row per subscription, or one with empty s_ columns); with `seen`,
    also the user's version as the statement's snapshot has it (`seen_version`, from an
    alias of users that FOR UPDATE OF users does not lock, nor refresh)."""
    if by == "subscription_id":
        owner = select(_SUBSCRIPTIONS.c.user_id).where(_SUBSCRIPTIONS.c.id == bindparam("value"))
        condition = _USERS.c.id == owner.scalar_subquery()
    else:
        condition = _USERS.c[by] == bindparam("value")
    joined = _USERS.outerjoin(_SUBSCRIPTIONS, _SUBSCRIPTIONS.c.user_id == _USERS.c.id)
    columns: list[Any] = [_USERS, *_SUBSCRIPTION_COLUMNS]
    if seen:
        as_seen = _USERS.alias("seen")
        joined = joined.join(as_seen, as_seen.c.id == _USERS.c.id)
        columns.append(as_seen.c.version.label("seen_version"))
    query = select(*columns).select_from(joined).where(condition)
    if lock:
        query = query.with_for_update(of=_USERS)
    return query


class SqlAlchemyEventInbox(EventInbox):
    def __init__(
        self, session: Session, *, read_only: bool = False, connection: Connection | None = None
    ) -> None:
        self._session = session
        # Where `claim` runs: the unit of work's own connection, or the session's (looked
        # up when used: a reader's session is made only when something uses it).
        self._connect: Callable[[], Connection] = (
            (lambda: session.connection()) if connection is None else lambda: connection
        )
        self._read_only = read_only
        self._rows: dict[str, EventRow] = {}  # rows this transaction loaded or wrote
        self._absent: set[str] = set()  # ids `get` found missing in this transaction

    def get(self, event_id: str) -> InboxRecord | None:
        row = self._find(event_id)
        if row is None:
            self._absent.add(event_id)
        return _record(row) if row else None

    def record(self, record: InboxRecord) -> None:
        row = self._rows.get(record.event_id)
        if row is None and record.event_id not in self._absent:
            row = self._find(record.event_id)
        if row is None:
            # Insert, even if another transaction has committed the id since we found it
            # missing: the primary key then fails our commit (EventAlreadyRecorded) instead
            # of our record silently overwriting theirs.
            row = EventRow(event_id=record.event_id)
            self._session.add(row)
            self._rows[record.event_id] = row
        row.provider_type = record.provider_type
        row.status = record.status.value
        row.received_at = record.received_at
        row.payload = record.payload
        row.error = record.error
        row.note = record.note

    def claim(self, record: InboxRecord) -> InboxRecord | None:
        if self._read_only:
            raise RuntimeError("claim() in a reader's transaction (opened with reading())")
        values = {
            "event_id": record.event_id,
            "provider_type": record.provider_type,
            "status": record.status.value,
            "received_at": record.received_at,
            "payload": record.payload,
            "error": record.error,
            "note": record.note,
        }
        # No autoflush (Core, on the session's connection): the users saved earlier in this
        # transaction are written at commit, where their conflicts are told apart.
        connection = self._connect()
        inserted = connection.execute(_claim_statement(connection.dialect.name), values).first()
        if inserted is not None:
            return None
        row = self._find(record.event_id)
        assert row is not None, "a conflicting id that is not there"
        return _record(row)

    def _find(self, event_id: str) -> EventRow | None:
        if event_id in self._rows:
            return self._rows[event_id]
        # No autoflush: looking up an event must not flush the users saved earlier in
        # this transaction (their conflicts belong to `commit`, as ConcurrentUpdate).
        with self._session.no_autoflush:
            row = self._session.get(EventRow, event_id)
        if row is not None:
            self._rows[event_id] = row
        return row

    def list(self, status: EventStatus | None = None) -> Sequence[InboxRecord]:
        query = select(EventRow).order_by(EventRow.received_at, EventRow.event_id)
        if status is not None:
            query = query.where(EventRow.status == status.value)
        return [_record(row) for row in self._session.scalars(query)]


@cache
def _claim_statement(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the id: built once per dialect."""
    table = cast(Table, EventRow.__table__)
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return insert.on_conflict_do_nothing().returning(table.c.event_id)


def _user(row: UserRow) -> User:
    values = {key: getattr(row, key) for key in _USER_KEYS}
    return user_of(values, {s.id: _subscription(s) for s in row.subscriptions})


# The subscriptions table has a column for each field of `Subscription`, of one name.
SUBSCRIPTION_FIELDS = tuple(field.name for field in fields(Subscription))


def _subscription(row: SubscriptionRow) -> Subscription:
    values = {name: getattr(row, name) for name in SUBSCRIPTION_FIELDS}
    return Subscription(**{**values, "status": SubscriptionStatus(row.status)})


def _subscription_row(subscription: Subscription) -> SubscriptionRow:
    row = SubscriptionRow(id=subscription.id)
    _copy_into(row, subscription)
    return row


def _copy_into(row: SubscriptionRow, subscription: Subscription) -> None:
    for name in SUBSCRIPTION_FIELDS:
        if name != "id":
            setattr(row, name, getattr(subscription, name))
    row.status = subscription.status.value


def _record(row: EventRow) -> InboxRecord:
    return InboxRecord(
        event_id=row.event_id,
        provider_type=row.provider_type,
        status=EventStatus(row.status),
        received_at=row.received_at,
        payload=row.payload,
        error=row.error,
        note=row.note,
    )
