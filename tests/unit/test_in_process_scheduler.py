"""`make run`'s scheduler (no broker): the jobs Celery beat would send, run in a thread
of the server's process on the same intervals."""

import threading
from datetime import timedelta

import pytest

from entrypoints.celery_app import create_celery
from entrypoints.container import Container
from entrypoints.jobs import InProcessScheduler, Job, scheduled_jobs
from entrypoints.settings import Settings

WAIT = 30  # seconds: a bound for a loaded machine, never a measured duration


def test_a_job_runs_again_and_again_after_its_interval_and_stops_with_the_scheduler() -> None:
    ran = threading.Semaphore(0)
    scheduler = InProcessScheduler(
        [Job("tick", timedelta(milliseconds=20), lambda _: ran.release())], Container()
    )

    scheduler.start()
    try:
        assert all(ran.acquire(timeout=WAIT) for _ in range(3))
    finally:
        scheduler.stop()

    assert not scheduler._thread.is_alive()


def test_a_failing_job_is_logged_and_runs_again(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []
    second = threading.Event()

    def flaky(_: Container) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Stripe is down")
        second.set()

    scheduler = InProcessScheduler([Job("flaky", timedelta(milliseconds=20), flaky)], Container())
    scheduler.start()
    try:
        assert second.wait(WAIT)
    finally:
        scheduler.stop()

    assert "scheduled job flaky failed" in caplog.text


def test_a_job_does_not_run_before_its_first_interval() -> None:
    ran = threading.Event()
    scheduler = InProcessScheduler(
        [Job("hourly", timedelta(hours=1), lambda _: ran.set())], Container()
    )

    scheduler.start()
    scheduler.stop()

    assert not ran.is_set()


def test_reconcile_is_scheduled_every_reconcile_interval_minutes() -> None:
    hourly = Settings.from_env({"SECRET_KEY": "k" * 40})
    often = Settings.from_env({"SECRET_KEY": "k" * 40, "RECONCILE_INTERVAL_MINUTES": "15"})

    assert [(j.name, j.every) for j in scheduled_jobs(hourly)] == [
        ("premium_notes.reconcile", timedelta(hours=1)),
        ("premium_notes.apply_undelivered_events", timedelta(minutes=5)),
    ]
    assert scheduled_jobs(often)[0].every == timedelta(minutes=15)


def test_with_smtp_url_the_outbox_is_delivered_every_outbox_delivery_interval() -> None:
    base = {"SECRET_KEY": "k" * 40, "SMTP_URL": "smtp://127.0.0.1:1025"}
    default = Settings.from_env(base)
    often = Settings.from_env({**base, "OUTBOX_DELIVERY_INTERVAL_SECONDS": "5"})
    without_mail = Settings.from_env({"SECRET_KEY": "k" * 40})

    assert [(j.name, j.every) for j in scheduled_jobs(default)][-1] == (
        "premium_notes.deliver_outbox",
        timedelta(minutes=1),
    )
    assert scheduled_jobs(often)[-1].every == timedelta(seconds=5)
    assert "premium_notes.deliver_outbox" not in [j.name for j in scheduled_jobs(without_mail)]


def test_beat_sends_the_outbox_delivery_on_its_interval_and_workers_run_it() -> None:
    settings = Settings.from_env(
        {
            "SECRET_KEY": "k" * 40,
            "SMTP_URL": "smtp://127.0.0.1:1025",
            "BROKER_URL": "redis://127.0.0.1:9/0",
            "OUTBOX_DELIVERY_INTERVAL_SECONDS": "30",
        }
    )
    container = Container()
    container.settings.override(settings)

    app = create_celery(settings, container)

    entry = app.conf.beat_schedule["premium_notes.deliver_outbox"]
    assert (entry["task"], entry["schedule"]) == (
        "premium_notes.deliver_outbox",
        timedelta(seconds=30),
    )
    assert "premium_notes.deliver_outbox" in app.tasks
