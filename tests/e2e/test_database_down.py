"""Issue 8, item 9: with the database down, pages answer the app's own 503 page and the
webhook a short 503 (so Stripe retries), never a bare 500.

The app reaches PostgreSQL through a TCP forwarder in the test: sign up through it,
then close it and every connection it carried, so the database's port is closed. The
error page must not need the database (the signed-in nav's user loader does).
"""

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
import requests
from dependency_injector import providers
from sqlalchemy import exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from adapters.memory import FakePasswordHasher
from entrypoints.flask_app import create_app
from entrypoints.settings import Settings
from tests.e2e.conftest import TEST_SECRET_KEY, offline_stripe_app
from tests.e2e.support import LiveServer, form_token, serve
from tests.support import stripe_events as se

EMAIL = "down@example.com"
PASSWORD = "a fine passphrase"
SIGNING_SECRET = "whsec_test_database_down"


class TcpForwarder:
    """Listens on 127.0.0.1 and an ephemeral port and pipes each connection to a target.
    `close()` stops listening and cuts every piped connection: the port is then closed,
    as a stopped database's is."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._closed:
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sockets, self._sockets = self._sockets, []
        self._listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.fixture
def database_through_forwarder(
    postgres_schema_url: str, postgres_session_factory: sessionmaker[Session]
) -> Iterator[tuple[str, TcpForwarder]]:
    """The run's PostgreSQL schema (migrated, tables emptied), reached through a
    forwarder: its URL and the forwarder."""
    url = make_url(postgres_schema_url)
    forwarder = TcpForwarder((url.host or "127.0.0.1", url.port or 5432))
    try:
        forwarded = url.set(host="127.0.0.1", port=forwarder.port)
        yield forwarded.render_as_string(hide_password=False), forwarder
    finally:
        forwarder.close()


@pytest.fixture
def live(database_through_forwarder: tuple[str, TcpForwarder]) -> Iterator[LiveServer]:
    database_url, _ = database_through_forwarder
    settings = Settings(
        secret_key=TEST_SECRET_KEY,
        database_url=database_url,
        stripe_secret_key="sk_test_offline",
        stripe_price_id="price_test_1",
        stripe_webhook_secrets=(SIGNING_SECRET,),
        stripe_api_base="http://127.0.0.1:9",  # closed: no Stripe call is made here
    )
    app = create_app(settings)
    app.extensions["container"].hasher.override(FakePasswordHasher())
    with serve(app) as server:
        yield server
    app.extensions["container"].engine().dispose()


def _assert_own_503_page(response: requests.Response | TestResponse) -> None:
    text = response.text
    assert response.status_code == 503, text[:300]
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Premium Notes" in text  # the app's own layout
    assert "try again" in text
    assert "Internal Server Error" not in text
    assert "Traceback" not in text


@pytest.mark.postgres
def test_database_down_signed_in_pages_answer_the_apps_own_503(
    live: LiveServer, database_through_forwarder: tuple[str, TcpForwarder]
) -> None:
    _, forwarder = database_through_forwarder
    browser = live.browser().sign_up(EMAIL, PASSWORD)
    assert browser.get("/account").status_code == 200

    forwarder.close()

    for path in ("/account", "/premium", "/notes", "/"):
        response = browser.get(path, allow_redirects=False)
        _assert_own_503_page(response)
        assert "Log out" not in response.text  # the nav needs the user: left out


@pytest.mark.postgres
def test_database_down_log_in_and_register_answer_the_apps_own_503(
    live: LiveServer, database_through_forwarder: tuple[str, TcpForwarder]
) -> None:
    _, forwarder = database_through_forwarder
    live.browser().register(EMAIL, PASSWORD)
    forwarder.close()

    browser = live.browser()
    assert browser.get("/login").status_code == 200  # needs no database
    _assert_own_503_page(browser.submit("/login", {"email": EMAIL, "password": PASSWORD}))
    browser.get("/register")
    _assert_own_503_page(
        browser.submit("/register", {"email": "b@example.com", "password": PASSWORD})
    )


@pytest.mark.postgres
def test_database_down_the_webhook_answers_a_short_503_so_stripe_retries(
    live: LiveServer, database_through_forwarder: tuple[str, TcpForwarder]
) -> None:
    _, forwarder = database_through_forwarder
    forwarder.close()
    payload = json.dumps(se.event("customer.subscription.updated", se.subscription())).encode()

    response = requests.post(
        f"{live.url}/webhook",
        data=payload,
        headers={
            "Stripe-Signature": se.sign(payload, SIGNING_SECRET),
            "Content-Type": "application/json",
        },
        timeout=10,
    )

    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/plain")
    assert len(response.text) < 100
    assert "<" not in response.text


class _PoolExhausted:
    """A use case whose database never hands out a connection."""

    def execute(self, command: object) -> NoReturn:
        raise exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached")


def test_a_pool_timeout_answers_503_and_its_page_leaves_out_the_user(tmp_path: Path) -> None:
    app = offline_stripe_app(tmp_path, (SIGNING_SECRET,))
    container = app.extensions["container"]
    container.get_account.override(providers.Object(_PoolExhausted()))
    container.handle_billing_event.override(providers.Object(_PoolExhausted()))
    client = app.test_client()
    token = form_token(client, "/register")
    fields = {"csrf_token": token, "email": EMAIL, "password": PASSWORD}
    client.post("/register", data=fields)
    assert client.post("/login", data=fields).status_code == 303

    page = client.get("/account")
    _assert_own_503_page(page)
    assert "Log out" not in page.text  # rendered without the user, even with one loaded

    payload = json.dumps(se.event("customer.subscription.updated", se.subscription())).encode()
    signature = se.sign(payload, SIGNING_SECRET)
    answer = client.post("/webhook", data=payload, headers={"Stripe-Signature": signature})
    assert answer.status_code == 503
    assert answer.mimetype == "text/plain"
    assert answer.text == "database unavailable; retry later"
