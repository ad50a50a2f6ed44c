"""The engines' settings that trade durability or resilience for speed (README, issue 10)."""

from pathlib import Path

from adapters.sqlalchemy.database import create_database_engine


def test_sqlite_runs_in_wal_and_syncs_at_checkpoints_only(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'app.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()


def test_postgresql_connections_are_not_pinged_before_each_use() -> None:
    engine = create_database_engine("postgresql://nobody@127.0.0.1:9/none")
    assert engine.pool._pre_ping is False  # a round trip on every request otherwise
