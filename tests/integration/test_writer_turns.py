"""SQLite writers queue on a file lock before they begin (issue 10, third round): a
writer that finds another at work waits for the kernel to hand it the turn, instead of
polling SQLite's lock with sleeps of 1, 2, 5 ... ms."""

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from adapters.sqlalchemy.database import create_session_factory
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from adapters.sqlalchemy.writer_turns import turns_for


def begins(engine: Engine) -> list[str]:
    """The statements SQLite runs on the engine's connections, as the library sees them
    (its trace callback): a writer's BEGIN IMMEDIATE goes to the driver directly."""
    sent: list[str] = []
    event.listen(
        engine,
        "checkout",
        lambda dbapi_connection, *_: dbapi_connection.set_trace_callback(sent.append),
    )
    return sent


def test_a_writer_begins_only_once_the_writer_before_it_is_done(
    sqlite_engine: Engine, sqlite_session_factory: sessionmaker[Session]
) -> None:
    sent = begins(sqlite_engine)
    first = SqlAlchemyUnitOfWork(sqlite_session_factory).writing()
    second_done = threading.Event()

    def second_writer() -> None:
        with SqlAlchemyUnitOfWork(sqlite_session_factory).writing():
            second_done.set()

    with first:
        assert sent.count("BEGIN IMMEDIATE") == 1
        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(0.3)
        assert sent.count("BEGIN IMMEDIATE") == 1  # queued, not polling SQLite's lock
        assert not second_done.is_set()
    thread.join(timeout=10)

    assert second_done.is_set()
    assert sent.count("BEGIN IMMEDIATE") == 2


def test_readers_do_not_queue(
    sqlite_engine: Engine, sqlite_session_factory: sessionmaker[Session]
) -> None:
    writer = SqlAlchemyUnitOfWork(sqlite_session_factory).writing()
    with writer, SqlAlchemyUnitOfWork(sqlite_session_factory).reading() as reader:
        assert reader.users.get("nobody") is None


HOLDER = """
import sys, time
from adapters.sqlalchemy.writer_turns import turns_for
turns_for(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_a_writer_killed_with_its_turn_gives_it_back(tmp_path: Path) -> None:
    database = str(tmp_path / "app.db")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        turns = turns_for(database)
        assert turns is not None
        got = threading.Event()

        def take() -> None:
            turns.acquire()
            got.set()
            turns.release()

        waiter = threading.Thread(target=take, daemon=True)
        waiter.start()
        assert not got.wait(0.3)  # the other process has it
        holder.kill()  # SIGKILL: no clean-up of its own
        assert got.wait(10)
    finally:
        holder.kill()
        holder.wait()


def test_a_writer_that_cannot_take_sqlites_lock_in_time_gets_sqlalchemys_operational_error(
    sqlite_engine: Engine,
) -> None:
    """The app answers SQLAlchemy's OperationalError with 503 (adapters/sqlalchemy/
    availability.py): a writer's BEGIN IMMEDIATE, sent on the driver's connection, must
    fail with it too, not with the driver's own error."""
    path = sqlite_engine.url.database
    assert path is not None
    impatient = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # SQLite's own lock, not the writers' turns
    try:
        with (
            pytest.raises(OperationalError, match="locked"),
            SqlAlchemyUnitOfWork(create_session_factory(impatient)).writing(),
        ):
            pass
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        impatient.dispose()
