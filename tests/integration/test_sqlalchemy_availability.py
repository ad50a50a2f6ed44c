"""Which database errors mean "unavailable, retry later" (a 503), and which are bugs."""

from pathlib import Path

import pytest
from sqlalchemy import create_engine, exc, text

from adapters.sqlalchemy.availability import is_database_unavailable


def test_a_database_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}")  # a folder: SQLite cannot open it
    with pytest.raises(exc.OperationalError) as raised, engine.connect():
        pass
    assert is_database_unavailable(raised.value)


def test_a_broken_constraint_is_not_unavailability(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(exc.IntegrityError) as raised, engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
    assert not is_database_unavailable(raised.value)


def test_pool_timeouts_invalidated_connections_and_their_wrappers_are_unavailability() -> None:
    pool_timeout = exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached")
    invalidated = exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    interface = exc.InterfaceError("SELECT 1", {}, Exception("connection already closed"))
    wrapped = RuntimeError("while reading the user")
    wrapped.__cause__ = pool_timeout

    for error in (pool_timeout, invalidated, interface, wrapped):
        assert is_database_unavailable(error), error
    assert not is_database_unavailable(exc.DBAPIError("SELECT 1", {}, Exception("syntax")))
    assert not is_database_unavailable(ValueError("not a database error"))
