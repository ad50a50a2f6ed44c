"""One log line a request, searchable by request id, with no secret in it (issue 13).

The lines are captured as the JSON formatter writes them (LOG_FORMAT=json), from a
journey that handles every secret the service knows: a password, an email, the session
cookie, a CSRF token, SECRET_KEY, a webhook signing secret and its signature.
"""

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from entrypoints.logs import JsonFormatter, TextFormatter
from tests.e2e.conftest import TEST_SECRET_KEY, offline_stripe_app
from tests.e2e.support import form_token, user_id_of
from tests.support import stripe_events as se

SIGNING_SECRET = "whsec_test_request_log_secret"
EMAIL = "Logged.Person@example.com"
PASSWORD = "correct horse battery staple"
ACCESS = "premium_notes.access"
FIELDS = {"ts", "level", "logger", "msg", "method", "route", "status", "duration_ms"}
FIELDS |= {"request_id", "remote_addr", "user_id"}


@pytest.fixture
def captured() -> Iterator[Callable[[], str]]:
    """Everything logged at INFO and up while the test runs, as written in JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream.getvalue
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def access_lines(text: str) -> list[dict[str, Any]]:
    return [line for line in lines(text) if line["logger"] == ACCESS]


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return offline_stripe_app(tmp_path, (SIGNING_SECRET,))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_a_journey_logs_one_line_a_request_with_its_fields_and_no_secret(
    app: Flask, client: FlaskClient, captured: Callable[[], str]
) -> None:
    token = form_token(client, "/register")
    fields = {"csrf_token": token, "email": EMAIL, "password": PASSWORD}
    assert client.post("/register", data=fields).status_code == 303
    assert client.post("/login", data={**fields, "password": "wrong " + PASSWORD}).status_code
    assert client.post("/login", data=fields).status_code == 303
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert client.get("/account").status_code == 200
    assert client.get("/notes/no-such-note?token=query-secret-value").status_code == 404
    payload = json.dumps(se.event("customer.subscription.updated", se.subscription())).encode()
    signature = se.sign(payload, SIGNING_SECRET)
    webhook = client.post("/webhook", data=payload, headers={"Stripe-Signature": signature})
    assert webhook.status_code == 200
    text = captured()

    logged = access_lines(text)
    # The form, three posts, the account page, the 404 and the webhook.
    assert len(logged) == 7
    for line in logged:
        assert set(line) == FIELDS, line
        assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    by_route = {(line["method"], line["route"]): line for line in logged}
    user_id = user_id_of(app, EMAIL)
    assert by_route[("GET", "/account")]["user_id"] == user_id
    assert by_route[("GET", "/account")]["status"] == 200
    assert by_route[("GET", "/register")]["user_id"] is None
    assert by_route[("GET", "/notes/<slug>")]["status"] == 404  # the rule, not the path
    assert by_route[("POST", "/webhook")]["status"] == 200
    for secret in (
        PASSWORD,
        EMAIL,
        EMAIL.lower(),
        cookie.value,
        token,
        TEST_SECRET_KEY,
        SIGNING_SECRET,
        signature,
        "query-secret-value",
        "no-such-note",
    ):
        assert secret not in text, secret


def test_a_well_formed_request_id_is_kept_and_echoed_and_another_is_replaced(
    client: FlaskClient, captured: Callable[[], str]
) -> None:
    kept = client.get("/login", headers={"X-Request-ID": "lb-7f3a9c.42"})
    replaced = client.get("/login", headers={"X-Request-ID": 'bad id"<script>'})
    made = client.get("/login")

    ids = [line["request_id"] for line in access_lines(captured())]
    assert kept.headers["X-Request-ID"] == "lb-7f3a9c.42"
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    assert made.headers["X-Request-ID"] != replaced.headers["X-Request-ID"]
    assert ids == [r.headers["X-Request-ID"] for r in (kept, replaced, made)]
    assert "<script>" not in captured()


def test_the_error_page_shows_the_request_id(client: FlaskClient) -> None:
    answer = client.get("/no-such-page", headers={"X-Request-ID": "support-ticket-1234"})

    assert answer.status_code == 404
    assert answer.headers["X-Request-ID"] == "support-ticket-1234"
    assert "support-ticket-1234" in answer.text


def test_lines_logged_while_a_request_runs_carry_its_id(
    client: FlaskClient, captured: Callable[[], str]
) -> None:
    payload = json.dumps(se.event("customer.subscription.updated", se.subscription())).encode()
    headers = {"Stripe-Signature": "t=1,v1=forged", "X-Request-ID": "forged-webhook-1"}
    assert client.post("/webhook", data=payload, headers=headers).status_code == 400

    refused = [line for line in lines(captured()) if line["msg"].startswith("webhook refused")]
    assert len(refused) == 1
    assert refused[0]["request_id"] == "forged-webhook-1"


def test_successful_health_checks_are_counted_but_not_logged(
    client: FlaskClient, captured: Callable[[], str]
) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200

    assert access_lines(captured()) == []


def test_the_text_format_puts_the_fields_after_the_message() -> None:
    record = logging.LogRecord(ACCESS, logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"method": "GET", "route": "/", "status": 200, "user_id": None}

    line = TextFormatter().format(record)

    assert line.endswith(f"{ACCESS}: request method=GET route=/ status=200")


@pytest.mark.parametrize(
    ("created", "ts"),
    [
        (1_767_225_599.9995, "2025-12-31T23:59:59.999Z"),
        (1_767_225_600.0, "2026-01-01T00:00:00.000Z"),  # the next second, formatted anew
        (1_767_225_600.25, "2026-01-01T00:00:00.250Z"),  # the same second, kept
        (1_767_225_599.5, "2025-12-31T23:59:59.500Z"),  # a clock set back
        (0.001, "1970-01-01T00:00:00.001Z"),
    ],
)
def test_the_json_time_is_utc_to_the_millisecond_in_every_second(created: float, ts: str) -> None:
    formatter = JsonFormatter()
    for when in (created - 1, created):  # the second before, then this one
        record = logging.LogRecord(ACCESS, logging.INFO, __file__, 1, "request", None, None)
        record.created = when
        record.fields = {"odd": Path("/x")}  # not JSON: written as str()

        line = json.loads(formatter.format(record))

    assert line["ts"] == ts
    assert line["odd"] == "/x"
