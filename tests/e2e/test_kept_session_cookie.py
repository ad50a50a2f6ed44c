"""The session cookie Flask would read, opened once per cookie (issue 10, third round):
never past its lifetime, never once changed; Flask-Login's identifier of the client,
hashed once per client (fourth round)."""

import time
from collections.abc import Iterator
from pathlib import Path

import flask_login.utils as flask_login_utils
import pytest
from flask import Flask, request

from entrypoints.flask_app.session_cookie import (
    KEPT_COOKIE_HEADER_SIZE,
    KeptCookiesRequest,
    kept_session_identifier,
)
from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import signed_in


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = offline_stripe_app(tmp_path, ("whsec_kept",))
    yield app
    app.extensions["container"].engine().dispose()


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


@pytest.mark.parametrize(
    "headers",
    [
        {"User-Agent": "Mozilla/5.0 (X11) Firefox/140.0"},
        {},
        {"User-Agent": "Mozilla/5.0", "X-Forwarded-For": "203.0.113.7, 10.0.0.1"},
        {"User-Agent": "Agent with ünïcode", "X-Forwarded-For": " 198.51.100.2 "},
    ],
)
def test_the_kept_session_identifier_is_flask_logins_own_for_each_client(
    headers: dict[str, str],
) -> None:
    app = Flask(__name__)
    for address in ("127.0.0.1", "192.0.2.9"):
        environ = {"REMOTE_ADDR": address}
        with app.test_request_context("/", headers=headers, environ_base=environ):
            assert kept_session_identifier() == flask_login_utils._create_identifier()
            assert kept_session_identifier() == flask_login_utils._create_identifier()  # kept


def test_kept_cookies_are_each_requests_own_header_parsed() -> None:
    app = Flask(__name__)
    app.request_class = KeptCookiesRequest
    long = "x" * (KEPT_COOKIE_HEADER_SIZE + 1)
    for header, expected in [
        ("session=abc; theme=dark", {"session": "abc", "theme": "dark"}),
        ("session=abc; theme=dark", {"session": "abc", "theme": "dark"}),  # kept
        ("session=abd; theme=dark", {"session": "abd", "theme": "dark"}),  # changed
        ("", {}),
        (f"big={long}", {"big": long}),  # parsed each time, not kept
        ("session=abc; theme=dark", {"session": "abc", "theme": "dark"}),
    ]:
        headers = {"Cookie": header} if header else {}
        with app.test_request_context("/", headers=headers):
            cookies = request.cookies
            assert cookies.to_dict() == expected
            with pytest.raises(TypeError):
                cookies["session"] = "changed"  # shared between requests: immutable


def test_a_signed_in_page_reads_a_changed_session_cookie(app: Flask) -> None:
    ann = signed_in(app, "ann@example.com")
    assert ann.get("/account").status_code == 200
    cookie = ann.get_cookie("session")
    assert cookie is not None

    ann.set_cookie("session", cookie.value[:-2] + "xx")  # a signature that fails

    assert ann.get("/account").status_code == 302  # to log-in: not the kept cookies
