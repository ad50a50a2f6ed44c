"""The whole subscription lifecycle through the emulator, its clock moved by the test:
failed renewals and the past-due grace, a card fixed in the portal, cancellation at
period end, and reconciliation after lost webhooks."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dependency_injector import providers

from application.ports import Clock, EventStatus
from stripe_emulator import Emulator
from tests.e2e.stripe_stack import (
    StripeStack,
    open_portal,
    portal_action,
    stripe_stack,
    subscribe,
)
from tests.e2e.support import Browser
from tests.support.crashing import CrashingUnitOfWork

DAY = 24 * 3600
EMAIL = "cycle@example.com"
PASSWORD = "a fine passphrase"


class EmulatorClock(Clock):
    """The app reads the time the emulator's default clock shows (moved by the test)."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._emulator.now(), UTC)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StripeStack]:
    with stripe_stack(tmp_path) as stack:
        stack.server.container.clock.override(EmulatorClock(stack.emulator))
        yield stack


@pytest.fixture
def browser(stack: StripeStack) -> Browser:
    return Browser(stack.server.url).sign_up(EMAIL, PASSWORD)


def period_end(stack: StripeStack) -> float:
    """When the stored subscription's current period ends, in emulator seconds."""
    with stack.server.container.uow() as uow:
        [user] = uow.users.list_billed()
    subscription = stack.server.container.policy().current_subscription(user)
    assert subscription is not None
    assert subscription.current_period_end is not None
    return subscription.current_period_end.timestamp()


def advance_to(stack: StripeStack, moment: float) -> None:
    stack.emulator.advance(moment - stack.emulator.now())
    assert stack.emulator.delivery.wait_idle(10)


def premium(browser: Browser) -> int:
    return browser.get("/premium").status_code


def test_a_failed_renewal_keeps_premium_for_the_grace_then_refuses_until_the_card_is_fixed(
    stack: StripeStack, browser: Browser
) -> None:
    paid = subscribe(browser, card="4000 0000 0000 0341")  # pays now, fails later
    browser.get(paid.headers["Location"])
    assert stack.emulator.delivery.wait_idle(10)
    assert premium(browser) == 200

    renewal = period_end(stack)
    advance_to(stack, renewal + 3600)  # the renewal fails: past_due
    account = browser.get("/account").text
    assert "Payment failed" in account
    assert "Your last payment failed" in account
    assert premium(browser) == 200  # inside the 3-day grace

    advance_to(stack, renewal + 2.5 * DAY)
    assert premium(browser) == 200

    advance_to(stack, renewal + 3.5 * DAY)  # past the grace (the day-3 retry failed too)
    assert premium(browser) == 403

    portal = open_portal(browser)
    fixed = portal_action(browser, portal, "Update card", card_number="4242 4242 4242 4242")
    assert fixed.status_code in (302, 303)
    assert stack.emulator.delivery.wait_idle(10)
    assert premium(browser) == 200
    assert "Active" in browser.get("/account").text


def test_a_renewal_failing_while_an_older_invoice_is_unpaid_opens_no_new_grace(
    stack: StripeStack, browser: Browser
) -> None:
    """Stripe's "leave the subscription past due": it renews and bills on while unpaid.
    The grace counts from the oldest unpaid invoice, not from each new period."""
    with stack.emulator.state.lock:
        stack.emulator.settings.after_retries = "past_due"
    paid = subscribe(browser, card="4000 0000 0000 0341")  # pays now, fails later
    browser.get(paid.headers["Location"])
    assert stack.emulator.delivery.wait_idle(10)

    first_failure = period_end(stack)
    advance_to(stack, first_failure + 3600)
    assert premium(browser) == 200  # inside the grace
    advance_to(stack, first_failure + 3.5 * DAY)
    assert premium(browser) == 403

    next_failure = period_end(stack)  # every retry failed; the next period bills anyway
    assert next_failure > first_failure + 20 * DAY
    advance_to(stack, next_failure + 3600)
    with stack.server.container.uow() as uow:
        [user] = uow.users.list_billed()
    [subscription] = user.subscriptions.values()
    assert subscription.status == "past_due"
    assert subscription.current_period_start is not None
    assert subscription.current_period_start.timestamp() == pytest.approx(next_failure, abs=5)
    assert subscription.unpaid_since is not None
    assert subscription.unpaid_since.timestamp() == pytest.approx(first_failure, abs=3600)
    assert premium(browser) == 403  # still the first invoice's grace: long over
    assert "Payment failed" in browser.get("/account").text

    # A row stored before the column existed counts from its period's start, as before,
    # until reconcile (or the next event) fetches when the oldest invoice failed.
    with stack.server.container.uow() as uow:
        [user] = uow.users.list_billed()
        user.subscriptions[subscription.id] = replace(subscription, unpaid_since=None)
        uow.users.save(user)
        uow.commit()
    assert premium(browser) == 200
    reconciled = stack.server.app.test_cli_runner().invoke(args=["reconcile"])
    assert reconciled.exit_code == 0, reconciled.output
    assert "changed 1" in reconciled.output
    assert premium(browser) == 403

    portal = open_portal(browser)
    fixed = portal_action(browser, portal, "Update card", card_number="4242 4242 4242 4242")
    assert fixed.status_code in (302, 303)
    assert stack.emulator.delivery.wait_idle(10)
    assert premium(browser) == 200  # both invoices paid: active


def test_canceling_at_period_end_keeps_premium_until_then(
    stack: StripeStack, browser: Browser
) -> None:
    browser.get(subscribe(browser).headers["Location"])
    assert stack.emulator.delivery.wait_idle(10)

    portal = open_portal(browser)
    assert portal_action(browser, portal, "Cancel at period end").status_code in (302, 303)
    assert stack.emulator.delivery.wait_idle(10)
    assert premium(browser) == 200
    assert "Cancels on" in browser.get("/account").text

    end = period_end(stack)
    advance_to(stack, end - 3600)
    assert premium(browser) == 200

    advance_to(stack, end + 60)  # past the period end: Stripe ends it
    assert premium(browser) == 403
    account = browser.get("/account").text
    assert "Ended on" in account and "Cancels on" not in account


def test_resuming_in_the_portal_undoes_the_scheduled_cancellation(
    stack: StripeStack, browser: Browser
) -> None:
    browser.get(subscribe(browser).headers["Location"])
    portal = open_portal(browser)
    portal_action(browser, portal, "Cancel at period end")
    portal_action(browser, portal, "Resume")
    assert stack.emulator.delivery.wait_idle(10)
    advance_to(stack, period_end(stack) + 2 * DAY)  # renewed, not ended
    assert premium(browser) == 200
    assert "Cancels on" not in browser.get("/account").text


def test_reconcile_brings_users_right_when_every_webhook_was_dropped(
    stack: StripeStack, browser: Browser
) -> None:
    stack.emulator.delivery.set_mode("drop")
    subscribe(browser)  # paid, but the user never comes back to /success
    assert premium(browser) == 403  # we were told nothing

    cli = stack.server.app.test_cli_runner()
    first = cli.invoke(args=["reconcile"])
    assert first.exit_code == 0, first.output
    assert f"{EMAIL}: sub_" in first.output
    assert "unknown -> active" in first.output
    assert "changed 1" in first.output
    assert premium(browser) == 200

    portal = open_portal(browser)
    portal_action(browser, portal, "Cancel now")
    assert premium(browser) == 200  # the deletion was dropped too

    second = cli.invoke(args=["reconcile"])
    assert "active -> canceled" in second.output
    assert premium(browser) == 403

    third = cli.invoke(args=["reconcile"])
    assert "changed 0" in third.output
    assert stack.emulator.delivery.dropped  # the emulator really dropped them


def test_a_webhook_that_crashes_half_way_answers_500_and_stripes_retry_applies_it_once(
    stack: StripeStack, browser: Browser
) -> None:
    container = stack.server.container
    container.uow.override(providers.Factory(CrashingUnitOfWork, container.session_factory))
    CrashingUnitOfWork.crashes = 1
    subscribe(browser)  # no visit to /success: only the webhooks tell
    assert stack.emulator.delivery.wait_idle(10)

    attempts = stack.emulator.delivery.attempts
    failed = [a for a in attempts if a.status_code == 500]
    assert len(failed) == 1
    retried = [a for a in attempts if a.event_id == failed[0].event_id]
    assert [a.status_code for a in retried] == [500, 200]
    assert premium(browser) == 200
    with container.uow() as uow:
        records = uow.events.list()
        [user] = uow.users.list_billed()
    assert len({r.event_id for r in records}) == len(records)
    assert all(r.status is not EventStatus.FAILED for r in records)
    assert len(user.subscriptions) == 1
