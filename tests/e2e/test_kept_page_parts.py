"""What pages and sessions keep from one request to the next (issue 10, third round):
the same links, tokens and sessions as Flask's own, never another's, never past their
lifetime."""

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from entrypoints.flask_app import page_parts
from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import form_token

_LOGOUT_TOKEN = re.compile(
    r'action="/logout">\s*<input type="hidden" name="csrf_token" value="([^"]+)"'
)


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


def logout_token(client: FlaskClient) -> str:
    match = _LOGOUT_TOKEN.search(client.get("/").get_data(as_text=True))
    assert match is not None
    return match.group(1)


def test_kept_links_are_flasks_own_for_each_script_root(app: Flask) -> None:
    links = page_parts.kept_links(app)
    pages: list[tuple[str, dict[str, Any]]] = [("main.home", {}), ("notes.read", {"slug": "x"})]
    for root in ("", "/shop", ""):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            for endpoint, values in pages:
                assert links(endpoint, **values) == url_for(endpoint, **values)
                assert links(endpoint, **values).startswith(f"{root}/")


def test_each_session_gets_its_own_token_and_a_kept_one_is_accepted(app: Flask) -> None:
    ann, bob = signed_in(app, "ann@example.com"), signed_in(app, "bob@example.com")
    first = logout_token(ann)

    assert logout_token(ann) == first  # signed once, then kept
    assert logout_token(bob) != first
    assert bob.post("/logout", data={"csrf_token": first}).status_code == 400  # not bob's
    assert ann.post("/logout", data={"csrf_token": logout_token(ann)}).status_code == 303


def test_the_token_of_the_first_page_after_log_in_is_kept(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Log-in starts the session's CSRF token anew; the first page signs it. The next
    # page, a second later, must show the same token, not one signed anew.
    ann = signed_in(app, "ann@example.com")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    first = logout_token(ann)
    monkeypatch.setattr(time, "time", lambda: now + 2)

    assert logout_token(ann) == first


def test_a_token_is_signed_again_after_half_its_time_limit(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["WTF_CSRF_TIME_LIMIT"] = 100
    ann = signed_in(app, "ann@example.com")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    first = logout_token(ann)
    monkeypatch.setattr(time, "time", lambda: now + 51)

    again = logout_token(ann)

    assert again != first  # a new timestamp
    assert ann.post("/logout", data={"csrf_token": again}).status_code == 303
