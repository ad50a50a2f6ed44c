"""Fixtures shared by every test folder: databases for the adapter tests, and the local
mail server.

PostgreSQL: `TEST_POSTGRES_URL` (default postgresql://postgres@127.0.0.1:5432/test).
When the server cannot be reached the tests that need it are skipped, unless
`REQUIRE_POSTGRES=1`, which turns the skip into a failure (for CI, where a skipped
database test would hide a broken adapter).
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from adapters.sqlalchemy.database import (
    create_database_engine,
    create_session_factory,
    migrate,
)
from local_mail import MailServer
from tests.support.local_inbox import LocalInbox

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
CONNECT_TIMEOUT_SECONDS = 3
# Child tables first, so that TRUNCATE works without relying on CASCADE.
TABLES = ("subscriptions", "billing_events", "users", "outbox")


def postgres_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def _libpq_url(url: str) -> str:
    """The URL as psycopg wants it (SQLAlchemy's `+psycopg` driver suffix removed)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL URL, after checking once that the server answers."""
    url = postgres_url()
    try:
        with psycopg.connect(_libpq_url(url), connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        shown = make_url(url).render_as_string(hide_password=True)
        reason = f"({type(error).__name__}: {str(error).strip()})"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(
                f"PostgreSQL not reachable at {shown}, and REQUIRE_POSTGRES=1 {reason}",
                pytrace=False,
            )
        pytest.skip(
            f"PostgreSQL not reachable at {shown}; set REQUIRE_POSTGRES=1 to make this a"
            f" failure {reason}"
        )
    return url


@contextmanager
def postgres_schema(server_url: str) -> Iterator[str]:
    """A URL whose connections work in a new, empty schema of their own, dropped when
    the block ends."""
    schema = f"test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    libpq = _libpq_url(server_url)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(scope="session")
def postgres_schema_url(postgres_server: str) -> Iterator[str]:
    """A URL whose connections work in a schema of their own, dropped at the end.

    Each test run gets a fresh schema, so runs are isolated from each other (and from
    anything else in the database) and can be repeated.
    """
    with postgres_schema(postgres_server) as url:
        yield url


@pytest.fixture
def unmigrated_postgres_url(postgres_server: str) -> Iterator[str]:
    """A schema of the test's own with no table yet: for a test that migrates it as an
    operator does (`make migrate`)."""
    with postgres_schema(postgres_server) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_engine(postgres_schema_url: str) -> Iterator[Engine]:
    """An engine on the run's schema, migrated to head once."""
    engine = create_database_engine(postgres_schema_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_session_factory(postgres_engine: Engine) -> sessionmaker[Session]:
    """Sessions on empty tables: every test starts from nothing."""
    with postgres_engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES)}"))
    return create_session_factory(postgres_engine)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database in a file of its own (a file, not :memory:, so that
    several connections see one database, as in production)."""
    engine = create_database_engine(f"sqlite:///{tmp_path / 'test.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_session_factory(sqlite_engine: Engine) -> sessionmaker[Session]:
    return create_session_factory(sqlite_engine)


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    """The local mail server (`make run`'s), on free ports, for the whole run."""
    with MailServer(smtp_port=0, web_port=0) as server:
        yield server


@pytest.fixture
def local_inbox(mail_server: MailServer) -> LocalInbox:
    """The mail server's inbox, emptied for the test."""
    inbox = LocalInbox(mail_server.web_url)
    inbox.clear()
    return inbox
