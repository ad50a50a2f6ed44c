"""The task queue on Celery (BROKER_URL, Redis), sending side: what /webhook and the
sweeper send the worker's apply task with, and what a commit that wrote an email sends
the worker's delivery task with (`entrypoints.celery_app` registers both tasks)."""

import contextlib
import threading
from uuid import uuid4

from celery import Celery
from kombu.messaging import Producer

from application.ports import EventQueue

APPLY_EVENT_TASK = "premium_notes.apply_billing_event"
DELIVER_OUTBOX_TASK = "premium_notes.deliver_outbox"
CONNECT_TIMEOUT_SECONDS = 2


def producer_app(broker_url: str) -> Celery:
    """A Celery app that only sends: it fails fast when the broker is down (one try,
    short timeouts), since the inbox keeps what could not be sent."""
    app = Celery("premium_notes_producer", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        broker_connection_timeout=CONNECT_TIMEOUT_SECONDS,
        broker_connection_retry=False,
        broker_transport_options={
            "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "socket_timeout": CONNECT_TIMEOUT_SECONDS,
        },
    )
    return app


class CeleryEventQueue(EventQueue):
    """Sends each event as a message of Celery's own protocol (built by Celery's
    `as_task_v2`, as `send_task` builds it) to the default queue, through one producer
    and broker connection kept for the process (`send_task` acquires a pooled producer,
    routes, and fires its signals on every call: twice the CPU per webhook). A send
    that fails drops that connection; the next send opens another."""

    def __init__(self, app: Celery) -> None:
        self._app = app
        self._queue = str(app.conf.task_default_queue)
        self._producer: Producer | None = None
        self._lock = threading.Lock()  # gthread workers (WEB_THREADS) share the producer

    def enqueue(self, event_id: str) -> None:
        message = self._app.amqp.as_task_v2(str(uuid4()), APPLY_EVENT_TASK, args=[event_id])
        with self._lock:
            if self._producer is None:
                self._producer = self._app.amqp.Producer(self._app.connection_for_write())
            try:
                self._producer.publish(
                    message.body,
                    exchange="",
                    routing_key=self._queue,
                    headers=message.headers,
                    serializer="json",
                    retry=False,
                    **message.properties,
                )
            except Exception:
                self._drop()
                raise

    def _drop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):  # already broken: nothing more to free
                producer.connection.release()


class CeleryOutboxNudge:
    """The unit of work's `after_outbox_commit` with a worker: asks it, through the
    broker, to send what is due (the delivery task takes no argument: it sends every due
    entry, so a lost or a repeated message changes nothing). Raises when the broker
    cannot be reached; the unit of work logs that after the commit, and the email waits
    for the scheduled delivery."""

    def __init__(self, app: Celery) -> None:
        self._app = app

    def __call__(self) -> None:
        self._app.send_task(DELIVER_OUTBOX_TASK, retry=False)
