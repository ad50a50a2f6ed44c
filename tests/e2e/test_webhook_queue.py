"""POST /webhook in the queue mode (WEBHOOK_PROCESSING=queue): stored as received in
one transaction, answered 2xx, sent to the worker after the commit; the worker's use
case applies it. The queue is a recording fake here, or a broker that is down."""

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.ports import EventQueue, EventStatus
from entrypoints.settings import ConfigurationError, Settings
from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import user_id_of
from tests.e2e.test_operations import parse, value
from tests.e2e.test_webhook import register_and_log_in
from tests.support import stripe_events as se

SECRET = "whsec_test_queue"
CLOSED_BROKER = "redis://127.0.0.1:9/0"  # nothing listens there: the broker is down


class RecordingQueue(EventQueue):
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.sent: list[tuple[str, str | None]] = []

    def enqueue(self, event_id: str) -> None:  # with the status committed at that time
        record = inbox(self.app).get(event_id)
        self.sent.append((event_id, record.status.value if record else None))


def queue_app(tmp_path: Path) -> Flask:
    return offline_stripe_app(
        tmp_path, (SECRET,), broker_url=CLOSED_BROKER, webhook_processing="queue"
    )


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return queue_app(tmp_path)


@pytest.fixture
def queue(app: Flask) -> RecordingQueue:
    recording = RecordingQueue(app)
    app.extensions["container"].event_queue.override(recording)
    return recording


def inbox(app: Flask) -> dict[str, Any]:
    with app.extensions["container"].uow() as uow:
        return {record.event_id: record for record in uow.events.list()}


def post(client: FlaskClient, data: dict[str, Any]) -> Any:
    payload = json.dumps(data).encode()
    return client.post(
        "/webhook",
        data=payload,
        headers={"Stripe-Signature": se.sign(payload, SECRET)},
        content_type="application/json",
    )


def created_event(app: Flask) -> dict[str, Any]:
    obj = se.subscription(status="active", user_id=user_id_of(app, "sub@example.com"))
    return se.event("customer.subscription.created", obj, created=1000)


def test_the_event_is_stored_as_received_answered_and_sent_after_the_commit(
    app: Flask, queue: RecordingQueue
) -> None:
    client = app.test_client()
    register_and_log_in(client)
    data = created_event(app)

    response = post(client, data)

    assert response.status_code == 200
    assert response.get_json() == {"received": True, "status": "received", "duplicate": False}
    assert inbox(app)[data["id"]].status is EventStatus.RECEIVED
    assert queue.sent == [(data["id"], "received")]  # committed before it was sent
    assert client.get("/premium").status_code == 403  # not applied by the web process
    samples = parse(client.get("/metrics").text)
    assert value(samples, "premium_notes_inbox_received_events") == 1
    assert (
        value(
            samples,
            "premium_notes_webhook_events_total",
            type="customer.subscription.created",
            outcome="received",
        )
        >= 1
    )

    app.extensions["container"].apply_received_event().execute(data["id"])

    assert inbox(app)[data["id"]].status is EventStatus.PROCESSED
    assert client.get("/premium").status_code == 200
    assert value(parse(client.get("/metrics").text), "premium_notes_inbox_received_events") == 0


def test_a_duplicate_delivery_adds_no_row_and_answers_2xx(
    app: Flask, queue: RecordingQueue
) -> None:
    client = app.test_client()
    register_and_log_in(client)
    data = created_event(app)
    post(client, data)

    again = post(client, data)

    assert again.status_code == 200
    assert again.get_json()["duplicate"] is True
    assert list(inbox(app)) == [data["id"]]
    app.extensions["container"].apply_received_event().execute(data["id"])
    handled = post(client, data)
    assert handled.get_json() == {"received": True, "status": "processed", "duplicate": True}
    assert len(queue.sent) == 2  # the handled one is not sent again


def test_a_bad_signature_is_still_refused_and_stores_nothing(
    app: Flask, queue: RecordingQueue
) -> None:
    payload = json.dumps(se.event("customer.created", se.fixture("customer"))).encode()
    response = app.test_client().post(
        "/webhook", data=payload, headers={"Stripe-Signature": se.sign(payload, "whsec_other")}
    )
    assert response.status_code == 400
    assert inbox(app) == {}
    assert queue.sent == []


def test_with_the_broker_down_the_answer_is_still_2xx_and_the_inbox_holds_the_event(
    app: Flask,
) -> None:
    client = app.test_client()
    register_and_log_in(client)
    data = created_event(app)

    response = post(client, data)

    assert response.status_code == 200
    assert response.get_json()["status"] == "received"
    assert inbox(app)[data["id"]].status is EventStatus.RECEIVED


def test_queue_mode_without_a_broker_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="WEBHOOK_PROCESSING=queue needs BROKER_URL"):
        Settings.from_env({"SECRET_KEY": "x" * 40, "WEBHOOK_PROCESSING": "queue"})
    with pytest.raises(ConfigurationError, match="inline or queue"):
        Settings.from_env({"SECRET_KEY": "x" * 40, "WEBHOOK_PROCESSING": "later"})
