"""The worker's apply task (queue mode): retries with exponential backoff, then stops,
the event left failed (by `HandleBillingEvent`) for `events replay`. Run eagerly: no
broker, the retries run at once and the waits they asked for are kept."""

from datetime import timedelta
from typing import Any

import pytest

from application.ports import EventQueue
from entrypoints.celery_app import create_celery, retry_delay
from entrypoints.container import Container
from entrypoints.settings import Settings

BROKER = "redis://127.0.0.1:9/0"  # never reached: eager tasks run in the caller


class NoQueue(EventQueue):
    def enqueue(self, event_id: str) -> None:
        pass


class FlakyApply:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[str] = []

    def execute(self, event_id: str) -> None:
        self.calls.append(event_id)
        if len(self.calls) <= self.failures:
            raise ConnectionError("database away")


def run_task(failures: int, monkeypatch: pytest.MonkeyPatch) -> tuple[FlakyApply, list[float]]:
    settings = Settings(
        secret_key="x" * 40,
        database_url="sqlite://",
        broker_url=BROKER,
        webhook_processing="queue",
        webhook_task_retries=3,
        webhook_retry_base=timedelta(seconds=2),
    )
    container = Container()
    container.settings.override(settings)
    flaky = FlakyApply(failures)
    container.apply_received_event.override(flaky)
    app = create_celery(settings, container)
    app.conf.task_always_eager = True
    task = app.tasks["premium_notes.apply_billing_event"]
    countdowns: list[float] = []
    retry = task.retry

    def recording_retry(*args: Any, **kwargs: Any) -> Any:
        countdowns.append(kwargs["countdown"])
        return retry(*args, **kwargs)

    monkeypatch.setattr(task, "retry", recording_retry)
    task.apply_async(args=["evt_1"])
    return flaky, countdowns


def test_a_failure_is_retried_with_backoff_until_it_succeeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flaky, countdowns = run_task(2, monkeypatch)
    assert flaky.calls == ["evt_1"] * 3
    assert countdowns == [2.0, 4.0]


def test_after_the_last_retry_the_task_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    flaky, countdowns = run_task(100, monkeypatch)
    assert flaky.calls == ["evt_1"] * 4  # the first try and 3 retries, no more
    assert countdowns == [2.0, 4.0, 8.0]


def test_the_backoff_doubles_from_the_base() -> None:
    settings = Settings(secret_key="x" * 40, webhook_retry_base=timedelta(seconds=10))
    assert [retry_delay(settings, n) for n in range(4)] == [10.0, 20.0, 40.0, 80.0]
