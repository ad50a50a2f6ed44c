"""/healthz, /readyz and /metrics (issue 13): what a load balancer and Prometheus see.

The counted metrics live in the process (no PROMETHEUS_MULTIPROC_DIR here), shared by
every app the test run builds: the tests compare a scrape before and after. Several
workers adding up is tests/integration/test_serve.py's, under gunicorn.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import pytest
import requests
from dependency_injector import providers
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from adapters.sqlalchemy.database import create_database_engine, migrate
from application.email_message import EmailMessage
from application.ports import EventStatus, InboxRecord, OutboxEntry, OutboxStatus
from domain.email import EmailAddress
from entrypoints.flask_app import create_app
from entrypoints.settings import Settings
from tests.e2e.conftest import TEST_SECRET_KEY, offline_stripe_app
from tests.e2e.support import LiveServer, serve
from tests.e2e.test_database_down import TcpForwarder
from tests.support import stripe_events as se

SIGNING_SECRET = "whsec_test_operations"
TOKEN = "metrics-token-0123456789abcdef"
HISTOGRAM = "premium_notes_http_request_duration_seconds"


def scrape(client: FlaskClient, **headers: str) -> dict[tuple[str, frozenset[Any]], float]:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.mimetype == "text/plain"
    return parse(answer.text)


def parse(exposition: str) -> dict[tuple[str, frozenset[Any]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[Any]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def post_event(client: FlaskClient, data: dict[str, Any]) -> Any:
    payload = json.dumps(data).encode()
    return client.post(
        "/webhook",
        data=payload,
        headers={"Stripe-Signature": se.sign(payload, SIGNING_SECRET)},
        content_type="application/json",
    )


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return offline_stripe_app(tmp_path, (SIGNING_SECRET,))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- /healthz and /readyz -------------------------------------------------------------


def test_healthz_answers_without_the_database(tmp_path: Path) -> None:
    settings = Settings(secret_key=TEST_SECRET_KEY, database_url="sqlite:////nonexistent/x.db")
    answer = create_app(settings).test_client().get("/healthz")

    assert (answer.status_code, answer.text, answer.mimetype) == (200, "ok\n", "text/plain")


def test_readyz_is_ready_on_a_migrated_database(client: FlaskClient) -> None:
    answer = client.get("/readyz")

    assert (answer.status_code, answer.text) == (200, "ready\n")
    assert answer.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_on_a_database_never_migrated(tmp_path: Path) -> None:
    settings = Settings(secret_key=TEST_SECRET_KEY, database_url=f"sqlite:///{tmp_path}/new.db")
    answer = create_app(settings).test_client().get("/readyz")

    assert answer.status_code == 503
    assert answer.text == "not ready: database schema not created: run migrate\n"


def test_readyz_is_503_while_the_schema_is_behind_the_code(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    engine = create_database_engine(url)
    migrate(engine, "0002")
    app = create_app(Settings(secret_key=TEST_SECRET_KEY, database_url=url))

    behind = app.test_client().get("/readyz")
    migrate(engine)
    migrated = app.test_client().get("/readyz")

    assert behind.status_code == 503
    assert behind.text == "not ready: database schema behind the code: run migrate\n"
    assert migrated.status_code == 200
    engine.dispose()


def test_readyz_stays_ready_when_a_newer_release_migrated_first(
    app: Flask, client: FlaskClient
) -> None:
    # Rolling upgrade: the new release's (additive) migration runs, old workers still
    # serve; a load balancer must not take them all out of service.
    with app.extensions["container"].engine().begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_later'"))

    assert client.get("/readyz").status_code == 200


@pytest.fixture
def forwarded_postgres(
    postgres_schema_url: str, postgres_session_factory: sessionmaker[Session]
) -> Iterator[tuple[LiveServer, TcpForwarder]]:
    url = make_url(postgres_schema_url)
    forwarder = TcpForwarder((url.host or "127.0.0.1", url.port or 5432))
    forwarded = url.set(host="127.0.0.1", port=forwarder.port)
    settings = Settings(
        secret_key=TEST_SECRET_KEY,
        database_url=forwarded.render_as_string(hide_password=False),
        stripe_secret_key="sk_test_offline",
        stripe_price_id="price_test_1",
        stripe_webhook_secrets=(SIGNING_SECRET,),
        stripe_api_base="http://127.0.0.1:9",
    )
    app = create_app(settings)
    try:
        with serve(app) as live:
            yield live, forwarder
    finally:
        forwarder.close()
        app.extensions["container"].engine().dispose()


@pytest.mark.postgres
def test_readyz_is_503_while_the_database_is_down_and_healthz_still_ok(
    forwarded_postgres: tuple[LiveServer, TcpForwarder],
) -> None:
    live, forwarder = forwarded_postgres
    assert requests.get(f"{live.url}/readyz", timeout=10).status_code == 200

    forwarder.close()
    ready = requests.get(f"{live.url}/readyz", timeout=10)
    healthy = requests.get(f"{live.url}/healthz", timeout=10)
    metrics = requests.get(f"{live.url}/metrics", timeout=10)

    assert (ready.status_code, ready.text) == (503, "not ready: database unreachable\n")
    assert str(forwarder.port) not in ready.text and "postgres" not in ready.text
    assert healthy.status_code == 200
    # The scrape still answers, and says the database could not be read.
    assert metrics.status_code == 200
    assert value(parse(metrics.text), "premium_notes_database_up") == 0


# --- /metrics -------------------------------------------------------------------------


def test_a_request_shows_in_the_latency_histogram_by_its_route_not_its_path(
    client: FlaskClient,
) -> None:
    before = scrape(client)
    assert client.get("/notes/no-such-note").status_code == 404
    assert client.get("/notes/another-missing-one").status_code == 404
    after = scrape(client)

    labels = {"method": "GET", "route": "/notes/<slug>", "status": "404"}
    count = HISTOGRAM + "_count"
    assert value(after, count, **labels) - value(before, count, **labels) == 2
    assert not any("no-such-note" in str(key) for key in after)


def test_webhook_events_are_counted_by_type_and_outcome(app: Flask, client: FlaskClient) -> None:
    name = "premium_notes_webhook_events_total"
    about_nobody = se.event("customer.subscription.updated", se.subscription(id="sub_nobody"))
    before = scrape(client)

    assert post_event(client, about_nobody).status_code == 200
    assert post_event(client, about_nobody).status_code == 200  # Stripe's retry
    assert post_event(client, se.event("charge.refunded", {"id": "ch_1"})).status_code == 200
    after = scrape(client)

    def delta(type_: str, outcome: str) -> float:
        labels = {"type": type_, "outcome": outcome}
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("customer.subscription.updated", "ignored") == 1
    assert delta("customer.subscription.updated", "duplicate") == 1
    assert delta("other", "ignored") == 1  # an unhandled type adds no series of its own


class _Broken:
    def execute(self, command: object) -> NoReturn:
        raise RuntimeError("the handler broke")


def test_a_webhook_answered_5xx_is_counted_as_an_error(app: Flask, client: FlaskClient) -> None:
    name = "premium_notes_webhook_events_total"
    labels = {"type": "customer.subscription.updated", "outcome": "error"}
    app.extensions["container"].apply_billing_event.override(providers.Object(_Broken()))
    before = value(scrape(client), name, **labels)

    answer = post_event(client, se.event("customer.subscription.updated", se.subscription()))

    assert answer.status_code == 500
    assert value(scrape(client), name, **labels) - before == 1


def test_failed_events_and_the_oldest_received_are_read_from_the_inbox(
    app: Flask, client: FlaskClient
) -> None:
    container = app.extensions["container"]
    now = datetime.now(UTC)
    with container.uow() as uow:
        for number in (1, 2):
            uow.events.record(
                InboxRecord(f"evt_failed_{number}", "invoice.paid", EventStatus.FAILED, now, "{}")
            )
        uow.commit()
    # No code stores `received` yet (the queue mode will): written as it will write it.
    with container.engine().begin() as connection:
        for number, age in ((1, 600), (2, 30)):
            connection.execute(
                text(
                    "INSERT INTO billing_events (event_id, provider_type, status, received_at,"
                    " payload) VALUES (:id, 'invoice.paid', 'received', :at, '{}')"
                ),
                {"id": f"evt_waiting_{number}", "at": now - timedelta(seconds=age)},
            )

    samples = scrape(client)

    assert value(samples, "premium_notes_inbox_failed_events") == 2
    assert value(samples, "premium_notes_inbox_received_events") == 2
    assert 600 <= value(samples, "premium_notes_inbox_oldest_received_age_seconds") < 3600
    assert value(samples, "premium_notes_database_up") == 1


def test_emails_pending_and_given_up_are_read_from_the_outbox(
    app: Flask, client: FlaskClient
) -> None:
    now = datetime.now(UTC)
    message = EmailMessage(EmailAddress("reader@example.com"), "Hello", "Hello there.")
    entries = [
        OutboxEntry("cause:old", message, now - timedelta(seconds=900)),
        OutboxEntry("cause:new", message, now - timedelta(seconds=5)),
        OutboxEntry("cause:retrying", message, now, attempts=2, next_attempt_at=now),
        OutboxEntry("cause:sent", message, now - timedelta(days=1), OutboxStatus.SENT),
        OutboxEntry("cause:given-up", message, now, OutboxStatus.FAILED, attempts=8),
    ]
    with app.extensions["container"].uow() as uow:
        for entry in entries:
            uow.outbox.add(entry)
        uow.commit()

    samples = scrape(client)

    assert value(samples, "premium_notes_emails_pending") == 3
    assert value(samples, "premium_notes_emails_failed") == 1
    assert 900 <= value(samples, "premium_notes_emails_oldest_pending_age_seconds") < 3600
    assert "reader@example.com" not in client.get("/metrics").text


def test_metrics_answer_loopback_only_without_a_token(client: FlaskClient) -> None:
    elsewhere = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    forwarded = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})

    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert elsewhere.status_code == 404
    assert forwarded.status_code == 404  # a proxy on this machine relays the world


def test_metrics_need_the_bearer_token_when_one_is_set(tmp_path: Path) -> None:
    client = offline_stripe_app(tmp_path, (SIGNING_SECRET,), metrics_token=TOKEN).test_client()

    missing = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
    right = client.get(
        "/metrics",
        headers={"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )

    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert TOKEN not in missing.text + wrong.text
    assert right.status_code == 200
    assert "premium_notes_database_up" in right.text


def test_metrics_are_404_when_disabled(tmp_path: Path) -> None:
    client = offline_stripe_app(
        tmp_path, (SIGNING_SECRET,), metrics_enabled=False, metrics_token=TOKEN
    ).test_client()

    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
