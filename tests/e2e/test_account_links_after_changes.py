"""Emailed links end with the change that should end them: a new password ends a change
of email asked before it (whoever asked), and a new address ends the reset link sent to
the old one. Found by the review of issue 12; each test failed before its fix."""

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import (
    OutboxMailbox,
    open_emailed_link,
    reset_link_path,
    signed_up,
    submit_form,
    user_id_of,
)
from tests.support.mail import path_of

PASSWORD = "a long enough passphrase"
OLD = "reader@example.com"
NEW = "moved@example.com"
ATTACKER = "attacker@evil.example"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return offline_stripe_app(tmp_path, ("whsec_test_links_after_changes",))


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return submit_form(client, "/login", "/login", {"email": email, "password": password})


def ask_email_change(client: FlaskClient, new: str, password: str = PASSWORD) -> Any:
    form = {"email": new, "password": password}
    return submit_form(client, "/account/settings", "/account/settings/email", form)


def change_link_path(app: Flask, new: str) -> str:
    return path_of(OutboxMailbox(app.extensions["container"]).link(new, "/verify-email/"))


def set_password_with(app: Flask, reset_path: str, new_password: str) -> Any:
    """Open a reset link in a fresh browser and set `new_password` (or the link's page)."""
    client = app.test_client()
    opened = client.get(reset_path)
    if opened.status_code != 303:
        return opened
    form = {"password": new_password}
    return submit_form(client, "/reset-password/new", "/reset-password/new", form)


def test_a_reset_link_sent_to_the_old_address_stops_working_once_the_email_changes(
    app: Flask,
) -> None:
    """The user moves the account away from an address (lost, shared, compromised): a
    reset link that went to that address no longer sets the account's password."""
    owner = signed_up(app, OLD, PASSWORD)
    reset_path = reset_link_path(app, OLD)  # someone reading OLD's mail asks for a reset

    assert ask_email_change(owner, NEW).status_code == 303
    assert open_emailed_link(owner, app, NEW, "/verify-email/").status_code == 303

    used = set_password_with(app, reset_path, "the old mailbox owns you now")
    assert used.status_code == 400, "a reset link sent to the old address still works"
    assert log_in(app.test_client(), NEW).status_code == 303


def test_a_password_reset_ends_an_email_change_asked_before_it(app: Flask) -> None:
    """Pre-registration hijack: an attacker registers the victim's address, logs in
    (unverified accounts may) and asks to move it to the attacker's address. The victim
    takes the account back with "forgot your password". The attacker's change link,
    opened later, must not move the account to the attacker."""
    attacker = app.test_client()
    theirs = {"email": OLD, "password": "the attacker's passphrase"}
    assert submit_form(attacker, "/register", "/register", theirs).status_code == 303
    assert log_in(attacker, OLD, "the attacker's passphrase").status_code == 303
    assert ask_email_change(attacker, ATTACKER, "the attacker's passphrase").status_code == 303
    change_link = change_link_path(app, ATTACKER)

    done = set_password_with(app, reset_link_path(app, OLD), PASSWORD)
    assert done.status_code == 303
    assert log_in(app.test_client(), OLD).status_code == 303

    opened = app.test_client().get(change_link)
    assert opened.status_code == 400, "the attacker's change of email took the account"
    assert log_in(app.test_client(), OLD).status_code == 303


def test_changing_the_password_ends_an_email_change_asked_from_a_stolen_session(
    app: Flask,
) -> None:
    """Someone with the password asks to move the account; the owner changes the
    password, logging every other device out: the pending change ends with it."""
    owner = signed_up(app, OLD, PASSWORD)
    thief = app.test_client()
    assert log_in(thief, OLD).status_code == 303
    assert ask_email_change(thief, ATTACKER).status_code == 303
    change_link = change_link_path(app, ATTACKER)

    form = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    changed = submit_form(owner, "/account/settings", "/account/settings/password", form)
    assert changed.status_code == 303
    assert "Waiting for you to confirm" not in owner.get("/account/settings").get_data(as_text=True)
    user_id = user_id_of(app, OLD)

    opened = app.test_client().get(change_link)
    assert opened.status_code == 400, "the change asked before the new password still works"
    assert user_id_of(app, OLD) == user_id
