from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from adapters.memory import FakePasswordHasher
from adapters.sqlalchemy.database import create_database_engine, migrate
from entrypoints.flask_app import create_app
from entrypoints.settings import Settings
from tests.e2e.support import Browser, LiveServer, serve

TEST_SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnop"


def sqlite_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Test settings on a migrated SQLite file, or on the `database_url` given."""
    database_url = str(overrides.pop("database_url", f"sqlite:///{tmp_path / 'app.db'}"))
    engine = create_database_engine(database_url)
    migrate(engine)
    engine.dispose()
    return Settings(secret_key=TEST_SECRET_KEY, database_url=database_url, **overrides)  # type: ignore[arg-type]


def offline_stripe_app(
    tmp_path: Path, webhook_secrets: tuple[str, ...], **overrides: object
) -> Flask:
    """The app with Stripe configured but unreachable (a closed port: any API call fails
    fast) and the fake hasher: for tests of what needs no Stripe API call."""
    stripe: dict[str, object] = {
        "stripe_secret_key": "sk_test_offline",
        "stripe_price_id": "price_test_1",
        "stripe_webhook_secrets": webhook_secrets,
        "stripe_api_base": "http://127.0.0.1:9",
    }
    settings = sqlite_settings(tmp_path, **{**stripe, **overrides})
    app = create_app(settings)
    app.extensions["container"].hasher.override(FakePasswordHasher())
    return app


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app with its real adapters (SQLite file, argon2id) served over HTTP."""
    with serve(create_app(sqlite_settings(tmp_path))) as live:
        yield live


@pytest.fixture
def browser(server: LiveServer) -> Browser:
    return server.browser()
