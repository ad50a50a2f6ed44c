from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.sqlalchemy.database import create_database_engine, migrate
from entrypoints.flask_app import create_app
from entrypoints.settings import Settings
from tests.e2e.support import Browser, LiveServer, serve

TEST_SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnop"


def sqlite_settings(tmp_path: Path, **overrides: object) -> Settings:
    database_url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(create_database_engine(database_url))
    return Settings(secret_key=TEST_SECRET_KEY, database_url=database_url, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app with its real adapters (SQLite file, argon2id) served over HTTP."""
    with serve(create_app(sqlite_settings(tmp_path))) as live:
        yield live


@pytest.fixture
def browser(server: LiveServer) -> Browser:
    return Browser(server.url)
