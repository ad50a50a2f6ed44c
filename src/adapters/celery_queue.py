"""The event queue on Celery (BROKER_URL, Redis): what /webhook and the sweeper send
the worker's apply task with (`entrypoints.celery_app` registers the task)."""

from celery import Celery

from application.ports import EventQueue

APPLY_EVENT_TASK = "premium_notes.apply_billing_event"
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
    def __init__(self, app: Celery) -> None:
        self._app = app

    def enqueue(self, event_id: str) -> None:
        self._app.send_task(APPLY_EVENT_TASK, args=[event_id], retry=False)
