"""Only a duplicate email is reported as EmailAlreadyRegistered; other broken constraints
stay errors (a bug to see, not a message to show)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from domain.email import EmailAddress
from domain.errors import EmailAlreadyRegistered
from domain.user import User

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def session_factory(request: pytest.FixtureRequest) -> sessionmaker[Session]:
    return request.getfixturevalue(f"{request.param}_session_factory")  # type: ignore[no-any-return]


def user(email: str, customer_id: str | None = None) -> User:
    registered = User.register(EmailAddress(email), "hash", NOW)
    registered.customer_id = customer_id
    return registered


def test_a_duplicate_email_is_email_already_registered(
    session_factory: sessionmaker[Session],
) -> None:
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        uow.users.add(user("dup@example.com"))
        uow.commit()
    with SqlAlchemyUnitOfWork(session_factory) as uow, pytest.raises(EmailAlreadyRegistered):
        uow.users.add(user("DUP@example.com"))


def test_a_duplicate_customer_id_is_not_mistaken_for_a_duplicate_email(
    session_factory: sessionmaker[Session],
) -> None:
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        uow.users.add(user("one@example.com", customer_id="cus_same"))
        uow.commit()
    with SqlAlchemyUnitOfWork(session_factory) as uow, pytest.raises(IntegrityError):
        uow.users.add(user("two@example.com", customer_id="cus_same"))
