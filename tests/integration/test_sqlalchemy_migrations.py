"""The Alembic migrations: idempotent, complete, reversible, and equal to the models."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from adapters.sqlalchemy.database import (
    MIGRATIONS,
    create_database_engine,
    create_session_factory,
    migrate,
)
from adapters.sqlalchemy.tables import Base
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork

TABLES = {"users", "subscriptions", "billing_events", "outbox", "deleted_accounts"}


def head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    revision = ScriptDirectory.from_config(config).get_current_head()
    assert revision is not None
    return revision


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def downgrade(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


@pytest.fixture
def fresh_sqlite(tmp_path: Path) -> Engine:
    return create_database_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'app.db'}")


def test_migrate_creates_every_table_and_stamps_the_head(fresh_sqlite: Engine) -> None:
    migrate(fresh_sqlite)
    assert set(inspect(fresh_sqlite).get_table_names()) >= TABLES
    assert current_revision(fresh_sqlite) == head()


def test_migrating_twice_changes_nothing(fresh_sqlite: Engine) -> None:
    migrate(fresh_sqlite)
    with fresh_sqlite.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO billing_events (event_id, provider_type, status, received_at,"
                " payload) VALUES ('evt_1', 'invoice.paid', 'processed',"
                " '2026-01-01 00:00:00.000000', '{}')"
            )
        )
    migrate(fresh_sqlite)
    assert current_revision(fresh_sqlite) == head()
    with fresh_sqlite.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM billing_events")).scalar() == 1


def test_the_sqlite_file_and_its_folder_are_created(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'app.db'}")
    migrate(engine)
    assert (tmp_path / "a" / "b" / "app.db").is_file()


def test_the_migrated_schema_matches_the_models_on_sqlite(fresh_sqlite: Engine) -> None:
    migrate(fresh_sqlite)
    assert schema_differences(fresh_sqlite) == []


def test_the_emails_and_customers_are_unique_in_the_schema(fresh_sqlite: Engine) -> None:
    migrate(fresh_sqlite)
    unique = {
        tuple(constraint["column_names"])
        for constraint in inspect(fresh_sqlite).get_unique_constraints("users")
    }
    assert {("email",), ("customer_id",)} <= unique
    assert inspect(fresh_sqlite).get_pk_constraint("billing_events")["constrained_columns"] == [
        "event_id"
    ]


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(
    fresh_sqlite: Engine,
) -> None:
    migrate(fresh_sqlite)
    downgrade(fresh_sqlite, "base")
    assert TABLES.isdisjoint(inspect(fresh_sqlite).get_table_names())
    assert current_revision(fresh_sqlite) is None
    migrate(fresh_sqlite)
    assert set(inspect(fresh_sqlite).get_table_names()) >= TABLES
    assert current_revision(fresh_sqlite) == head()


@pytest.mark.postgres
def test_the_migrated_schema_matches_the_models_on_postgresql(postgres_engine: Engine) -> None:
    assert current_revision(postgres_engine) == head()
    assert set(inspect(postgres_engine).get_table_names()) >= TABLES
    assert schema_differences(postgres_engine) == []


@pytest.mark.postgres
def test_migrating_postgresql_again_changes_nothing(postgres_engine: Engine) -> None:
    migrate(postgres_engine)
    assert current_revision(postgres_engine) == head()
    assert schema_differences(postgres_engine) == []


def test_postgresql_urls_use_psycopg_3() -> None:
    engine = create_database_engine("postgresql://user@localhost:1/db")
    assert engine.dialect.driver == "psycopg"
    engine = create_database_engine("postgres://user@localhost:1/db")
    assert engine.dialect.driver == "psycopg"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (for PostgreSQL: a schema dropped afterwards)."""
    if request.param == "sqlite":
        yield create_database_engine(f"sqlite:///{tmp_path / 'rows.db'}")
        return
    server: str = request.getfixturevalue("postgres_server")
    schema = f"migrations_{uuid.uuid4().hex[:12]}"
    admin = create_database_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = create_database_engine(url.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_every_migration_goes_down_and_up_again_over_rows(empty_engine: Engine) -> None:
    migrate(empty_engine, "0001")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, password_hash, created_at, customer_id, version)"
                " VALUES ('u1', 'a@example.com', 'h', '2026-01-01 00:00:00+00:00', 'cus_1', 1)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO subscriptions (id, user_id, status, as_of, cancel_at_period_end)"
                " VALUES ('sub_1', 'u1', 'active', '2026-01-01 00:00:00+00:00', false)"
            )
        )
    migrate(empty_engine)  # up to head, over the rows
    with empty_engine.connect() as connection:
        assert connection.scalar(text("SELECT session_generation FROM users")) == 0
    downgrade(empty_engine, "0001")
    migrate(empty_engine)
    with empty_engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM subscriptions")) == 1
        assert connection.scalar(text("SELECT email FROM users")) == "a@example.com"
    assert current_revision(empty_engine) == head()


def test_users_registered_before_addresses_were_checked_count_as_verified(
    empty_engine: Engine,
) -> None:
    """0005: an account made before verification existed is treated as verified (since
    its registration): nobody sent it a link, and it may be paying already."""
    migrate(empty_engine, "0004_outbox")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, password_hash, created_at, version)"
                " VALUES ('u1', 'a@example.com', 'h', '2026-01-01 00:00:00+00:00', 1)"
            )
        )
    migrate(empty_engine)
    with SqlAlchemyUnitOfWork(create_session_factory(empty_engine)) as uow:
        user = uow.users.get("u1")
    assert user is not None
    assert user.email_verified_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert user.tokens == {}


def test_the_outbox_entries_written_before_owners_get_their_users(empty_engine: Engine) -> None:
    """0006: an account's own email (keyed by its user id) is that user's, whatever its
    address; any other is the user with its address; mail to nobody we know is nobody's."""
    migrate(empty_engine, "0005_accounts")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, password_hash, created_at, version)"
                " VALUES ('u1', 'a@example.com', 'h', '2026-01-01 00:00:00+00:00', 1)"
            )
        )
        for entry_id, recipient in (
            ("email-change:u1:t1", "new@example.com"),
            ("payment-failed:in_1", "a@example.com"),
            ("test:1", "someone@example.com"),
        ):
            connection.execute(
                text(
                    "INSERT INTO outbox (id, created_at, recipient, subject, text_body,"
                    " headers, status, attempts) VALUES (:id, '2026-01-01 00:00:00+00:00',"
                    " :to, 's', 't', '[]', 'pending', 0)"
                ),
                {"id": entry_id, "to": recipient},
            )
    migrate(empty_engine)
    with empty_engine.connect() as connection:
        owners: dict[str, str | None] = dict(
            connection.execute(text("SELECT id, owner FROM outbox")).all()
        )
    assert owners == {
        "email-change:u1:t1": "u1",
        "payment-failed:in_1": "u1",
        "test:1": None,
    }


def test_the_tombstones_table_comes_empty_and_goes_with_its_downgrade(
    empty_engine: Engine,
) -> None:
    """0007: accounts deleted before it left no tombstone (their late events are ignored);
    a downgrade drops the table, the users stay."""
    migrate(empty_engine, "0006_outbox_owner")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, password_hash, created_at, version)"
                " VALUES ('u1', 'a@example.com', 'h', '2026-01-01 00:00:00+00:00', 1)"
            )
        )
    migrate(empty_engine)
    with SqlAlchemyUnitOfWork(create_session_factory(empty_engine)) as uow:
        assert uow.users.deleted_at("u1") is None
        uow.users.require("u1")
        uow.users.remove("u1", datetime(2026, 2, 1, tzinfo=UTC))
        uow.commit()
    with SqlAlchemyUnitOfWork(create_session_factory(empty_engine)) as uow:
        assert uow.users.deleted_at("u1") == datetime(2026, 2, 1, tzinfo=UTC)
    downgrade(empty_engine, "0006_outbox_owner")
    assert "deleted_accounts" not in inspect(empty_engine).get_table_names()
    assert current_revision(empty_engine) == "0006_outbox_owner"
