"""No form input makes a form answer 500, whatever the body's kind (form-encoded,
multipart, JSON, raw bytes), and a refused form stores nothing."""

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from adapters.argon2_hasher import OWASP_MINIMUM, Argon2PasswordHasher
from adapters.memory import FakePasswordHasher, FakePaymentGateway, ManualClock
from adapters.sqlalchemy.tables import UserRow
from entrypoints.flask_app import create_app
from tests.e2e.conftest import sqlite_settings
from tests.e2e.support import form_token

# Text as a form can carry it: any unicode (no lone surrogates: they cannot be sent),
# with the awkward corners weighted in.
form_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", " ", "\x00", "a@b", "@", "a@b.co", "x" * 2000, "é@ü.de", "<script>"]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=5000),
)
field_names = st.sampled_from(["email", "password", "csrf_token", "next", "extra"])


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    app = create_app(sqlite_settings(tmp))
    # argon2id at OWASP's minimum: the real hasher, cheap enough for many examples.
    app.extensions["container"].hasher.override(Argon2PasswordHasher(OWASP_MINIMUM))
    yield app


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(["/register", "/login"]),
    fields=st.dictionaries(field_names, form_text, max_size=5),
    with_token=st.booleans(),
)
def test_no_form_input_makes_register_or_log_in_answer_500(
    app: Flask, path: str, fields: dict[str, str], with_token: bool
) -> None:
    client = app.test_client()
    if with_token:
        fields = {**fields, "csrf_token": form_token(client, path)}
    before = _count_all_users(app)

    response = client.post(path, data=fields)

    assert response.status_code < 500
    assert response.status_code in (200, 303, 400, 401, 409, 413, 429)
    if response.status_code != 303 or path != "/register":
        assert _count_all_users(app) == before


def _count_all_users(app: Flask) -> int:
    with app.extensions["container"].engine().connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(UserRow)) or 0)


SIGNED_IN_FORMS = [
    "/logout",
    "/create-checkout-session",
    "/billing-portal",
    "/free",
    "/premium",
    "/register",
    "/login",
]


@pytest.fixture(scope="module")
def signed_in_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    # Each example logs in again: lift the limits, which the security tests cover.
    app = create_app(
        sqlite_settings(
            tmp_path_factory.mktemp("fuzz-signed-in"),
            login_rate_limit="10000 per minute",
            login_rate_limit_per_address="10000 per minute",
        )
    )
    container = app.extensions["container"]
    container.hasher.override(FakePasswordHasher())
    container.gateway.override(FakePaymentGateway(ManualClock()))
    client = app.test_client()
    token = form_token(client, "/register")
    data = {"csrf_token": token, "email": "fuzz@example.com", "password": "a fine passphrase"}
    assert client.post("/register", data=data).status_code == 303
    yield app


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(SIGNED_IN_FORMS),
    fields=st.dictionaries(field_names, form_text, max_size=5),
    with_token=st.booleans(),
)
def test_no_input_to_any_form_of_a_signed_in_user_answers_500(
    signed_in_app: Flask, path: str, fields: dict[str, str], with_token: bool
) -> None:
    client = signed_in_app.test_client()
    token = form_token(client, "/login")
    login = {"csrf_token": token, "email": "fuzz@example.com", "password": "a fine passphrase"}
    assert client.post("/login", data=login).status_code == 303
    if with_token:
        fields = {**fields, "csrf_token": form_token(client, "/account")}
    before = _count_all_users(signed_in_app)

    response = client.post(path, data=fields)

    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if path != "/register":
        assert _count_all_users(signed_in_app) == before


# -- any body: JSON, multipart, form-encoded, raw bytes ---------------------------------
# Flask-WTF reads JSON and file uploads as form data too. Every form route gets bodies
# of every kind, with a valid CSRF token (in the X-CSRFToken header, or as a field) or
# without one: never a 5xx, and a refused body stores nothing.

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    form_text,
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),  # lone surrogates
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
json_documents = st.one_of(
    st.dictionaries(field_names, form_text, max_size=4),  # well formed: text fields
    st.dictionaries(field_names, json_values, max_size=4),  # the fields, any values
    json_values,  # any document at all
)
file_parts = st.tuples(st.binary(max_size=200), st.sampled_from(["f.txt", "", "x.bin"]))
bodies = st.one_of(
    st.tuples(st.just("json"), json_documents),
    st.tuples(st.just("form"), st.dictionaries(field_names, form_text, max_size=5)),
    st.tuples(
        st.just("multipart"),
        st.dictionaries(field_names, st.one_of(form_text, file_parts), max_size=5),
    ),
    st.tuples(st.sampled_from(["raw-json", "raw-form", "raw-multipart"]), st.binary(max_size=300)),
)
RAW_TYPES = {
    "raw-json": "application/json",
    "raw-form": "application/x-www-form-urlencoded",
    "raw-multipart": "multipart/form-data; boundary=xyz",
}


def _request(kind: str, body: Any, token: str | None, in_header: bool) -> dict[str, Any]:
    """The test client's keyword arguments for a body of `kind`, with `token` (if any)
    in the X-CSRFToken header or, for form bodies, as the csrf_token field."""
    headers = {"X-CSRFToken": token} if token and in_header else {}
    if kind == "json":
        return {"data": json.dumps(body), "content_type": "application/json", "headers": headers}
    if kind in RAW_TYPES:
        return {"data": body, "content_type": RAW_TYPES[kind], "headers": headers}
    fields = {
        name: (io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value
        for name, value in body.items()
    }
    if token and not in_header:
        fields["csrf_token"] = token
    content_type = "multipart/form-data" if kind == "multipart" else None
    return {"data": fields, "content_type": content_type, "headers": headers}


def _unreadable_json(body: Any) -> bool:
    """A JSON document that is not an object of valid text values."""
    if not isinstance(body, dict):
        return True
    return not all(isinstance(v, str) and _is_valid_text(v) for v in body.values())


def _is_valid_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@pytest.fixture(scope="module")
def any_body_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    # The real hasher (at OWASP's minimum, cheap enough): a dict or a lone surrogate fed
    # to argon2 is what crashed. Limits lifted: each example logs in again.
    app = create_app(
        sqlite_settings(
            tmp_path_factory.mktemp("fuzz-any-body"),
            login_rate_limit="10000 per minute",
            login_rate_limit_per_address="10000 per minute",
            register_rate_limit="10000 per minute",
        )
    )
    container = app.extensions["container"]
    container.hasher.override(Argon2PasswordHasher(OWASP_MINIMUM))
    container.gateway.override(FakePaymentGateway(ManualClock()))
    client = app.test_client()
    data = {
        "csrf_token": form_token(client, "/register"),
        "email": "fuzz@example.com",
        "password": "a fine passphrase",
    }
    assert client.post("/register", data=data).status_code == 303
    yield app


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(SIGNED_IN_FORMS),
    body=bodies,
    with_token=st.booleans(),
    in_header=st.booleans(),
)
def test_no_body_of_any_kind_to_any_form_answers_5xx(
    any_body_app: Flask, path: str, body: tuple[str, Any], with_token: bool, in_header: bool
) -> None:
    client = any_body_app.test_client()
    login = {
        "csrf_token": form_token(client, "/login"),
        "email": "fuzz@example.com",
        "password": "a fine passphrase",
    }
    assert client.post("/login", data=login).status_code == 303
    token = form_token(client, "/account") if with_token else None
    kind, payload = body
    before = _count_all_users(any_body_app)

    response = client.post(path, **_request(kind, payload, token, in_header))

    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if not (path == "/register" and response.status_code == 303):
        assert _count_all_users(any_body_app) == before
    if path in ("/register", "/login") and token and in_header:
        # The token is valid, so the body reaches the form: refused only by its reason.
        if kind == "json" and _unreadable_json(payload):
            assert response.status_code == 400
        if kind == "multipart" and any(isinstance(v, tuple) for v in payload.values()):
            assert response.status_code == 400
