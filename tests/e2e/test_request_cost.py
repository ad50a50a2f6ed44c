"""What a request costs the database: the statements it sends, counted (not timed).

Issue 10: a premium page read the user twice (the session's user loader, then the access
check), each time as two queries; a webhook looked its event up before inserting it.
"""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event

from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import form_token, user_id_of
from tests.support import stripe_events as se

SECRET = "whsec_request_cost"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = offline_stripe_app(tmp_path, (SECRET,))
    yield app
    app.extensions["container"].engine().dispose()


class Statements:
    def __init__(self, engine: Engine) -> None:
        self.sent: list[str] = []
        self._engine = engine

    def __enter__(self) -> "Statements":
        event.listen(self._engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.sent.append(" ".join(statement.split()))


def post_event(client: FlaskClient, data: dict[str, Any]) -> Any:
    payload = json.dumps(data).encode()
    return client.post(
        "/webhook",
        data=payload,
        headers={"Stripe-Signature": se.sign(payload, SECRET)},
        content_type="application/json",
    )


def subscriber(app: Flask) -> FlaskClient:
    client = app.test_client()
    data = {"csrf_token": form_token(client, "/register"), "email": "ann@example.com"}
    data["password"] = "pw-" * 4
    assert client.post("/register", data=data).status_code == 303
    assert client.post("/login", data=data).status_code == 303
    user_id = user_id_of(app, "ann@example.com")
    answer = post_event(
        client, se.event("customer.subscription.created", se.subscription(user_id=user_id))
    )
    assert answer.get_json()["status"] == "processed"
    return client


def test_a_premium_page_reads_the_user_once_with_their_subscriptions(app: Flask) -> None:
    client = subscriber(app)

    with Statements(app.extensions["container"].engine()) as statements:
        page = client.get("/premium")

    assert page.status_code == 200 and "Premium content" in page.get_data(as_text=True)
    assert len(statements.sent) == 1, statements.sent
    assert "JOIN subscriptions" in " ".join(statements.sent)


def test_a_premium_page_sends_one_statement_on_the_drivers_connection(app: Flask) -> None:
    # Nothing listens to the engine's statements here: the page's read takes the
    # driver's connection (adapters/sqlalchemy/driver_reads.py). SQLite's own trace
    # sees every statement that connection runs, whatever sent it.
    client = subscriber(app)
    sent: list[str] = []

    def trace(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.set_trace_callback(lambda sql: sent.append(" ".join(sql.split())))

    pool = app.extensions["container"].engine().pool
    event.listen(pool, "checkout", trace)
    try:
        page = client.get("/premium")
    finally:
        event.remove(pool, "checkout", trace)

    assert page.status_code == 200 and "Premium content" in page.get_data(as_text=True)
    assert len(sent) == 1, sent
    assert "JOIN subscriptions" in sent[0]


def test_a_premium_page_takes_one_connection_and_makes_no_orm_session(app: Flask) -> None:
    # A reader's ORM session (and the connection it binds) is made only when something
    # uses it: a page's one read runs on the driver's connection alone.
    client = subscriber(app)
    checkouts: list[object] = []

    def count(*_: Any) -> None:
        checkouts.append(object())

    pool = app.extensions["container"].engine().pool
    event.listen(pool, "checkout", count)
    try:
        page = client.get("/premium")
    finally:
        event.remove(pool, "checkout", count)

    assert page.status_code == 200 and "Premium content" in page.get_data(as_text=True)
    assert len(checkouts) == 1


def test_a_new_webhook_event_is_claimed_by_one_insert_without_a_look_up(app: Flask) -> None:
    client = subscriber(app)
    again = se.event("customer.subscription.updated", se.subscription(), created=1)  # stale

    with Statements(app.extensions["container"].engine()) as statements:
        answer = post_event(client, again)

    assert answer.get_json()["status"] == "ignored"
    assert not any("FROM billing_events" in s for s in statements.sent), statements.sent
    assert sum(s.startswith("INSERT INTO billing_events") for s in statements.sent) == 1
    assert not any(s.startswith("UPDATE") for s in statements.sent), statements.sent


def test_a_signed_in_page_does_not_send_the_session_cookie_again(app: Flask) -> None:
    client = subscriber(app)
    assert client.get("/premium").status_code == 200  # the first page adds a CSRF token

    page = client.get("/premium")

    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers


def test_the_rate_limiter_runs_only_on_the_routes_it_limits(app: Flask) -> None:
    limiter_hooks = [
        hook
        for hook in app.before_request_funcs.get(None, [])
        if "limiter" in repr(getattr(hook, "__self__", hook)).lower()
    ]
    assert limiter_hooks == []
    assert any(
        "limiter" in repr(getattr(h, "__self__", h)).lower()
        for h in app.before_request_funcs.get("auth", [])
    )


@pytest.mark.postgres
def test_a_webhook_on_postgresql_costs_four_round_trips(
    tmp_path: Path, postgres_schema_url: str, postgres_session_factory: object
) -> None:
    """BEGIN, the user locked and read with their subscriptions (one statement), the
    claim, COMMIT: issue 10 counted five (the subscriptions were a second SELECT)."""
    app = offline_stripe_app(tmp_path, (SECRET,), database_url=postgres_schema_url)
    client = subscriber(app)
    stale = se.event("customer.subscription.updated", se.subscription(), created=1)
    engine = app.extensions["container"].engine()
    trips: list[str] = []
    hooks: dict[str, Callable[..., None]] = {
        "before_cursor_execute": lambda _c, _cur, statement, *_: trips.append(statement),
        "begin": lambda _c: trips.append("BEGIN"),
        "commit": lambda _c: trips.append("COMMIT"),
        "rollback": lambda _c: trips.append("ROLLBACK"),
    }
    for name, hook in hooks.items():
        event.listen(engine, name, hook)
    try:
        answer = post_event(client, stale)
    finally:
        for name, hook in hooks.items():
            event.remove(engine, name, hook)
        engine.dispose()

    assert answer.get_json()["status"] == "ignored"
    kinds = [" ".join(trip.split())[:40] for trip in trips]
    assert len(trips) == 4, kinds
    assert kinds[0] == "BEGIN" and kinds[-1] == "COMMIT", kinds
