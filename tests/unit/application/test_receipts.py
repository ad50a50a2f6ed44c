"""Receipts: one email per paid invoice, with its amount in its currency, the plan, the
period it pays for and the provider's page for it; none for an invoice of nothing."""

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

import pytest

from application.billing_notices import BillingNotices
from application.email_message import EmailMessage
from application.mail import Mailer, SiteLinks
from application.ports import EmailRenderer, EventStatus, OutboxEntry
from application.use_cases.handle_billing_event import (
    HandleBillingEvent,
    HandleBillingEventCommand,
)
from application.use_cases.replay_events import ReplayEvents, ReplayEventsCommand
from application.use_cases.start_subscription import StartSubscriptionCommand
from domain.access import AccessPolicy
from domain.catalog import Catalog, Interval, Plan, PlanPrice
from domain.email import EmailAddress
from domain.provider_events import BillingEvent, BillingEventKind
from domain.user import User
from tests.support.mail import SITE
from tests.unit.application.conftest import CANCEL_URL, SUCCESS_URL, World
from tests.unit.application.test_account_settings import ask_email_change, delete, open_link
from tests.unit.application.test_start_subscription_plans import CATALOG

PLUS = Catalog(
    (
        Plan(
            key="plus",
            name="Plus",
            includes=frozenset({"notes.basic"}),
            prices=(PlanPrice("plus_monthly", Interval.MONTH, 900, "eur"),),
        ),
        *CATALOG.plans,
    )
)


@pytest.fixture
def selling(world: World) -> World:
    world.policy = AccessPolicy(world.gateway.stock(PLUS))
    return world


def receipts(world: World, email: str = "ann@example.com") -> list[OutboxEntry]:
    return [e for e in world.outbox_to(email) if e.id.startswith("receipt:")]


def paid_invoice(events: list[BillingEvent]) -> BillingEvent:
    [paid] = [e for e in events if e.kind is BillingEventKind.INVOICE_PAID]
    return paid


def subscribe(world: World, user: User, lookup_key: str = "plus_monthly") -> list[BillingEvent]:
    redirect = world.starter().execute(
        StartSubscriptionCommand(user.id, SUCCESS_URL, CANCEL_URL, lookup_key=lookup_key)
    )
    return world.gateway.pay_checkout(redirect.session_id)


def renew(world: World, subscription_id: str) -> list[BillingEvent]:
    subscription = world.gateway.subscriptions[subscription_id]
    assert subscription.current_period_end is not None
    world.clock.advance(subscription.current_period_end - world.clock.now() + timedelta(minutes=1))
    return world.gateway.renew(subscription_id)


def test_paying_sends_a_receipt_with_the_amount_plan_period_and_invoice_page(
    selling: World,
) -> None:
    ann = selling.register()
    events = subscribe(selling, ann)
    selling.deliver(events)

    paid = paid_invoice(events)
    [receipt] = receipts(selling)
    assert receipt.id == f"receipt:{paid.invoice_id}"
    assert receipt.message.subject == "Your receipt for Premium Notes Plus: €9.00"
    text = " ".join(receipt.message.text.split())
    start = selling.clock.now()
    end = start + timedelta(days=30)
    assert f"for {start.day} {start:%B %Y} to {end.day} {end:%B %Y}" in text
    assert paid.invoice_url and paid.invoice_url in receipt.message.text
    assert paid.invoice_number and f"Invoice {paid.invoice_number}" in text
    assert receipt.message.html is not None and paid.invoice_url in receipt.message.html


def test_a_renewal_sends_a_receipt_for_the_period_it_pays_for(selling: World) -> None:
    ann = selling.register()
    events = subscribe(selling, ann)
    selling.deliver(events)
    subscription_id = events[0].subscription_id
    assert subscription_id is not None

    renewal = renew(selling, subscription_id)
    selling.deliver(renewal)

    first, second = receipts(selling)
    assert second.id == f"receipt:{paid_invoice(renewal).invoice_id}" != first.id
    period = selling.gateway.subscriptions[subscription_id]
    assert period.current_period_start and period.current_period_end
    text = " ".join(second.message.text.split())
    start, end = period.current_period_start, period.current_period_end
    assert f"€9.00 for Premium Notes Plus, for {start.day} {start:%B %Y} to {end.day}" in text


def test_a_duplicated_or_replayed_invoice_paid_sends_one_receipt(selling: World) -> None:
    ann = selling.register()
    events = subscribe(selling, ann)
    paid = paid_invoice(events)
    selling.deliver([*events, paid])
    again = selling.deliver([paid])  # delivered again, later
    assert again[0].duplicate
    # Another event about the same invoice (a copy under a new id): still one.
    selling.deliver([replace(paid, id="evt_copy_of_the_same_invoice")])
    ReplayEvents(selling.uow, selling.gateway, selling.handler()).execute(
        ReplayEventsCommand((paid.id,))
    )
    assert len(receipts(selling)) == 1


def test_a_trial_starting_sends_no_receipt_and_its_first_charge_does(selling: World) -> None:
    ann = selling.register()
    events = subscribe(selling, ann, "pro_monthly")  # a 14-day trial: invoiced for 0
    selling.deliver(events)
    assert paid_invoice(events).amount_paid == 0
    assert receipts(selling) == []

    subscription_id = events[0].subscription_id
    assert subscription_id is not None
    selling.deliver(selling.gateway.end_trial(subscription_id))
    [receipt] = receipts(selling)
    assert receipt.message.subject == "Your receipt for Premium Notes Pro: $12.00"


def test_a_receipt_goes_to_the_address_the_account_has_now(selling: World) -> None:
    ann = selling.register()
    events = subscribe(selling, ann)
    selling.deliver(events)
    subscription_id = events[0].subscription_id
    assert subscription_id is not None
    ask_email_change(selling, ann.id, "ann.new@example.com")
    open_link(selling, "ann.new@example.com")

    selling.deliver(renew(selling, subscription_id))

    assert len(receipts(selling)) == 1  # the first payment's, at the old address
    [receipt] = receipts(selling, "ann.new@example.com")
    assert "€9.00" in receipt.message.subject


def test_an_invoice_paid_after_the_account_is_deleted_sends_nothing(selling: World) -> None:
    ann = selling.register()
    events = subscribe(selling, ann)
    selling.deliver(events)
    subscription_id = events[0].subscription_id
    assert subscription_id is not None
    late = renew(selling, subscription_id)  # paid just before leaving; its webhook is late

    delete(selling, ann.id)
    [result] = selling.deliver([paid_invoice(late)])

    assert not result.duplicate and "no user" in result.note
    assert f"receipt:{paid_invoice(late).invoice_id}" not in selling.store.outbox
    assert receipts(selling) == []  # (deleting the account deleted the first one's too)


def test_an_invoice_of_another_product_sends_no_receipt(selling: World) -> None:
    ann = selling.register()
    customer = selling.gateway.create_customer(ann.id, ann.email)
    other = selling.gateway.add_price("other_product", Interval.MONTH, 700)
    assert other.price_id is not None
    selling.deliver(selling.gateway.subscribe_directly(customer, other.price_id))
    assert receipts(selling) == []


def test_an_amount_too_large_to_format_does_not_fail_the_payment_event(selling: World) -> None:
    # No adapter reads such an amount from Stripe (see translate.py's MAX_AMOUNT); an
    # event that carries one still applies, whatever its receipt can say.
    ann = selling.register()
    events = [
        replace(e, amount_paid=10**30) if e.kind is BillingEventKind.INVOICE_PAID else e
        for e in subscribe(selling, ann)
    ]

    results = selling.deliver(events)

    assert all(r.status.value in ("processed", "ignored") for r in results)
    assert selling.stored(ann.id).subscriptions, "the paid subscription was not stored"


class _BrokenRenderer(EmailRenderer):
    """A template that fails on what it is given (a filter raising, a bug in it)."""

    def render(self, name: str, to: EmailAddress, context: Mapping[str, object]) -> EmailMessage:
        raise ArithmeticError(f"cannot write {name} for {to}")


def test_a_receipt_that_cannot_be_composed_is_left_out_and_its_payment_still_applies(
    selling: World, caplog: pytest.LogCaptureFixture
) -> None:
    ann = selling.register()
    events = subscribe(selling, ann)
    broken = BillingNotices(Mailer(_BrokenRenderer(), SiteLinks(SITE)), selling.policy)
    handler = HandleBillingEvent(
        selling.uow, selling.gateway, selling.clock, selling.policy, broken
    )

    with caplog.at_level(logging.ERROR, logger="application.billing_notices"):
        results = [handler.execute(HandleBillingEventCommand(event)) for event in events]

    assert EventStatus.FAILED not in [r.status for r in results]
    assert selling.inbox(paid_invoice(events).id).status.done  # recorded, not to retry
    assert selling.has_premium(selling.stored(ann.id))
    assert receipts(selling) == []
    [logged] = [r.getMessage() for r in caplog.records if "could not be composed" in r.getMessage()]
    assert f"receipt:{paid_invoice(events).invoice_id}" in logged
    assert "ArithmeticError" in logged
    assert "ann@example.com" not in logged  # the error's own text is not logged
