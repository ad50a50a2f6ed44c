"""Issue 8, item 7: odd form bodies answer 400 with the reason, never 500.

Every form field is text: form-encoded and multipart text fields, or a JSON object
whose values are all strings. Anything else is refused before a validator or the
password hasher sees it, and nothing is stored.
"""

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from adapters.argon2_hasher import OWASP_MINIMUM, Argon2PasswordHasher
from adapters.sqlalchemy.tables import UserRow
from entrypoints.flask_app import create_app
from tests.e2e.conftest import offline_stripe_app, sqlite_settings
from tests.e2e.support import form_token

EMAIL = "bodies@example.com"
PASSWORD = "a fine passphrase"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = create_app(sqlite_settings(tmp_path))
    # The real hasher: a dict or a lone surrogate fed to argon2 is what crashed.
    app.extensions["container"].hasher.override(Argon2PasswordHasher(OWASP_MINIMUM))
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _csrf(client: FlaskClient) -> dict[str, str]:
    return {"X-CSRFToken": form_token(client, "/register")}


def _count_users(app: Flask) -> int:
    with app.extensions["container"].engine().connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(UserRow)) or 0)


def _file(text: str) -> Callable[[], tuple[io.BytesIO, str]]:
    return lambda: (io.BytesIO(text.encode()), "field.txt")  # a fresh stream per request


ODD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("number-email", {"json": {"email": 12345, "password": PASSWORD}}, "must be text"),
    ("number-password", {"json": {"email": EMAIL, "password": 1234567890}}, "must be text"),
    ("object-password", {"json": {"email": EMAIL, "password": {"a": "b"}}}, "must be text"),
    ("list-email", {"json": {"email": [EMAIL], "password": PASSWORD}}, "must be text"),
    ("null-password", {"json": {"email": EMAIL, "password": None}}, "must be text"),
    ("json-list", {"json": [["email", EMAIL], ["password", PASSWORD]]}, "JSON object"),
    ("json-string", {"json": "email"}, "JSON object"),
    ("json-null", {"data": b"null", "content_type": "application/json"}, "JSON object"),
    (
        "broken-json",
        {"data": b'{"email": ', "content_type": "application/json"},
        "JSON object",
    ),
    ("lone-surrogate", {"json": {"email": EMAIL, "password": "\ud800 passphrase"}}, "valid text"),
    (
        "deeply-nested-json",
        {"data": b"[" * 5000 + b"]" * 5000, "content_type": "application/json"},
        "JSON object",
    ),
    (
        "email-as-file",
        {"data": {"email": _file(EMAIL), "password": PASSWORD}},
        "no files",
    ),
    (
        "password-as-file",
        {"data": {"email": EMAIL, "password": _file(PASSWORD)}},
        "no files",
    ),
]


@pytest.mark.parametrize("path", ["/register", "/login"])
@pytest.mark.parametrize(
    ("body", "reason"), [(b, r) for _, b, r in ODD_BODIES], ids=[i for i, _, _ in ODD_BODIES]
)
def test_odd_form_bodies_answer_400_with_the_reason_not_500(
    app: Flask, client: FlaskClient, path: str, body: dict[str, Any], reason: str
) -> None:
    if path == "/login":  # a real account, so that the hasher would run
        client.post("/register", json={"email": EMAIL, "password": PASSWORD}, headers=_csrf(client))
    if isinstance(body.get("data"), dict):
        body = {"data": {k: v() if callable(v) else v for k, v in body["data"].items()}}
    before = _count_users(app)

    response = client.post(path, headers=_csrf(client), **body)

    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    assert reason in response.get_data(as_text=True)
    assert _count_users(app) == before


def test_a_json_object_of_text_fields_registers_and_logs_in(
    app: Flask, client: FlaskClient
) -> None:
    fields = {"email": EMAIL, "password": PASSWORD}

    assert client.post("/register", json=fields, headers=_csrf(client)).status_code == 303
    assert client.post("/login", json=fields, headers=_csrf(client)).status_code == 303
    assert client.get("/account").status_code == 200
    assert _count_users(app) == 1


def test_a_multipart_form_of_text_fields_registers(app: Flask, client: FlaskClient) -> None:
    fields = {"csrf_token": form_token(client, "/register"), "email": EMAIL, "password": PASSWORD}

    response = client.post("/register", data=fields, content_type="multipart/form-data")

    assert response.status_code == 303
    assert _count_users(app) == 1


def test_deeply_nested_json_log_ins_are_counted_by_the_limit(client: FlaskClient) -> None:
    body = b"[" * 5000 + b"]" * 5000
    statuses = [
        client.post(
            "/login", data=body, content_type="application/json", headers=_csrf(client)
        ).status_code
        for _ in range(40)
    ]
    assert set(statuses) <= {400, 429}
    assert 429 in statuses


def test_the_price_chosen_is_read_however_the_form_is_sent(tmp_path: Path) -> None:
    app = offline_stripe_app(tmp_path, ("whsec_test_x",))
    client = app.test_client()
    headers = _csrf(client)
    client.post("/register", json={"email": EMAIL, "password": PASSWORD}, headers=headers)
    client.post("/login", json={"email": EMAIL, "password": PASSWORD}, headers=headers)
    headers = {"X-CSRFToken": form_token(client, "/account")}  # the log-in's new session

    chosen = client.post("/create-checkout-session", json={"price": "nope"}, headers=headers)
    uploaded = client.post(
        "/create-checkout-session",
        data={"price": (io.BytesIO(b"basic_monthly"), "price.txt")},
        headers=headers,
    )

    assert chosen.status_code == 303  # read: an unknown plan, back to the pricing page
    assert "/pricing" in chosen.headers["Location"]
    assert uploaded.status_code == 400
