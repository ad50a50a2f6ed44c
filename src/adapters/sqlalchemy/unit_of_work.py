import sqlite3
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from adapters.sqlalchemy.outbox import SqlAlchemyOutbox
from adapters.sqlalchemy.repository import (
    SqlAlchemyEventInbox,
    SqlAlchemyUserRepository,
    violated_rule,
    violates_unique_email,
    violates_unique_event,
    violates_unique_subscription,
)
from adapters.sqlalchemy.writer_turns import WriterTurns, turns_for
from application.ports import ConcurrentUpdate, DataConflict, EventAlreadyRecorded, UnitOfWork
from application.ports.storage import notify_outbox_written
from domain.errors import EmailAlreadyRegistered


class _SessionOnFirstUse:
    """A reader's ORM session, made when something first uses it: a page's reader runs
    only Core statements on its own connection, and making a session (and closing it)
    cost it more than half as much as that connection."""

    __slots__ = ("_make", "made")

    def __init__(self, make: Callable[[], Session]) -> None:
        self._make = make
        self.made: Session | None = None

    def __getattr__(self, name: str) -> Any:
        session = self.made
        if session is None:
            session = self.made = self._make()
        return getattr(session, name)


class SqlAlchemyUnitOfWork(UnitOfWork):
    """One database transaction per `with` block.

    `after_outbox_commit`, when given, is called after each commit that wrote to the
    outbox (a sender waiting for work: see `UnitOfWork`); an exception it raises is
    logged, never raised to the committer, whose transaction is done.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        after_outbox_commit: Callable[[], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._after_outbox_commit = after_outbox_commit
        self._session: Session | None = None
        self._read_only = False
        self._turns: WriterTurns | None = None
        self._connection: Connection | None = None  # the unit's own (a reader's: lazily)
        self._lazy: _SessionOnFirstUse | None = None  # a reader's session, made on first use
        self._reader_engine: Engine | None = None  # a reader's

    def __enter__(self) -> "SqlAlchemyUnitOfWork":
        writing = self._take_writing()
        self._read_only = self._take_reading()
        if self._read_only:
            # A reader's Core reads run on a connection of its own, outside the ORM
            # session's transaction bookkeeping (a page's one read of its user paid more
            # for that than for the statement), made when first needed: its look-ups of
            # a user run on the driver's connection instead (driver_reads). The session,
            # for what reads through the ORM, is bound to that connection.
            self._reader_engine = self._engine()
            self._lazy = _SessionOnFirstUse(self._reader_session)
            self._session = cast(Session, self._lazy)
        elif writing:
            # A writer runs on a connection of its own too (a webhook's few Core
            # statements paid more for the session's bookkeeping than for themselves);
            # the session, for what goes through the ORM, is bound to the same connection
            # and joins its transaction (its commit is the connection's, in `commit`).
            self._connection = self._engine().connect()
            self._session = self._session_factory(bind=self._connection)
        else:
            self._session = self._session_factory()
        if writing and self._connection is not None and self._connection.dialect.name == "sqlite":
            # SQLite locks the whole database: take the write lock now (waiting for it up
            # to the busy timeout) rather than fail to upgrade a read lock at commit; queue
            # for it first (writer_turns), instead of polling it.
            turns = turns_for(self._connection.engine.url.database)
            try:
                if turns is not None:
                    turns.acquire()
                    self._turns = turns
                _begin_immediate(self._connection)
            except BaseException:
                self._end()
                raise
        own = self._connection
        connection: Callable[[], Connection] | None = None
        if self._read_only:
            connection = self._reader_connection
        elif own is not None:
            connection = lambda: own  # noqa: E731
        self.users = self._users = SqlAlchemyUserRepository(
            self._session,
            lock=writing,
            read_only=self._read_only,
            connection=connection,
            reader_engine=self._reader_engine,
        )
        self.events = SqlAlchemyEventInbox(self._session, read_only=self._read_only, connection=own)
        self.outbox = self._outbox = SqlAlchemyOutbox(self._session, read_only=self._read_only)
        return self

    def _engine(self) -> Engine:
        bind = self._session_factory.kw.get("bind")
        if isinstance(bind, Engine):
            return bind
        return self._session_factory().get_bind().engine

    def _reader_connection(self) -> Connection:
        if self._connection is None:
            assert self._reader_engine is not None, "a reader's connection outside its block"
            connection = self._reader_engine.connect()
            if self._reader_engine.dialect.name == "postgresql":
                # Each read on its own: no BEGIN before it, no ROLLBACK after (two round
                # trips of three). SQLite's driver begins only before a write already.
                connection.execution_options(isolation_level="AUTOCOMMIT")
            self._connection = connection
        return self._connection

    def _reader_session(self) -> Session:
        session = self._session_factory(bind=self._reader_connection())
        session.autoflush = False  # nothing it changes reaches the database
        return session

    def __exit__(self, *args: object) -> None:
        assert self._session is not None
        self._end()

    def _end(self) -> None:
        try:
            lazy, self._lazy = self._lazy, None
            # A reader's session that was never used was never made; a session on the
            # unit's own connection that never went through the ORM has nothing to close
            # (the connection is closed below, which rolls back what was not committed).
            session = lazy.made if lazy is not None else self._session
            if session is not None and (self._connection is None or self._session_used(session)):
                session.close()  # rolls back what was not committed
        finally:
            self._session = None
            self._reader_engine = None
            connection, self._connection = self._connection, None
            if connection is not None:
                connection.close()
            turns, self._turns = self._turns, None
            if turns is not None:
                turns.release()

    @staticmethod
    def _session_used(session: Session) -> bool:
        return bool(session.in_transaction() or session.identity_map or session.new)

    def commit(self) -> None:
        assert self._session is not None, "commit() outside a with-block"
        if self._read_only:
            self.rollback()
            raise RuntimeError("commit() in a reader's transaction (opened with reading())")
        try:
            self._users.flush()
            if self._connection is None:
                self._session.commit()
            else:
                if self._session_used(self._session):
                    self._session.commit()  # flushes; the transaction is the connection's
                self._connection.commit()
        except IntegrityError as error:
            self.rollback()
            if violates_unique_email(error):
                raise EmailAlreadyRegistered() from error
            if violates_unique_event(error):
                raise EventAlreadyRecorded() from error
            if violates_unique_subscription(error):
                raise ConcurrentUpdate("the subscription was stored meanwhile") from error
            raise DataConflict(
                f"the change breaks a rule of the store: {violated_rule(error)}"
            ) from error
        except DataError as error:
            self.rollback()
            raise DataConflict("a value does not fit the store (too long, or not text)") from error
        except StaleDataError as error:
            self.rollback()
            raise ConcurrentUpdate(str(error)) from error
        if self._outbox.added:
            self._outbox.added = False
            notify_outbox_written(self._after_outbox_commit)

    def rollback(self) -> None:
        if self._session is not None:
            lazy = self._lazy
            session = lazy.made if lazy is not None else self._session
            if session is not None and (self._connection is None or self._session_used(session)):
                session.rollback()
            if self._connection is not None:
                self._connection.rollback()
            self._outbox.added = False


def _begin_immediate(connection: Connection) -> None:
    """BEGIN IMMEDIATE, sent on the driver's connection: through SQLAlchemy's statement
    execution (events, cursor, result) it cost about a twentieth of a webhook (issue 10).
    A driver error is raised as SQLAlchemy would raise it (OperationalError: the database
    is locked past the busy timeout, or cannot be opened), which the app answers with 503.
    """
    connection.begin()  # SQLAlchemy's own transaction: pysqlite sends nothing for it
    try:
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
    except sqlite3.Error as error:
        raise DBAPIError.instance(
            "BEGIN IMMEDIATE", (), error, sqlite3.Error, dialect=connection.dialect
        ) from error
