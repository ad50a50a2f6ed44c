"""A small HTTP client that behaves like a browser for forms: cookies and CSRF tokens."""

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from domain.email import EmailAddress
from entrypoints.container import Container
from tests.support.mail import link_to, path_of

_CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def form_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on `path`, for an in-process Flask test client."""
    match = _CSRF.search(client.get(path).get_data(as_text=True))
    if match is None:
        raise AssertionError(f"{path} has no form with a CSRF token")
    return match.group(1)


def user_id_of(app: Flask, email: str) -> str:
    container: Container = app.extensions["container"]
    with container.uow() as uow:
        user = uow.users.get_by_email(EmailAddress(email))
    assert user is not None, email
    return user.id


class Mailbox(Protocol):
    """Where a test reads the mail the app sent: `link` is the newest link to `path` in
    the mail to `address`."""

    def link(self, address: str, path: str) -> str: ...


@dataclass
class OutboxMailbox:
    """The app's outbox table, read directly: no mail server needed. An email sent (or
    given up) keeps no text there, so this reads the mail of an app that sends none
    (no SMTP_URL, or its server down); one that sends is read at its mail server
    (`LocalInbox`)."""

    container: Container

    def link(self, address: str, path: str) -> str:
        with self.container.uow().reading() as uow:
            entries = uow.outbox.list()
        return link_to(entries, address, path)


@dataclass
class LiveServer:
    url: str
    app: Flask

    @property
    def container(self) -> Container:
        return self.app.extensions["container"]  # type: ignore[no-any-return]

    def browser(self) -> "Browser":
        """A browser on this server that reads its mail from the outbox."""
        return Browser(self.url, OutboxMailbox(self.container))


def verify_email(client: FlaskClient, app: Flask, email: str) -> None:
    """Open, with an in-process test client, the verification link the app wrote for
    `email` (subscribing needs a verified address)."""
    link = OutboxMailbox(app.extensions["container"]).link(email, "/verify-email/")
    response = client.get(path_of(link))
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


@contextmanager
def serve(app: Flask) -> Iterator[LiveServer]:
    """Serve `app` over real HTTP on 127.0.0.1 and a free port, for the block's duration."""
    with serve_later() as (url, install):
        install(app)
        yield LiveServer(url, app)


@contextmanager
def serve_later() -> Iterator[tuple[str, Callable[[Flask], None]]]:
    """Listen first, give the app later: for an app whose settings need its own URL
    (the webhook endpoint registered with Stripe names it)."""
    holder: dict[str, Flask] = {}

    def dispatch(environ: Any, start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    # A short poll: shutdown() waits for serve_forever to notice (0.5 s by default, about
    # ten seconds of every e2e run).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", lambda app: holder.update(app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Browser:
    """requests.Session with the habits of a person's browser: it reads the CSRF token
    from the page it is on and sends it with the form."""

    def __init__(self, base_url: str, mailbox: Mailbox | None = None) -> None:
        self.base_url = base_url
        self.mailbox = mailbox
        self.http = requests.Session()
        self.last_page = ""

    def get(self, path: str, **kwargs: object) -> requests.Response:
        response = self.http.get(self._url(path), timeout=10, **kwargs)  # type: ignore[arg-type]
        self.last_page = response.text
        return response

    def submit(
        self, path: str, data: dict[str, str] | None = None, *, follow: bool = False
    ) -> requests.Response:
        """POST a form from the current page (its CSRF token included)."""
        fields = {"csrf_token": self.csrf_token(), **(data or {})}
        response = self.http.post(self._url(path), data=fields, allow_redirects=follow, timeout=10)
        self.last_page = response.text
        return response

    def csrf_token(self) -> str:
        match = _CSRF.search(self.last_page)
        if match is None:
            raise AssertionError("the current page has no form with a CSRF token")
        return match.group(1)

    def register(self, email: str, password: str) -> requests.Response:
        self.get("/register")
        return self.submit("/register", {"email": email, "password": password})

    def log_in(self, email: str, password: str, next_path: str = "") -> requests.Response:
        self.get("/login")
        query = f"?next={next_path}" if next_path else ""
        return self.submit(f"/login{query}", {"email": email, "password": password})

    def sign_up(self, email: str, password: str) -> "Browser":
        """Register, open the verification link (with a mailbox) and log in; returns the
        browser, signed in."""
        self.register(email, password)
        if self.mailbox is not None:
            self.verify(email)
        response = self.log_in(email, password)
        assert response.status_code == 303, response.text[:300]
        return self

    def verify(self, email: str) -> requests.Response:
        """Follow the newest verification link in the mail to `email`."""
        assert self.mailbox is not None, "this browser reads no mail"
        link = self.mailbox.link(email, "/verify-email/")
        response = self.get(path_of(link), allow_redirects=False)
        assert response.status_code == 303, response.text[:300]
        return response

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"


# -- a person's browser in process (Flask's test client), mail read from the outbox ------


def submit_form(client: FlaskClient, page: str, action: str, data: dict[str, str]) -> Any:
    """POST `data` to `action` as the form on `page` does (its CSRF token included)."""
    return client.post(action, data={"csrf_token": form_token(client, page), **data})


def open_emailed_link(client: FlaskClient, app: Flask, address: str, path: str) -> Any:
    """GET the newest link to `path` the app wrote to `address`."""
    return client.get(path_of(OutboxMailbox(app.extensions["container"]).link(address, path)))


def signed_in(app: Flask, email: str) -> FlaskClient:
    """A test client registered as `email` (not verified) and logged in."""
    client = app.test_client()
    data = {"csrf_token": form_token(client, "/register"), "email": email, "password": "pw-" * 4}
    assert client.post("/register", data=data).status_code == 303
    assert client.post("/login", data=data).status_code == 303
    return client


def signed_up(app: Flask, email: str, password: str) -> FlaskClient:
    """A test client registered as `email`, verified from the emailed link, logged in."""
    client = app.test_client()
    form = {"email": email, "password": password}
    assert submit_form(client, "/register", "/register", form).status_code == 303
    assert open_emailed_link(client, app, email, "/verify-email/").status_code == 303
    assert submit_form(client, "/login", "/login", form).status_code == 303
    return client


def reset_link_path(app: Flask, email: str) -> str:
    """Ask for a reset link from a fresh browser; the emailed link's path."""
    asked = submit_form(app.test_client(), "/reset-password", "/reset-password", {"email": email})
    assert asked.status_code == 303
    return path_of(OutboxMailbox(app.extensions["container"]).link(email, "/reset-password/"))
