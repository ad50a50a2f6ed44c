"""No form input makes the register or log-in page answer 500, and a refused form
stores nothing."""

from collections.abc import Iterator
from pathlib import Path

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
