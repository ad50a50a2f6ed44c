"""The background processes on Celery, with BROKER_URL (Redis) as the broker:

    python -m entrypoints.celery_app worker   # make worker: runs the tasks
    python -m entrypoints.celery_app beat     # make beat: sends the scheduled ones

Further arguments go to Celery's own command (`worker --concurrency 2`). Both read the
settings as the web server does (environment and `.env`); a setting missing or
malformed, BROKER_URL included, is one line and exit status 2.

Tasks: the scheduled jobs of `entrypoints.jobs` (reconcile, every
RECONCILE_INTERVAL_MINUTES; with SMTP_URL, the outbox's delivery, every
OUTBOX_DELIVERY_INTERVAL_SECONDS, which the web process also sends after each commit
that wrote an email; in the queue mode, the sweeper of received events, every
WEBHOOK_SWEEP_INTERVAL_SECONDS), and in the queue mode (WEBHOOK_PROCESSING=queue) the
task that applies one stored webhook event. Run one beat, and as many workers as the
work needs.
Without BROKER_URL, `make run` runs the same jobs in its own process instead.

The Celery app is made by `create_celery`, from settings, when the command starts:
nothing here connects anywhere at import time. Celery leaves the process's logging to
`configure_logging` (LOG_FORMAT), and each task run is one log line with its name, id,
outcome and duration.
"""

import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from celery import Celery, Task
from celery.signals import task_postrun, task_prerun
from dotenv import find_dotenv, load_dotenv

from adapters.celery_queue import APPLY_EVENT_TASK
from entrypoints.container import Container
from entrypoints.jobs import Job, scheduled_jobs
from entrypoints.logs import configure_logging
from entrypoints.settings import ConfigurationError, Settings, settings_for_app

log = logging.getLogger("premium_notes.task")
_started: dict[str, float] = {}


def create_celery(settings: Settings, container: Container) -> Celery:
    if not settings.broker_url:
        raise ConfigurationError("BROKER_URL is not set: the worker and beat need a broker.")
    app = Celery("premium_notes", broker=settings.broker_url, set_as_current=False)
    jobs = scheduled_jobs(settings)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # no result backend: what a task did is in the database
        timezone="UTC",
        enable_utc=True,
        worker_hijack_root_logger=False,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        beat_schedule={
            job.name: {
                "task": job.name,
                "schedule": job.every,
                # A run still queued when the next is sent is dropped, not stacked up.
                "options": {"expires": job.every.total_seconds()},
            }
            for job in jobs
        },
    )
    for job in jobs:
        _register(app, job, container)
    _register_apply_event(app, settings, container)
    return app


def retry_delay(settings: Settings, retries: int) -> float:
    """Seconds before retry number `retries + 1`: WEBHOOK_RETRY_BASE_SECONDS, doubled
    at each retry (10, 20, 40, ... by default)."""
    return float(settings.webhook_retry_base.total_seconds() * 2**retries)


def _register_apply_event(app: Celery, settings: Settings, container: Container) -> None:
    """The queue mode's task: apply one stored event (`ApplyReceivedEvent`).

    Acknowledged only once it has run (`acks_late`), so a message whose worker died is
    delivered again; and the sweeper sends any event still `received`. A failure is
    retried WEBHOOK_TASK_RETRIES times, with exponential backoff; the event reads
    `failed` meanwhile and stays so after the last try, for `events replay`.
    """

    @app.task(
        name=APPLY_EVENT_TASK,
        shared=False,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        max_retries=settings.webhook_task_retries,
    )
    def apply_billing_event(task: Task, event_id: str) -> None:
        try:
            container.apply_received_event().execute(event_id)
        except Exception as error:
            retries = task.request.retries
            if retries >= settings.webhook_task_retries:
                log.warning(
                    "billing event %s failed after %d tries: left failed for events replay",
                    event_id,
                    retries + 1,
                )
                return
            raise task.retry(exc=error, countdown=retry_delay(settings, retries)) from error


def _register(app: Celery, job: Job, container: Container) -> None:
    def run() -> None:
        job.run(container)

    run.__name__ = run.__qualname__ = job.name.rsplit(".", 1)[-1]
    app.task(name=job.name, shared=False)(run)


@task_prerun.connect
def _task_started(task_id: str, **_: Any) -> None:
    _started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_finished(task_id: str, task: Task, state: str | None = None, **_: Any) -> None:
    started = _started.pop(task_id, None)
    fields = {
        "task": task.name,
        "task_id": task_id,
        "state": state,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
    }
    log.info("task", extra={"fields": fields})


def main(argv: Sequence[str]) -> int:
    load_dotenv(find_dotenv(usecwd=True))
    try:
        settings = settings_for_app()
        if not settings.broker_url:
            raise ConfigurationError(
                "BROKER_URL is not set: the worker and beat need a broker (redis://HOST:6379/1)."
            )
    except ConfigurationError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_format)
    container = Container()
    container.settings.override(settings)
    app = create_celery(settings, container)
    return int(app.start(list(argv)) or 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
