"""The Alembic migrations: idempotent, complete, reversible, and equal to the models."""

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from adapters.sqlalchemy.database import MIGRATIONS, create_database_engine, migrate
from adapters.sqlalchemy.tables import Base

TABLES = {"users", "subscriptions", "billing_events"}


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
