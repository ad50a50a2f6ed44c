"""The queue mode end to end (issue 13, part 2): the app served over HTTP on
PostgreSQL, a real Celery worker and beat (the sweeper) on a Redis of the test's own.

- Distinct signed events and duplicates are posted; the worker is SIGKILLed half-way
  and the broker's queue flushed (messages lost); another worker and beat start: every
  event is applied exactly once (one non-duplicate "applied" log line per event, across
  both workers), every post answered 2xx, nothing left `received`.
- Redis stopped: /webhook still answers 2xx (the inbox holds the events), /readyz says
  503; Redis back on its port: the sweeper sends them and they are applied.
"""

import json
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
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
from tests.integration.test_serve import environment, make_command
from tests.support import stripe_events as se
from tests.support.local_run import wait_until
from tests.support.redis_server import redis_server

pytestmark = pytest.mark.postgres

SECRET = "whsec_test_queue_worker"
USERS = 30
EVENTS_PER_USER = 4  # 120 distinct events
DUPLICATES = 20


@contextmanager
def process(command: list[str], folder: Path, env: dict[str, str], name: str) -> Iterator[Any]:
    """A subprocess (the command itself, not `make`: SIGKILL must reach it) until the
    block ends; yields (process, its log's path)."""
    log = folder / f"{name}.log"
    with log.open("w") as sink:
        child = subprocess.Popen(command, cwd=folder, env=env, stdout=sink, stderr=sink)
    try:
        yield child, log
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def worker_command() -> list[str]:
    return [*make_command("worker"), "--pool", "threads", "--concurrency", "4"]


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


def make_events(container: Container) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """EVENTS_PER_USER subscription events per user, the newest `past_due`; and each
    user's id by subscription id."""
    events: list[dict[str, Any]] = []
    users: dict[str, str] = {}
    register = container.register_user()
    for number in range(USERS):
        email = f"q{number}@example.com"
        register.execute(RegisterUserCommand(email, "a passphrase!"))
        with container.uow() as uow:
            user = uow.users.get_by_email(EmailAddress(email))
        assert user is not None
        subscription_id = f"sub_q_{number}"
        users[subscription_id] = user.id
        for step in range(EVENTS_PER_USER):
            status = "past_due" if step == EVENTS_PER_USER - 1 else "active"
            obj = se.subscription(
                id=subscription_id,
                customer=f"cus_q_{number}",
                status=status,
                user_id=user.id,
                period_end=1_782_592_000 + step * 60,
            )
            kind = "customer.subscription.created" if step == 0 else "customer.subscription.updated"
            events.append(se.event(kind, obj, created=1000 + step))
    return events, users


def test_every_event_is_applied_once_through_a_killed_worker_and_a_lost_queue(
    tmp_path: Path, database_url: str
) -> None:
    folder = tmp_path / "processes"
    folder.mkdir()
    with ExitStack() as stack:
        broker = stack.enter_context(redis_server(tmp_path / "redis"))
        app = offline_stripe_app(
            tmp_path,
            (SECRET,),
            database_url=database_url,
            broker_url=broker,
            webhook_processing="queue",
        )
        live: LiveServer = stack.enter_context(serve(app))
        container = live.container
        events, users = make_events(container)
        env = environment(
            tmp_path,
            SECRET_KEY=TEST_SECRET_KEY,
            DATABASE_URL=database_url,
            STRIPE_SECRET_KEY="sk_test_offline",
            STRIPE_API_BASE="http://127.0.0.1:9",
            STRIPE_PRICE_ID="price_test_1",
            CATALOG_FILE="",
            STRIPE_WEBHOOK_SECRET=SECRET,
            BROKER_URL=broker,
            WEBHOOK_PROCESSING="queue",
            WEBHOOK_RETRY_BASE_SECONDS="0.2",
            WEBHOOK_SWEEP_INTERVAL_SECONDS="1",
            WEBHOOK_SWEEP_AFTER_SECONDS="2",
            LOG_FORMAT="json",
        )
        first, first_log = stack.enter_context(process(worker_command(), folder, env, "worker1"))

        deliveries = [*events, *[events[0]] * DUPLICATES, *events[10:20]]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda data: post(live.url, data), deliveries))
        assert set(answers) == {200}
        assert count(container) == len(events)  # duplicates added no row

        # Half-way: the worker dies with tasks in hand, and the broker loses what it held.
        wait_until(lambda: count(container, "processed") >= len(events) // 2, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait()
        redis.Redis.from_url(broker).flushall()
        left = count(container, "received")

        _, second_log = stack.enter_context(process(worker_command(), folder, env, "worker2"))
        stack.enter_context(process(make_command("beat"), folder, env, "beat"))
        assert wait_until(lambda: count(container, "received") == 0, timeout=120), (
            f"{count(container, 'received')} still received ({left} after the kill)\n"
            + second_log.read_text()[-3000:]
        )

        # Each applied (an update older than one already applied is recorded as ignored).
        assert count(container, "processed") + count(container, "ignored") == len(events)
        assert count(container) == len(events)
        # The inbox says every event was applied; the workers' lines say none twice. A line
        # may be missing: SIGKILL can land between a commit and the line that follows it.
        applied = applied_lines(first_log, second_log)
        assert set(applied) <= {data["id"] for data in events}
        assert len(applied) >= len(events) - 8  # at most a few in the killed worker's hands
        assert set(applied.values()) == {1}, applied.most_common(3)
        with container.uow() as uow:
            for subscription_id, user_id in users.items():
                user = uow.users.get(user_id)
                assert user is not None
                assert user.subscriptions[subscription_id].status is SubscriptionStatus.PAST_DUE
        samples = parse(requests.get(f"{live.url}/metrics", timeout=10).text)
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
        events, _ = make_events(container)
        events = events[:20]
        env = environment(
            tmp_path,
            SECRET_KEY=TEST_SECRET_KEY,
            DATABASE_URL=database_url,
            STRIPE_SECRET_KEY="sk_test_offline",
            STRIPE_API_BASE="http://127.0.0.1:9",
            STRIPE_PRICE_ID="price_test_1",
            CATALOG_FILE="",
            STRIPE_WEBHOOK_SECRET=SECRET,
            BROKER_URL=broker,
            WEBHOOK_PROCESSING="queue",
            WEBHOOK_SWEEP_INTERVAL_SECONDS="1",
            WEBHOOK_SWEEP_AFTER_SECONDS="1",
            LOG_FORMAT="json",
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
