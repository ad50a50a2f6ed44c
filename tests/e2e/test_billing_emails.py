"""Billing notices and leaving, through the Stripe emulator and real SMTP: a renewal that
fails sends one email however often its webhook comes, and an SMTP outage delays it
without losing it; a paid renewal sends a receipt with the amount and Stripe's page for
the invoice; the Stripe customer follows a change of email (or, gone from Stripe, is
unlinked); deleting the account
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
from domain.email import EmailAddress
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


def test_a_paid_renewal_sends_one_receipt_with_the_amount_and_the_invoice_page(
    stack: StripeStack, smtp_port: int
) -> None:
    with MailServer(smtp_port=smtp_port, web_port=0) as mail:
        inbox = LocalInbox(mail.web_url)
        browser = stack.server.browser().sign_up(EMAIL, PASSWORD)
        paid = subscribe(browser, card="4242 4242 4242 4242")
        browser.get(paid.headers["Location"])
        assert stack.emulator.delivery.wait_idle(10)

        stack.emulator.delivery.set_mode("duplicate")
        subscription = the_subscription(stack)
        period_end = subscription["items"]["data"][0]["current_period_end"]
        stack.emulator.advance(period_end - stack.emulator.now() + 3600)  # renewed, paid
        assert stack.emulator.delivery.wait_idle(10)
        renewal: Any = stripe_get(stack, f"invoices/{the_subscription(stack)['latest_invoice']}")
        assert renewal["billing_reason"] == "subscription_cycle" and renewal["status"] == "paid"
        delivered = stack.emulator.delivery.attempts
        assert len([a for a in delivered if a.event_type == "invoice.paid"]) >= 3  # twice

        # Sent by the app's own delivery after each commit (no second deliverer here:
        # the clock jumped a month, so a lease taken before the jump would look expired).
        assert wait_until(lambda: _all_sent(stack, "receipt:", 2), 10)
        receipts = [m for m in inbox.to(EMAIL) if "receipt" in m["subject"]]

    assert len(receipts) == 2  # the first payment's and the renewal's, each once
    message = receipts[-1]
    price = subscription["items"]["data"][0]["price"]
    amount = f"${price['unit_amount'] / 100:.2f}"  # a one-price setup in usd
    assert renewal["amount_paid"] == price["unit_amount"]
    assert message["subject"] == f"Your receipt for Premium Notes Premium: {amount}"
    assert f"payment of {amount}" in " ".join(message["text"].split())
    assert f"Invoice {renewal['number']}" in message["text"]
    assert renewal["hosted_invoice_url"] in message["links"]
    page = requests.get(renewal["hosted_invoice_url"], timeout=10)
    assert page.status_code == 200 and renewal["number"] in page.text


def _all_sent(stack: StripeStack, prefix: str, count: int) -> bool:
    with stack.server.container.uow().reading() as uow:
        entries = [e for e in uow.outbox.list() if e.id.startswith(prefix)]
    return len(entries) == count and all(e.status is OutboxStatus.SENT for e in entries)


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


def test_a_change_of_email_goes_through_when_stripe_no_longer_knows_the_customer(
    stack: StripeStack,
) -> None:
    """A customer Stripe no longer has (deleted in the dashboard, another account's
    keys): the link once answered an error for ever. Nothing at Stripe is left to keep
    in step, so the change takes effect and the dead customer is unlinked."""
    browser = stack.server.browser().sign_up(EMAIL, PASSWORD)
    container = stack.server.container
    with container.uow() as uow:
        user = uow.users.get_by_email(EmailAddress(EMAIL))
        assert user is not None
        user.link_customer("cus_GoneFromStripe0001")
        uow.users.save(user)
        uow.commit()

    browser.get("/account/settings")
    asked = browser.submit(
        "/account/settings/email", {"email": "moved@example.com", "password": PASSWORD}
    )
    assert asked.status_code == 303
    link = OutboxMailbox(container).link("moved@example.com", "/verify-email/")
    assert browser.get(path_of(link), allow_redirects=False).status_code == 303
    with container.uow().reading() as uow:
        moved = uow.users.get_by_email(EmailAddress("moved@example.com"))
    assert moved is not None and moved.customer_id is None


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
