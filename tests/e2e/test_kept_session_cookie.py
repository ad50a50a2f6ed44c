"""The session cookie Flask would read, opened once per cookie (issue 10, third round):
never past its lifetime, never once changed."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import form_token


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = offline_stripe_app(tmp_path, ("whsec_kept",))
    yield app
    app.extensions["container"].engine().dispose()


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    data = {"csrf_token": form_token(client, "/register"), "email": email, "password": "pw-" * 4}
    assert client.post("/register", data=data).status_code == 303
    assert client.post("/login", data=data).status_code == 303
    return client


def test_a_session_cookie_read_before_still_ends_with_its_lifetime(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = signed_in(app, "ann@example.com")
    assert ann.get("/account").status_code == 200  # the cookie is verified, and kept
    lifetime = app.permanent_session_lifetime.total_seconds()
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + lifetime + 5)

    page = ann.get("/account")

    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_session_cookie_changed_by_one_byte_is_not_read(app: Flask) -> None:
    ann = signed_in(app, "ann@example.com")
    assert ann.get("/account").status_code == 200
    cookie = ann.get_cookie("session")
    assert cookie is not None
    value = cookie.value
    # A character of the payload: the signature's last one may carry only padding bits.
    tampered = value[:1] + ("A" if value[1] != "A" else "B") + value[2:]
    ann.set_cookie("session", tampered)

    assert ann.get("/account").status_code == 302
