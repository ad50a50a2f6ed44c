"""Work that runs on a schedule, not for a request: one list, two ways to run it.

- With BROKER_URL (production): Celery beat sends each job to the Celery workers on its
  schedule (`entrypoints.celery_app`, `make beat` and `make worker`).
- Without it (`make run`, one process): `InProcessScheduler`, a thread in the server's
  process, runs the same jobs on the same schedule.

Each job is idempotent: a run that overlaps another, or repeats one that a crash cut
short, does no harm.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from application.use_cases.reconcile_subscriptions import ReconcileSubscriptionsCommand
from entrypoints.container import Container
from entrypoints.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str  # also the Celery task's name
    every: timedelta
    run: Callable[[Container], None]


def reconcile(container: Container) -> None:
    """Pull every known subscription from the payment provider and fix drift: what
    brings a user right when the provider's webhooks never arrived."""
    report = container.reconcile_subscriptions().execute(ReconcileSubscriptionsCommand())
    # By subscription id, never by email (the CLI's report names people; logs do not).
    for change in report.changes:
        old = change.before.status.value if change.before else "unknown"
        log.info(
            "reconcile changed %s: %s -> %s", change.subscription_id, old, change.after.status.value
        )
    for reason in report.failures.values():
        log.warning("reconcile failed for a user: %s", reason)
    log.info(
        "reconcile checked %d user(s), changed %d, failed %d",
        report.checked_users,
        len(report.changes),
        len(report.failures),
    )


def scheduled_jobs(settings: Settings) -> tuple[Job, ...]:
    return (Job("premium_notes.reconcile", settings.reconcile_interval, reconcile),)


class InProcessScheduler:
    """Runs `jobs` in a daemon thread, each every `job.every`, the first time one
    interval after `start()` (as Celery beat does). A job that raises is logged and
    runs again at its next time."""

    def __init__(self, jobs: Sequence[Job], container: Container) -> None:
        self._jobs = jobs
        self._container = container
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        if not self._jobs:
            return
        due = {job.name: time.monotonic() + job.every.total_seconds() for job in self._jobs}
        while not self._stopping.wait(max(0.0, min(due.values()) - time.monotonic())):
            now = time.monotonic()
            for job in self._jobs:
                if due[job.name] <= now:
                    due[job.name] = now + job.every.total_seconds()
                    self._run(job)

    def _run(self, job: Job) -> None:
        try:
            job.run(self._container)
        except Exception:
            log.exception("scheduled job %s failed; it runs again at its next time", job.name)
