"""Register, log in, read free content, be offered a subscription, log out: over HTTP,
with the real adapters (SQLite, argon2id)."""

from pathlib import Path

from flask import Flask

from adapters.memory import FakePasswordHasher
from domain.email import EmailAddress
from entrypoints.flask_app import create_app
from tests.e2e.conftest import sqlite_settings
from tests.e2e.support import Browser, form_token

EMAIL = "reader@example.com"
PASSWORD = "a long enough passphrase"


def test_a_new_user_registers_logs_in_reads_free_is_offered_premium_and_logs_out(
    browser: Browser,
) -> None:
    registered = browser.register(EMAIL, PASSWORD)
    assert registered.status_code == 303
    assert registered.headers["Location"].endswith("/register/check-inbox")
    assert "Check your inbox" in browser.get(registered.headers["Location"]).text

    logged_in = browser.log_in(EMAIL.upper(), PASSWORD)
    assert logged_in.status_code == 303

    free = browser.get("/free")  # the seed's free page is now the notes
    assert free.status_code == 200
    assert free.url.endswith("/notes")
    assert "Capture first, sort later" in free.text

    premium = browser.get("/premium")
    assert premium.status_code == 403
    assert "Subscribe" in premium.text
    assert 'action="/create-checkout-session"' in premium.text

    logged_out = browser.submit("/logout")
    assert logged_out.status_code == 303
    after = browser.get("/account", allow_redirects=False)
    assert after.status_code == 302
    assert "/login?next=/account" in after.headers["Location"]


def test_an_anonymous_visitor_is_sent_to_log_in_and_brought_back(browser: Browser) -> None:
    for path in ("/premium", "/account"):
        response = browser.get(path, allow_redirects=False)
        assert response.status_code == 302, path
        assert response.headers["Location"] == f"/login?next={path}"

    browser.register(EMAIL, PASSWORD)
    browser.get("/login?next=/account")
    response = browser.submit("/login?next=/account", {"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account"


def test_a_registered_email_in_other_letter_case_is_answered_as_a_new_one(
    browser: Browser,
) -> None:
    """Registration tells nobody which addresses have accounts: the same answer, and the
    account stays as it was (its password too)."""
    first = browser.register(EMAIL, PASSWORD)
    again = browser.register("  Reader@Example.COM ", "another fine passphrase")
    assert again.status_code == first.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert browser.log_in(EMAIL, "another fine passphrase").status_code == 401
    assert browser.log_in(EMAIL, PASSWORD).status_code == 303


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(browser: Browser) -> None:
    browser.register(EMAIL, PASSWORD)
    wrong = browser.log_in(EMAIL, "not the password at all")
    unknown = browser.log_in("nobody@example.com", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Invalid email or password." in wrong.text
    assert "Invalid email or password." in unknown.text
    assert browser.get("/account", allow_redirects=False).status_code == 302


def test_a_form_without_its_csrf_token_is_refused_and_stores_nothing(browser: Browser) -> None:
    response = browser.http.post(
        f"{browser.base_url}/register", data={"email": EMAIL, "password": PASSWORD}, timeout=10
    )
    assert response.status_code == 400
    assert browser.log_in(EMAIL, PASSWORD).status_code == 401


def test_an_oversized_form_gets_413_and_stores_nothing(browser: Browser) -> None:
    browser.get("/register")
    response = browser.submit("/register", {"email": EMAIL, "password": "x" * 10_000_000})
    assert response.status_code == 413
    assert "too large" in response.text
    assert browser.log_in(EMAIL, PASSWORD).status_code == 401


def test_two_apps_in_one_process_keep_to_their_own_databases(tmp_path: Path) -> None:
    first = create_app(sqlite_settings(tmp_path / "first"))
    second = create_app(sqlite_settings(tmp_path / "second"))
    for app in (first, second):
        app.extensions["container"].hasher.override(FakePasswordHasher())
    client = first.test_client()
    data = {"csrf_token": form_token(client, "/register"), "email": EMAIL, "password": PASSWORD}
    assert client.post("/register", data=data).status_code == 303

    def registered(app: Flask) -> bool:
        with app.extensions["container"].uow() as uow:
            return uow.users.get_by_email(EmailAddress(EMAIL)) is not None

    assert registered(first)
    assert not registered(second)
