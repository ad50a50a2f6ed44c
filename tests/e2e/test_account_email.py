"""Accounts over HTTP with real mail: the app's SMTP adapter sends to the local mail server
(as `make run` does), the test reads each email through the server's JSON API and
follows its link, as a person would."""

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from adapters.mail import SmtpServer
from application.ports import OutboxStatus
from local_mail import MailServer
from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import Browser, LiveServer, serve_later
from tests.support.local_inbox import LocalInbox
from tests.support.local_run import wait_until
from tests.support.mail import token_of

EMAIL = "reader@example.com"
PASSWORD = "a long enough passphrase"
NEW_PASSWORD = "a new and better passphrase"


@pytest.fixture
def live(tmp_path: Path, mail_server: MailServer) -> Iterator[LiveServer]:
    """The app on SQLite, its mail to the local mail server, BASE_URL its own address;
    Stripe configured but unreachable (nothing here gets as far as paying)."""
    with serve_later() as (url, install):
        app = offline_stripe_app(
            tmp_path,
            ("whsec_test_account_email",),
            smtp_server=SmtpServer.from_url(mail_server.smtp_url),
            base_url=url,
        )
        install(app)
        yield LiveServer(url, app)
        app.extensions["container"].outbox_delivery().stop()


@pytest.fixture
def browser(live: LiveServer, local_inbox: LocalInbox) -> Browser:
    return Browser(live.url, local_inbox)


def subjects(inbox: LocalInbox, address: str) -> list[str]:
    return [message["subject"] for message in inbox.to(address)]


def test_register_verify_forget_reset_and_log_in_with_the_new_password(
    live: LiveServer, browser: Browser, local_inbox: LocalInbox, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 12, done-when 3: the whole journey through the inbox; the used link no
    longer works, and no token reached a log line."""
    caplog.set_level(logging.INFO)
    registered = browser.register(EMAIL, PASSWORD)
    assert registered.status_code == 303
    link = local_inbox.link(EMAIL, "/verify-email/")
    assert link.startswith(live.url)  # BASE_URL, not a Host header
    verified = browser.get(link, allow_redirects=False)
    assert verified.status_code == 303
    assert browser.log_in(EMAIL, PASSWORD).status_code == 303
    assert "Not verified" not in browser.get("/account").text
    assert browser.submit("/logout").status_code == 303

    browser.get("/reset-password")
    asked = browser.submit("/reset-password", {"email": EMAIL})
    assert asked.status_code == 303
    assert "If an account uses" in browser.get(asked.headers["Location"]).text
    reset_link = local_inbox.link(EMAIL, "/reset-password/")
    form = browser.get(reset_link)
    assert form.status_code == 200 and "Choose a new password" in form.text
    assert form.url == f"{live.url}/reset-password/new"  # the token left the address bar
    done = browser.submit("/reset-password/new", {"password": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == "/login"

    assert browser.log_in(EMAIL, PASSWORD).status_code == 401
    assert browser.log_in(EMAIL, NEW_PASSWORD).status_code == 303
    again = browser.get(reset_link)
    assert again.status_code == 400
    assert "does not work" in again.text
    changed = "Your Premium Notes password was changed"
    # The notice leaves after the reset's commit, on the sender's thread: wait for it.
    assert wait_until(lambda: changed in subjects(local_inbox, EMAIL), 10)
    [notice] = [m for m in local_inbox.to(EMAIL) if m["subject"] == changed]
    links = local_inbox.message(notice["id"])["links"]
    assert any("/reset-password" in link for link in links)  # a way back in
    assert "/reset-password/[token]" in caplog.text
    for token in (token_of(reset_link), token_of(link)):
        assert token.split(".")[1] not in caplog.text


def test_an_unknown_address_asking_for_a_reset_sees_the_same_and_gets_nothing(
    browser: Browser, local_inbox: LocalInbox
) -> None:
    browser.get("/reset-password")
    asked = browser.submit("/reset-password", {"email": "nobody@example.com"})
    assert asked.status_code == 303
    assert asked.headers["Location"] == "/reset-password/sent"
    assert "If an account uses" in browser.get("/reset-password/sent").text
    browser.register(EMAIL, PASSWORD)
    local_inbox.wait_for(1)  # the registration's arrives; nothing went to nobody@
    assert local_inbox.to("nobody@example.com") == []


def test_changing_the_password_logs_out_other_devices_and_tells_the_address(
    live: LiveServer, local_inbox: LocalInbox
) -> None:
    laptop = Browser(live.url, local_inbox).sign_up(EMAIL, PASSWORD)
    phone = Browser(live.url)
    assert phone.log_in(EMAIL, PASSWORD).status_code == 303

    laptop.get("/account/settings")
    wrong = laptop.submit(
        "/account/settings/password", {"current_password": "nope", "new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 403
    assert "not your current password" in wrong.text
    changed = laptop.submit(
        "/account/settings/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 303

    assert laptop.get("/account", allow_redirects=False).status_code == 200  # this one goes on
    assert phone.get("/account", allow_redirects=False).status_code == 302  # logged out
    local_inbox.link(EMAIL, "/reset-password")
    assert "Your Premium Notes password was changed" in subjects(local_inbox, EMAIL)


def test_a_new_email_takes_effect_from_its_link_and_the_old_address_is_told(
    live: LiveServer, local_inbox: LocalInbox
) -> None:
    browser = Browser(live.url, local_inbox).sign_up(EMAIL, PASSWORD)
    browser.get("/account/settings")
    asked = browser.submit(
        "/account/settings/email", {"email": "moved@example.com", "password": PASSWORD}
    )
    assert asked.status_code == 303
    settings = browser.get("/account/settings").text
    assert "Waiting for you to confirm" in settings and "moved@example.com" in settings

    link = local_inbox.link("moved@example.com", "/verify-email/")
    assert browser.get(link).status_code == 200
    assert "Your email address is now moved@example.com" in browser.last_page
    assert browser.submit("/logout").status_code == 303
    assert browser.log_in("moved@example.com", PASSWORD).status_code == 303
    assert browser.log_in(EMAIL, PASSWORD).status_code == 401
    assert browser.get(link).status_code == 400  # once
    assert local_inbox.wait_for(3)  # verification, change link, notice to the old address
    told = subjects(local_inbox, EMAIL)
    assert "The email address of your Premium Notes account was changed" in told


def test_an_unverified_account_reads_free_notes_and_is_asked_to_verify_before_paying(
    live: LiveServer, local_inbox: LocalInbox
) -> None:
    browser = Browser(live.url, local_inbox)
    browser.register(EMAIL, PASSWORD)
    assert browser.log_in(EMAIL, PASSWORD).status_code == 303
    notes = browser.get("/notes")
    assert notes.status_code == 200
    assert "Please verify your email address" in notes.text  # the banner
    first = local_inbox.link(EMAIL, "/verify-email/")

    refused = browser.submit("/create-checkout-session")
    assert refused.status_code == 403
    assert "Verify your email address first" in refused.text
    resent = browser.submit("/verify-email/resend")
    assert resent.status_code == 303
    assert local_inbox.wait_for(2)
    newest = local_inbox.link(EMAIL, "/verify-email/")
    assert newest != first
    assert browser.get(first).status_code == 400  # replaced by the newer one
    assert browser.get(newest, allow_redirects=False).status_code == 303
    assert "Please verify your email address" not in browser.get("/notes").text


def test_a_sent_reset_email_leaves_no_working_link_in_a_copy_of_the_database(
    live: LiveServer, browser: Browser, local_inbox: LocalInbox, tmp_path: Path
) -> None:
    """README: only a digest of a link's secret is stored, "so a copy of the database
    opens nothing". The outbox kept each email's text, sent ones too: a backup, a replica
    or a read-only SQL injection held every live reset link of the last hour."""
    browser.sign_up(EMAIL, PASSWORD)
    browser.get("/account")
    assert browser.submit("/logout").status_code == 303
    browser.get("/reset-password")
    assert browser.submit("/reset-password", {"email": EMAIL}).status_code == 303
    reset_link = local_inbox.link(EMAIL, "/reset-password/")
    secret = token_of(reset_link).split(".")[1]

    def all_sent() -> bool:
        with live.container.uow().reading() as uow:
            return all(e.status is OutboxStatus.SENT for e in uow.outbox.list())

    assert wait_until(all_sent, 10)
    # What a copy of the database holds, read with nothing but sqlite3.
    with closing(sqlite3.connect(tmp_path / "app.db")) as db:
        dump = "\n".join(db.iterdump())
    assert secret not in dump
    assert browser.get(reset_link).status_code == 200  # and that link works
