"""The queue mode end to end (issue 13): PostgreSQL, a real Celery worker and beat (the
sweeper) on a Redis of the test's own, as an operator runs them.

- `make migrate`, then `make serve` (gunicorn, 2 workers), `make worker`: 500 distinct
  signed events and 20 duplicates of one are posted; the worker is SIGKILLed half-way
  and the broker's queue flushed (messages lost); another worker and beat start: every
  event is applied exactly once (the inbox, and one non-duplicate "applied" log line
  per event across both workers), every post answered 2xx by both gunicorn workers,
  nothing left `received` once the sweeper has run.
- Redis stopped: /webhook still answers 2xx (the inbox holds the events), /readyz says
  503; Redis back on its port: the sweeper sends them and they are applied. (The app is
  served in-process here: what is under test is the broker going away, not gunicorn.)
"""

import json
import random
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from adapters.sqlalchemy.tables import EventRow
from application.use_cases.register_user import RegisterUserCommand
from domain.email import EmailAddress
from domain.subscription import SubscriptionStatus
from entrypoints.container import Container
from tests.e2e.conftest import TEST_SECRET_KEY, offline_stripe_app
from tests.e2e.support import LiveServer, serve
from tests.e2e.test_operations import parse, value
from tests.support import stripe_events as se
from tests.support.local_run import wait_until
from tests.support.processes import (
    environment,
    make_command,
    make_serve,
    migrate,
    process,
    requests_by_pid,
)
from tests.support.redis_server import redis_server

pytestmark = pytest.mark.postgres

SECRET = "whsec_test_queue_worker"
USERS = 125
EVENTS_PER_USER = 4  # 500 distinct events
DUPLICATES = 20
SWEEP_INTERVAL_SECONDS = 1
LAST_PERIOD_END = 1_782_592_000
LAST_PERIOD_END_AT = datetime.fromtimestamp(LAST_PERIOD_END, UTC)


def worker_command() -> list[str]:
    return [*make_command("worker"), "--pool", "threads", "--concurrency", "4"]


def settings_env(folder: Path, database_url: str, broker: str, **env: str) -> dict[str, str]:
    """The settings every process of a test shares (web, worker, beat, migrate)."""
    return environment(
        folder,
        SECRET_KEY=TEST_SECRET_KEY,
        DATABASE_URL=database_url,
        STRIPE_SECRET_KEY="sk_test_offline",
        STRIPE_API_BASE="http://127.0.0.1:9",
        STRIPE_PRICE_ID="price_test_1",
        CATALOG_FILE="",
        STRIPE_WEBHOOK_SECRET=SECRET,
        BROKER_URL=broker,
        WEBHOOK_PROCESSING="queue",
        LOG_FORMAT="json",
        **env,
    )


def post(url: str, data: dict[str, Any]) -> int:
    payload = json.dumps(data).encode()
    answer = requests.post(
        f"{url}/webhook",
        data=payload,
        headers={"Stripe-Signature": se.sign(payload, SECRET), "Content-Type": "application/json"},
        timeout=30,
    )
    return answer.status_code


def count(container: Container, status: str | None = None) -> int:
    query = select(func.count()).select_from(EventRow)
    if status is not None:
        query = query.where(EventRow.status == status)
    with container.engine().connect() as connection:
        return int(connection.scalar(query) or 0)


def applied_lines(*logs: Path) -> Counter[str]:
    """Event id -> how many times a worker applied it (duplicates not counted)."""
    applied: Counter[str] = Counter()
    for log in logs:
        for line in log.read_text().splitlines():
            if not line.startswith("{"):
                continue
            entry = json.loads(line)
            if entry.get("duplicate") is False and entry["msg"].startswith("billing event "):
                applied[entry["event_id"]] += 1
    return applied


@pytest.fixture
def database_url(postgres_session_factory: Any, postgres_schema_url: str) -> str:
    return postgres_schema_url  # empty tables (the session factory fixture truncates)


def make_events(container: Container, users: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """EVENTS_PER_USER subscription events for each of `users` new users, each a later
    period end than the one before, the newest also set to cancel at the period end (no
    state that makes the worker ask Stripe); and each user's id by subscription id."""
    events: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    register = container.register_user()
    for number in range(users):
        email = f"q{number}@example.com"
        register.execute(RegisterUserCommand(email, "a passphrase!"))
        with container.uow() as uow:
            user = uow.users.get_by_email(EmailAddress(email))
        assert user is not None
        subscription_id = f"sub_q_{number}"
        ids[subscription_id] = user.id
        for step in range(EVENTS_PER_USER):
            obj = se.subscription(
                id=subscription_id,
                customer=f"cus_q_{number}",
                user_id=user.id,
                period_end=LAST_PERIOD_END - (EVENTS_PER_USER - 1 - step) * 60,
                cancel_at_period_end=step == EVENTS_PER_USER - 1,
            )
            kind = "customer.subscription.created" if step == 0 else "customer.subscription.updated"
            events.append(se.event(kind, obj, created=1000 + step))
    return events, ids


def test_make_serve_and_a_worker_killed_half_way_apply_every_event_exactly_once(
    tmp_path: Path, unmigrated_postgres_url: str
) -> None:
    folder = tmp_path / "processes"
    folder.mkdir()
    with ExitStack() as stack:
        broker = stack.enter_context(redis_server(tmp_path / "redis"))
        env = settings_env(
            folder,
            unmigrated_postgres_url,
            broker,
            WEBHOOK_RETRY_BASE_SECONDS="0.2",
            WEBHOOK_SWEEP_INTERVAL_SECONDS=str(SWEEP_INTERVAL_SECONDS),
            WEBHOOK_SWEEP_AFTER_SECONDS="2",
        )
        migrated = migrate(folder, env)
        assert migrated.returncode == 0, migrated.stderr
        served = stack.enter_context(make_serve(folder, env, workers=2))
        # The test's own view of the database (and its users, registered directly).
        container: Container = offline_stripe_app(
            tmp_path, (SECRET,), database_url=unmigrated_postgres_url
        ).extensions["container"]
        stack.callback(container.engine().dispose)
        events, users = make_events(container, USERS)
        first, first_log = stack.enter_context(process(worker_command(), folder, env, "worker1"))

        # In no user's order, as Stripe's deliveries come: an update may arrive before
        # the one it follows (and is then recorded as ignored, being older).
        deliveries = [*events, *[events[0]] * DUPLICATES]
        random.Random(13).shuffle(deliveries)
        done = ("processed", "ignored")
        half = len(events) // 2
        with ThreadPoolExecutor(8) as pool:
            posted = pool.map(lambda data: post(served.url, data), deliveries)
            # Half-way, while the posts go on: the worker dies with tasks in hand, and
            # the broker loses what it held.
            assert wait_until(lambda: sum(count(container, s) for s in done) >= half, 120)
            first.send_signal(signal.SIGKILL)
            first.wait()
            redis.Redis.from_url(broker).flushall()
            at_kill = sum(count(container, s) for s in done)
            assert at_kill < len(events)  # the kill came before the end
            _, second_log = stack.enter_context(process(worker_command(), folder, env, "worker2"))
            stack.enter_context(process(make_command("beat"), folder, env, "beat"))
            answers = Counter(posted)
        assert answers == {200: len(deliveries)}
        assert count(container) == len(events)  # duplicates added no row
        # Both gunicorn workers answered webhooks (the kernel spreads the connections).
        by_worker = requests_by_pid(served, "/webhook")
        assert set(by_worker) == served.worker_pids(), by_worker
        assert all(by_worker.values()) and sum(by_worker.values()) == len(deliveries)

        assert wait_until(lambda: count(container, "received") == 0, timeout=120), (
            f"{count(container, 'received')} still received ({at_kill} applied at the kill)\n"
            + second_log.read_text()[-3000:]
        )
        # Nothing comes back once the sweeper has run again.
        time.sleep(2 * SWEEP_INTERVAL_SECONDS)
        assert count(container, "received") == 0

        # Each applied (an update older than one already applied is recorded as ignored).
        assert sum(count(container, s) for s in done) == len(events)
        assert count(container) == len(events)
        # The inbox says every event was applied; the workers' lines say none twice. A line
        # may be missing: SIGKILL can land between a commit and the line that follows it.
        first_applied, second_applied = applied_lines(first_log), applied_lines(second_log)
        applied = first_applied + second_applied
        assert set(applied) <= {data["id"] for data in events}
        assert len(applied) >= len(events) - 8  # at most a few in the killed worker's hands
        assert set(applied.values()) == {1}, applied.most_common(3)
        assert len(first_applied) >= half - 8 and second_applied  # both workers did work
        with container.uow() as uow:
            for subscription_id, user_id in users.items():
                user = uow.users.get(user_id)
                assert user is not None
                subscription = user.subscriptions[subscription_id]
                assert subscription.status is SubscriptionStatus.ACTIVE
                assert subscription.current_period_end == LAST_PERIOD_END_AT
                assert subscription.cancel_at_period_end
        samples = parse(requests.get(f"{served.url}/metrics", timeout=10).text)
        assert value(samples, "premium_notes_inbox_received_events") == 0
        assert value(samples, "premium_notes_inbox_failed_events") == 0


def test_with_redis_stopped_webhooks_are_held_and_applied_once_it_is_back(
    tmp_path: Path, database_url: str
) -> None:
    folder = tmp_path / "processes"
    folder.mkdir()
    with ExitStack() as stack:
        redis_stack = ExitStack()
        broker = redis_stack.enter_context(redis_server(tmp_path / "redis"))
        port = make_url(broker).port
        app = offline_stripe_app(
            tmp_path,
            (SECRET,),
            database_url=database_url,
            broker_url=broker,
            webhook_processing="queue",
        )
        live: LiveServer = stack.enter_context(serve(app))
        container = live.container
        events, _ = make_events(container, users=5)  # 20 events
        env = settings_env(
            folder,
            database_url,
            broker,
            WEBHOOK_SWEEP_INTERVAL_SECONDS="1",
            WEBHOOK_SWEEP_AFTER_SECONDS="1",
        )
        stack.enter_context(process(worker_command(), folder, env, "worker"))
        stack.enter_context(process(make_command("beat"), folder, env, "beat"))

        redis_stack.close()  # Redis stops
        answers = [post(live.url, data) for data in events]
        assert set(answers) == {200}
        assert count(container, "received") == len(events)
        ready = requests.get(f"{live.url}/readyz", timeout=10)
        assert ready.status_code == 503
        samples = parse(requests.get(f"{live.url}/metrics", timeout=10).text)
        assert value(samples, "premium_notes_inbox_received_events") == len(events)

        stack.enter_context(redis_server(tmp_path / "redis", port=port))  # back
        done = ("processed", "ignored")
        assert wait_until(lambda: sum(count(container, s) for s in done) == len(events), 120), (
            folder / "worker.log"
        ).read_text()[-3000:]
        assert count(container, "received") == 0
        assert requests.get(f"{live.url}/readyz", timeout=10).status_code == 200
