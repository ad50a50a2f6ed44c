"""The background processes (issue 13): `make beat` sends reconcile on its schedule and
`make worker` runs it, through Redis; `/readyz` asks the broker when one is set.

The worker and beat are the Makefile's own commands, run in subprocesses against a
Redis of the test's own, the app and the Stripe emulator of `stripe_stack`, and one
SQLite file; RECONCILE_INTERVAL_MINUTES=0.05 (3 s) stands for the hour.
"""

import json
import subprocess
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pytest

from entrypoints.flask_app import create_app
from entrypoints.settings import Settings
from tests.e2e.conftest import TEST_SECRET_KEY, sqlite_settings
from tests.e2e.stripe_stack import (
    STRIPE_KEY,
    StripeStack,
    open_portal,
    portal_action,
    stripe_stack,
    subscribe,
)
from tests.e2e.support import Browser
from tests.support.local_run import wait_until
from tests.support.processes import environment, make_command, process
from tests.support.redis_server import redis_server

EMAIL = "scheduled@example.com"
PASSWORD = "a fine passphrase"


def premium(browser: Browser) -> int:
    return browser.get("/premium").status_code


def test_beat_runs_reconcile_on_its_schedule_and_corrects_dropped_webhooks(
    tmp_path: Path,
) -> None:
    with ExitStack() as stack_of:
        broker = stack_of.enter_context(redis_server(tmp_path / "redis"))
        stack: StripeStack = stack_of.enter_context(stripe_stack(tmp_path))
        stack.emulator.delivery.set_mode("drop")
        browser = stack.server.browser().sign_up(EMAIL, PASSWORD)
        subscribe(browser)  # paid, but no webhook arrives and the user never returns
        assert premium(browser) == 403

        settings = stack.server.container.settings()
        folder = tmp_path / "processes"
        folder.mkdir()
        env = environment(
            tmp_path,
            SECRET_KEY=TEST_SECRET_KEY,
            DATABASE_URL=settings.database_url,
            STRIPE_SECRET_KEY=STRIPE_KEY,
            STRIPE_API_BASE=stack.emulator.url,
            STRIPE_PRICE_ID=settings.stripe_price_id,
            STRIPE_WEBHOOK_SECRET=settings.stripe_webhook_secrets[0],
            BROKER_URL=broker,
            RECONCILE_INTERVAL_MINUTES="0.05",
        )
        _, worker_log = stack_of.enter_context(
            process(make_command("worker"), folder, env, "worker")
        )
        stack_of.enter_context(process(make_command("beat"), folder, env, "beat"))

        # Nobody runs a command: beat sends reconcile, the worker applies Stripe's truth.
        assert wait_until(lambda: premium(browser) == 200, timeout=90), worker_log.read_text()
        portal_action(browser, open_portal(browser), "Cancel now")  # dropped too
        assert wait_until(lambda: premium(browser) == 403, timeout=90), worker_log.read_text()

    assert stack.emulator.delivery.dropped  # the emulator really dropped the webhooks
    lines = [json.loads(line) for line in worker_log.read_text().splitlines() if '"task"' in line]
    runs = [line for line in lines if line.get("task") == "premium_notes.reconcile"]
    assert len(runs) >= 2
    assert all(run["state"] == "SUCCESS" for run in runs)
    assert EMAIL not in worker_log.read_text()


def test_the_worker_refuses_to_start_without_a_broker(tmp_path: Path) -> None:
    env = environment(tmp_path, SECRET_KEY=TEST_SECRET_KEY)
    result = subprocess.run(
        make_command("worker"), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Configuration error: BROKER_URL is not set")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return sqlite_settings(tmp_path)


def test_readyz_asks_the_broker_when_one_is_set(tmp_path: Path, settings: Settings) -> None:
    with redis_server(tmp_path / "redis") as broker:
        up = create_app(replace(settings, broker_url=broker)).test_client().get("/readyz")
    down = create_app(replace(settings, broker_url=broker)).test_client().get("/readyz")

    assert (up.status_code, up.text) == (200, "ready\n")
    assert (down.status_code, down.text) == (503, "not ready: broker unreachable\n")
    assert "127.0.0.1" not in down.text


def test_readyz_asks_no_broker_when_none_is_set(settings: Settings) -> None:
    assert create_app(settings).test_client().get("/readyz").status_code == 200
