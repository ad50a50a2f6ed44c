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

from adapters.celery_queue import DELIVER_OUTBOX_TASK
from application.use_cases.apply_undelivered_events import (
    ApplyUndeliveredEventsCommand,
    UndeliveredReport,
)
from application.use_cases.deliver_outbox import DeliverOutboxCommand
from application.use_cases.reconcile_subscriptions import ReconcileSubscriptionsCommand
from entrypoints.container import Container
from entrypoints.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str  # also the Celery task's name
    every: timedelta
    run: Callable[[Container], None]


def apply_undelivered_events(container: Container) -> UndeliveredReport | None:
    """The cheap pass: the events the payment provider could not deliver to our webhook
    endpoint (Stripe's `delivery_success=false` list), applied through the webhook's own
    idempotent path. None when the provider could not be asked (logged)."""
    lookback = container.settings().undelivered_events_lookback
    try:
        report = container.apply_undelivered_events().execute(
            ApplyUndeliveredEventsCommand(lookback)
        )
    except Exception as error:
        log.warning("undelivered events could not be listed: %s", error)
        return None
    for event_id, reason in report.failed.items():
        log.warning("undelivered event %s failed: %s", event_id, reason)
    log.info(
        "undelivered events: listed %d, applied %d, already received %d, failed %d",
        report.listed,
        len(report.applied),
        len(report.duplicates),
        len(report.failed),
    )
    return report


def reconcile(container: Container) -> None:
    """The cheap pass first, then pull every known subscription from the payment provider
    and fix drift: what brings a user right when the provider's webhooks never arrived,
    not even in its list of undelivered events. With RECONCILE_FULL=on_failure the full
    pass runs only when the cheap one could not be done or left an event failed."""
    first = apply_undelivered_events(container)
    full = container.settings().reconcile_full
    if full == "on_failure" and first is not None and first.complete:
        log.info("reconcile: every undelivered event applied; full pass skipped (on_failure)")
        return
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


def undelivered_events(container: Container) -> None:
    apply_undelivered_events(container)


def sweep_received_events(container: Container) -> None:
    """Send again the events left `received` (the queue mode): a message the broker
    lost, or a task whose worker died, is applied after all."""
    container.sweep_received_events().execute()


# A bound on one run's rounds: a run never holds a worker for ever (the next run goes on).
DELIVERY_ROUNDS = 50


def deliver_outbox(container: Container) -> None:
    """Send every email due in the outbox (`DeliverOutbox`), round after round while a
    round sends or gives up something (a round takes at most its limit of entries).
    Each entry is claimed before it is sent, so runs on several workers at once, or a
    run beside `flask outbox deliver`, never send one email twice. Logged by counts,
    never by address."""
    deliver = container.deliver_outbox()
    sent = retrying = given_up = 0
    for _ in range(DELIVERY_ROUNDS):
        report = deliver.execute(DeliverOutboxCommand())
        sent += len(report.sent)
        retrying += len(report.retrying)
        given_up += len(report.given_up)
        if not report.sent and not report.given_up:
            break
    if sent or retrying or given_up:
        log.info(
            "outbox: sent %d, retrying %d, given up %d",
            sent,
            retrying,
            given_up,
            extra={"fields": {"sent": sent, "retrying": retrying, "given_up": given_up}},
        )


def scheduled_jobs(settings: Settings) -> tuple[Job, ...]:
    jobs = [
        Job("premium_notes.reconcile", settings.reconcile_interval, reconcile),
        Job(
            "premium_notes.apply_undelivered_events",
            settings.undelivered_events_interval,
            undelivered_events,
        ),
    ]
    if settings.smtp_server is not None:
        # Also the task a commit that wrote an email sends (DELIVER_OUTBOX_TASK).
        jobs.append(Job(DELIVER_OUTBOX_TASK, settings.outbox_delivery_interval, deliver_outbox))
    if settings.webhook_processing == "queue":
        jobs.append(
            Job(
                "premium_notes.sweep_received_events",
                settings.webhook_sweep_interval,
                sweep_received_events,
            )
        )
    return tuple(jobs)


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
