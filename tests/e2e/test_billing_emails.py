"""Billing notices and leaving, through the Stripe emulator and real SMTP: a renewal that
fails sends one email however often its webhook comes, and an SMTP outage delays it
without losing it; the Stripe customer follows a change of email; deleting the account
cancels its subscription at Stripe."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from adapters.mail import SmtpServer
from application.ports import Clock, OutboxStatus
from application.use_cases.deliver_outbox import DeliverOutboxCommand
from local_mail import MailServer
from stripe_emulator import Emulator
from tests.e2e.stripe_stack import STRIPE_KEY, StripeStack, pay, stripe_stack, subscribe
from tests.e2e.support import Browser, OutboxMailbox
from tests.support.local_inbox import LocalInbox
from tests.support.local_run import free_port, wait_until
from tests.support.mail import path_of

EMAIL = "payer@example.com"
PASSWORD = "a fine passphrase"


class EmulatorClock(Clock):
    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._emulator.now(), UTC)


def stripe_get(stack: StripeStack, path: str) -> dict[str, object]:
    response = requests.get(
        f"{stack.emulator.url}/v1/{path}",
        headers={"Authorization": f"Bearer {STRIPE_KEY}"},
        timeout=10,
    )
    response.raise_for_status()
    data: dict[str, object] = response.json()
    return data


def the_subscription(stack: StripeStack) -> Any:
    found: list[Any] = stripe_get(stack, "subscriptions?status=all")["data"]  # type: ignore[assignment]
    [subscription] = found
    return subscription


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def stack(tmp_path: Path, smtp_port: int) -> Iterator[StripeStack]:
    """The app on the emulator, its clock the emulator's, its mail to `smtp_port` (where
    nothing listens until a test starts a mail server there)."""
    smtp = SmtpServer.from_url(f"smtp://127.0.0.1:{smtp_port}")
    with stripe_stack(tmp_path, smtp_server=smtp) as stack:
        stack.server.container.clock.override(EmulatorClock(stack.emulator))
        yield stack
        stack.server.container.outbox_delivery().stop()


def payment_failed_entries(stack: StripeStack) -> list[str]:
    with stack.server.container.uow().reading() as uow:
        return [e.id for e in uow.outbox.list() if e.id.startswith("payment-failed:")]


def test_a_failing_renewal_sends_one_email_even_twice_delivered_and_after_an_smtp_outage(
    stack: StripeStack, smtp_port: int
) -> None:
    """Issue 12, done-when 4."""
    browser = stack.server.browser().sign_up(EMAIL, PASSWORD)  # the link read in the outbox
    paid = subscribe(browser, card="4000 0000 0000 0341")  # pays now, fails at renewal
    browser.get(paid.headers["Location"])
    assert stack.emulator.delivery.wait_idle(10)

    stack.emulator.delivery.set_mode("duplicate")
    period_end = the_subscription(stack)["items"]["data"][0]["current_period_end"]
    stack.emulator.advance(period_end - stack.emulator.now() + 3600)
    assert stack.emulator.delivery.wait_idle(10)
    delivered = stack.emulator.delivery.attempts
    failures = [a for a in delivered if a.event_type == "invoice.payment_failed"]
    assert len(failures) >= 2  # the emulator delivered it twice

    assert len(payment_failed_entries(stack)) == 1
    container = stack.server.container
    assert wait_until(lambda: _attempts(stack, payment_failed_entries(stack)[0]) >= 1, 10)

    with MailServer(smtp_port=smtp_port, web_port=0) as mail:  # the mail server is back
        inbox = LocalInbox(mail.web_url)
        stack.emulator.advance(120)  # past the first retry's delay (the app's clock)
        report = container.deliver_outbox().execute(DeliverOutboxCommand())  # `outbox deliver`
        assert payment_failed_entries(stack)[0] in report.sent
        container.deliver_outbox().execute(DeliverOutboxCommand())
        failed = [m for m in inbox.to(EMAIL) if "payment" in m["subject"]]
    assert len(failed) == 1
    [message] = failed
    assert message["subject"] == "Your payment for Premium Notes Premium failed"
    assert "Your access goes on until" in message["text"]
    assert any(link.endswith("/billing-portal") for link in message["links"])
    with container.uow().reading() as uow:
        entry = uow.outbox.get(payment_failed_entries(stack)[0])
    assert entry is not None and entry.status is OutboxStatus.SENT


def _attempts(stack: StripeStack, entry_id: str) -> int:
    with stack.server.container.uow().reading() as uow:
        entry = uow.outbox.get(entry_id)
    return entry.attempts if entry else 0


def test_the_stripe_customer_follows_a_change_of_email(stack: StripeStack) -> None:
    browser = stack.server.browser().sign_up(EMAIL, PASSWORD)
    paid = subscribe(browser)
    browser.get(paid.headers["Location"])
    customer = the_subscription(stack)["customer"]
    assert stripe_get(stack, f"customers/{customer}")["email"] == EMAIL

    browser.get("/account/settings")
    browser.submit("/account/settings/email", {"email": "moved@example.com", "password": PASSWORD})
    link = OutboxMailbox(stack.server.container).link("moved@example.com", "/verify-email/")
    assert browser.get(path_of(link)).status_code == 200
    assert stripe_get(stack, f"customers/{customer}")["email"] == "moved@example.com"


def test_deleting_the_account_cancels_its_subscription_at_stripe_now(stack: StripeStack) -> None:
    browser = stack.server.browser().sign_up(EMAIL, PASSWORD)
    paid = subscribe(browser)
    browser.get(paid.headers["Location"])
    assert stack.emulator.delivery.wait_idle(10)

    page = browser.get("/account/delete")
    assert "canceled at Stripe" in page.text
    refused = browser.submit("/account/delete", {"password": "not my password"})
    assert refused.status_code == 403
    assert the_subscription(stack)["status"] == "active"

    gone = browser.submit("/account/delete", {"password": PASSWORD})
    assert gone.status_code == 303
    assert the_subscription(stack)["status"] == "canceled"
    assert stack.emulator.delivery.wait_idle(10)
    assert browser.get("/account", allow_redirects=False).status_code == 302  # logged out
    assert Browser(stack.server.url).log_in(EMAIL, PASSWORD).status_code == 401
    with stack.server.container.uow().reading() as uow:
        assert uow.users.list_billed() == []
        assert [e for e in uow.outbox.list() if str(e.message.to) == EMAIL] == []


def test_a_checkout_left_open_cannot_be_paid_once_the_account_is_deleted(
    stack: StripeStack,
) -> None:
    """Subscribe opens a Checkout page; the person leaves the tab open, deletes the account
    in another tab, then pays the tab: no subscription may bill the deleted account."""
    browser = stack.server.browser().sign_up(EMAIL, PASSWORD)
    browser.get("/premium")
    started = browser.submit("/create-checkout-session")
    assert started.status_code == 303
    checkout_url = started.headers["Location"]

    browser.get("/account/delete")
    assert browser.submit("/account/delete", {"password": PASSWORD}).status_code == 303

    pay(browser, checkout_url, "4242 4242 4242 4242")
    assert stack.emulator.delivery.wait_idle(10)
    found: list[Any] = stripe_get(stack, "subscriptions?status=all")["data"]  # type: ignore[assignment]
    live = [s for s in found if s["status"] in ("active", "trialing", "past_due")]
    assert live == [], "a subscription was made and billed for a deleted account"


def test_deleting_the_account_drops_its_pending_change_of_email_too(stack: StripeStack) -> None:
    """Its mail to another address than its own (the link to a new address, waiting while
    the mail server is down) goes with it: nothing is sent out of a deleted account."""
    browser = stack.server.browser().sign_up(EMAIL, PASSWORD)
    browser.get("/account/settings")
    asked = browser.submit(
        "/account/settings/email", {"email": "new@example.com", "password": PASSWORD}
    )
    assert asked.status_code == 303
    container = stack.server.container
    OutboxMailbox(container).link("new@example.com", "/verify-email/")  # waiting to go

    browser.get("/account/delete")
    assert browser.submit("/account/delete", {"password": PASSWORD}).status_code == 303
    with container.uow().reading() as uow:
        left = [(e.id, str(e.message.to)) for e in uow.outbox.list()]
    assert left == [], "emails of the deleted account are still in the outbox"
