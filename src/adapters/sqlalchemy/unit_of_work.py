from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError
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
from application.ports import ConcurrentUpdate, DataConflict, EventAlreadyRecorded, UnitOfWork
from application.ports.storage import notify_outbox_written
from domain.errors import EmailAlreadyRegistered


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

    def __enter__(self) -> "SqlAlchemyUnitOfWork":
        writing = self._take_writing()
        self._read_only = self._take_reading()
        self._session = self._session_factory()
        if self._read_only and self._session.get_bind().dialect.name == "postgresql":
            # Each read on its own: no BEGIN before it, no ROLLBACK after (two round trips
            # of three). SQLite's driver begins only before a write already.
            self._session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        if self._read_only:
            self._session.autoflush = False  # nothing it changes reaches the database
        if writing and self._session.get_bind().dialect.name == "sqlite":
            # SQLite locks the whole database: take the write lock now (waiting for it up
            # to the busy timeout) rather than fail to upgrade a read lock at commit.
            try:
                self._session.execute(text("BEGIN IMMEDIATE"))
            except BaseException:
                self._session.close()
                self._session = None
                raise
        self.users = self._users = SqlAlchemyUserRepository(
            self._session, lock=writing, read_only=self._read_only
        )
        self.events = SqlAlchemyEventInbox(self._session, read_only=self._read_only)
        self.outbox = self._outbox = SqlAlchemyOutbox(self._session, read_only=self._read_only)
        return self

    def __exit__(self, *args: object) -> None:
        assert self._session is not None
        try:
            self._session.close()  # rolls back what was not committed
        finally:
            self._session = None

    def commit(self) -> None:
        assert self._session is not None, "commit() outside a with-block"
        if self._read_only:
            self._session.rollback()
            raise RuntimeError("commit() in a reader's transaction (opened with reading())")
        try:
            self._users.flush()
            self._session.commit()
        except IntegrityError as error:
            self._session.rollback()
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
            self._session.rollback()
            raise DataConflict("a value does not fit the store (too long, or not text)") from error
        except StaleDataError as error:
            self._session.rollback()
            raise ConcurrentUpdate(str(error)) from error
        if self._outbox.added:
            self._outbox.added = False
            notify_outbox_written(self._after_outbox_commit)

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
            self._outbox.added = False
