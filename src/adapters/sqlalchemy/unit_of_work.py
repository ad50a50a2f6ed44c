from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from adapters.sqlalchemy.repository import (
    SqlAlchemyEventInbox,
    SqlAlchemyUserRepository,
    violates_unique_email,
    violates_unique_event,
)
from application.ports import ConcurrentUpdate, EventAlreadyRecorded, UnitOfWork
from domain.errors import EmailAlreadyRegistered


class SqlAlchemyUnitOfWork(UnitOfWork):
    """One database transaction per `with` block."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    def __enter__(self) -> "SqlAlchemyUnitOfWork":
        self._session = self._session_factory()
        self.users = SqlAlchemyUserRepository(self._session)
        self.events = SqlAlchemyEventInbox(self._session)
        return self

    def __exit__(self, *args: object) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
        finally:
            self._session.close()
            self._session = None

    def commit(self) -> None:
        assert self._session is not None, "commit() outside a with-block"
        try:
            self._session.commit()
        except IntegrityError as error:
            self._session.rollback()
            if violates_unique_email(error):
                raise EmailAlreadyRegistered() from error
            if violates_unique_event(error):
                raise EventAlreadyRecorded() from error
            raise
        except StaleDataError as error:
            self._session.rollback()
            raise ConcurrentUpdate(str(error)) from error

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
