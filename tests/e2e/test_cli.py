"""Operator commands: migrate, events list, events replay, send-test-email, outbox."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from adapters.mail import SmtpServer
from adapters.memory import (
    FakePasswordHasher,
    FakePaymentGateway,
    InMemoryEmailSender,
    ManualClock,
)
from application.email_message import EmailMessage
from application.ports import CheckoutOffer, OutboxEntry
from domain.email import EmailAddress
from domain.errors import PaymentProviderError
from domain.user import User
from entrypoints.flask_app import create_app
from entrypoints.settings import Settings
from local_mail import MailServer
from tests.e2e.conftest import TEST_SECRET_KEY
from tests.support.local_inbox import LocalInbox


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    settings = Settings(secret_key=TEST_SECRET_KEY, database_url=f"sqlite:///{tmp_path / 'cli.db'}")
    app = create_app(settings)
    container = app.extensions["container"]
    container.hasher.override(FakePasswordHasher())
    container.gateway.override(FakePaymentGateway(ManualClock(datetime(2026, 5, 1, tzinfo=UTC))))
    return app


def test_migrate_creates_the_schema_and_can_run_again(app: Flask) -> None:
    cli = app.test_cli_runner()
    for _ in range(2):
        result = cli.invoke(args=["migrate"])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output
    with app.extensions["container"].uow() as uow:
        assert uow.users.list_billed() == []


def test_a_failed_event_is_listed_and_replayed_once_the_cause_is_gone(app: Flask) -> None:
    cli = app.test_cli_runner()
    cli.invoke(args=["migrate"])
    container = app.extensions["container"]
    gateway: FakePaymentGateway = container.gateway()
    with container.uow() as uow:
        user = User.register(EmailAddress("ops@example.com"), "hash", gateway.clock.now())
        user.link_customer(gateway.create_customer(user.id, user.email))
        uow.users.add(user)
        uow.commit()
    checkout = gateway.create_checkout_session(
        user_id=user.id,
        customer_id=user.customer_id or "",
        offer=CheckoutOffer(gateway.price_id),
        success_url="s",
        cancel_url="c",
        requested_at=gateway.clock.now(),
    )
    completed = gateway.pay_checkout(checkout.session_id)[0]  # fetches the subscription
    payload, signature = gateway.signed(completed)

    gateway.fail_next = PaymentProviderError("provider down")
    client = app.test_client()
    failed = client.post("/webhook", data=payload, headers={"Stripe-Signature": signature})
    assert failed.status_code == 503  # a 5xx: Stripe retries
    assert failed.get_data(as_text=True) == "provider down"

    listed = cli.invoke(args=["events", "list", "--status", "failed"])
    assert completed.id in listed.output
    assert "provider down" in listed.output

    replayed = cli.invoke(args=["events", "replay", "--all-failed"])
    assert replayed.exit_code == 0, replayed.output
    assert f"replayed {completed.id}" in replayed.output
    assert cli.invoke(args=["events", "list", "--status", "failed"]).output == ""

    again = cli.invoke(args=["events", "replay", completed.id, "evt_unknown"])
    assert f"skipped  {completed.id}: already processed" in again.output
    assert "skipped  evt_unknown: no such event in the inbox" in again.output
    with container.uow() as uow:
        stored = uow.users.get(user.id)
    assert stored is not None
    assert len(stored.subscriptions) == 1


def test_replay_without_ids_or_flag_is_a_usage_error(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["events", "replay"])
    assert result.exit_code == 2
    assert "--all-failed" in result.output


def test_stripe_provision_prints_the_price_and_signing_secret_to_configure(
    tmp_path: Path,
) -> None:
    from stripe_emulator import Emulator

    with Emulator(port=0, tick_interval=None) as emulator:
        settings = Settings(
            secret_key=TEST_SECRET_KEY,
            database_url=f"sqlite:///{tmp_path / 'p.db'}",
            stripe_secret_key="sk_test_provision",
            stripe_api_base=emulator.url,
        )
        result = (
            create_app(settings)
            .test_cli_runner()
            .invoke(args=["stripe-provision", "--webhook-url", "https://notes.example/webhook"])
        )
        assert result.exit_code == 0, result.output
        assert "STRIPE_PRICE_ID=price_" in result.output
        assert "STRIPE_WEBHOOK_SECRET=whsec_" in result.output
        with emulator.state.lock:
            urls = [e["url"] for e in emulator.state.webhook_endpoints.values()]
    assert urls == ["https://notes.example/webhook"]


def test_reconcile_without_stripe_configured_says_so_in_one_line(tmp_path: Path) -> None:
    settings = Settings(secret_key=TEST_SECRET_KEY, database_url=f"sqlite:///{tmp_path / 'n.db'}")
    app = create_app(settings)
    cli = app.test_cli_runner()
    cli.invoke(args=["migrate"])
    result = cli.invoke(args=["reconcile"])
    assert result.exit_code == 1
    assert "Payments are not configured on this server." in result.output
    assert "Traceback" not in result.output


def test_send_test_email_sends_the_test_template_through_the_configured_sender(
    app: Flask,
) -> None:
    sender = InMemoryEmailSender()
    app.extensions["container"].email_sender.override(sender)
    result = app.test_cli_runner().invoke(args=["send-test-email", " Ann@Example.com "])
    assert result.exit_code == 0, result.output
    [message] = sender.to("ann@example.com")
    assert message.subject == "Test email from Premium Notes"
    assert "to ann@example.com" in message.text
    assert message.html is not None


def test_send_test_email_over_smtp_reaches_the_local_mail_server(
    tmp_path: Path, mail_server: MailServer, local_inbox: LocalInbox
) -> None:
    settings = Settings(
        secret_key=TEST_SECRET_KEY,
        database_url=f"sqlite:///{tmp_path / 'mail.db'}",
        smtp_server=SmtpServer.from_url(mail_server.smtp_url),
        base_url="https://notes.example",
    )
    result = (
        create_app(settings).test_cli_runner().invoke(args=["send-test-email", "b@example.com"])
    )
    assert result.exit_code == 0, result.output
    assert f"through {mail_server.smtp_url}" in result.output
    [message] = local_inbox.wait_for(1)
    assert message["from"] == "Premium Notes <notes@localhost>"
    assert message["links"] == ["https://notes.example"]


@pytest.mark.parametrize(
    ("smtp_url", "args", "expected"),
    [
        (None, ["a@example.com"], "email is not configured on this server: set SMTP_URL"),
        ("smtp://u:hunter2@127.0.0.1:9", ["a@example.com"], "cannot be reached"),
        (None, ["not-an-address"], "Please enter a valid email address."),
    ],
)
def test_send_test_email_failures_are_one_line_without_the_password(
    tmp_path: Path, smtp_url: str | None, args: list[str], expected: str
) -> None:
    settings = Settings(
        secret_key=TEST_SECRET_KEY,
        database_url=f"sqlite:///{tmp_path / 'n.db'}",
        smtp_server=SmtpServer.from_url(smtp_url) if smtp_url else None,
    )
    result = create_app(settings).test_cli_runner().invoke(args=["send-test-email", *args])
    assert result.exit_code != 0
    assert expected in result.output
    assert "hunter2" not in result.output
    assert "Traceback" not in result.output


def _queue(app: Flask, *causes: str) -> None:
    with app.extensions["container"].uow() as uow:
        for cause in causes:
            message = EmailMessage(EmailAddress(f"{cause}@example.com"), "Hi", "Hello.")
            uow.outbox.add(OutboxEntry(cause, message, datetime(2026, 5, 1, tzinfo=UTC)))
        uow.commit()


def test_outbox_deliver_sends_each_due_email_once_and_list_shows_them(app: Flask) -> None:
    cli = app.test_cli_runner()
    cli.invoke(args=["migrate"])
    sender = InMemoryEmailSender()
    app.extensions["container"].email_sender.override(sender)
    sender.refuse("bad@example.com")
    _queue(app, "ann", "bad")

    result = cli.invoke(args=["outbox", "deliver"])
    assert result.exit_code == 1, result.output  # one was given up
    assert "sent      ann" in result.output
    assert "given up  bad: the recipient was refused: 550" in result.output
    assert cli.invoke(args=["outbox", "deliver"]).output.strip() == (
        "sent 0, retrying 0, given up 0"
    )
    assert [s.message.to for s in sender.sent] == [EmailAddress("ann@example.com")]

    listed = cli.invoke(args=["outbox", "list", "--status", "failed"]).output
    assert "bad  bad@example.com  failed  attempts=1" in listed
    assert "ann" not in listed


def test_outbox_deliver_without_smtp_says_so_and_keeps_the_emails(tmp_path: Path) -> None:
    settings = Settings(secret_key=TEST_SECRET_KEY, database_url=f"sqlite:///{tmp_path / 'o.db'}")
    app = create_app(settings)
    cli = app.test_cli_runner()
    cli.invoke(args=["migrate"])
    _queue(app, "ann")
    result = cli.invoke(args=["outbox", "deliver"])
    assert result.exit_code == 1
    assert "email is not configured on this server: set SMTP_URL" in result.output
    assert "pending" in cli.invoke(args=["outbox", "list"]).output
