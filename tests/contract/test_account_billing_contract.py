"""The account page's reads and writes at the payment gateway, one contract for the
in-memory fake and for the Stripe adapter talking to the Stripe emulator over HTTP: the
card on file and the invoices (paid, and open after a failed renewal), with the
subscription in one read; cancelling at the period's end and undoing it; and what an
`invoice.paid` event says of the invoice (a receipt's amount, period and page).

The emulator's clock moves here (a renewal fails), so this module has an emulator of its
own.
"""

from collections.abc import Iterator
from datetime import timedelta

import pytest

from application.ports import PaymentGateway
from domain.billing import InvoiceStatus, PaymentCard
from domain.errors import CustomerMissing, PaymentProviderError
from domain.provider_events import BillingEvent
from domain.subscription import Subscription, SubscriptionStatus
from stripe_emulator import Emulator
from tests.contract.test_payment_gateway_contract import CARD_THAT_PAYS_ONCE, Provider, make_pair
from tests.contract.test_plan_change_contract import _id, _subscribed

Pair = tuple[PaymentGateway, Provider]
VISA_4242 = PaymentCard("visa", "4242", 12, 2034)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0, tick_interval=None) as emu:
        yield emu


@pytest.fixture(params=["fake", "stripe-emulator"])
def pair(request: pytest.FixtureRequest) -> Pair:
    return make_pair(request)


def _current(gateway: PaymentGateway, subscription_id: str) -> Subscription:
    current = gateway.get_subscription(subscription_id)
    assert current is not None and current.customer_id is not None
    return current


def test_a_paid_subscription_reads_with_its_card_and_its_paid_invoice(pair: Pair) -> None:
    gateway, _ = pair
    subscription_id, _ = _subscribed(pair, "account-1", "basic_monthly")
    current = _current(gateway, subscription_id)
    assert current.customer_id is not None

    billing = gateway.get_account_billing(current.customer_id, subscription_id)

    assert billing.subscription is not None
    assert billing.subscription.subscription.id == subscription_id
    assert billing.subscription.subscription.status is SubscriptionStatus.ACTIVE
    assert billing.subscription.pending_change is None
    assert billing.card == VISA_4242
    [invoice] = billing.invoices
    assert (invoice.status, invoice.total, invoice.currency) == (InvoiceStatus.PAID, 500, "usd")
    assert not invoice.payment_failed
    assert invoice.url is not None and invoice.url.startswith("http")
    assert abs(invoice.created - current.as_of) < timedelta(minutes=1)


def test_a_failed_renewal_is_an_open_invoice_listed_first(pair: Pair) -> None:
    gateway, provider = pair
    subscription_id, _ = _subscribed(pair, "account-2", "basic_monthly", card=CARD_THAT_PAYS_ONCE)
    customer_id = _current(gateway, subscription_id).customer_id
    assert customer_id is not None

    provider.end_period(subscription_id)  # the renewal's charge is declined
    billing = gateway.get_account_billing(customer_id, subscription_id)

    assert billing.subscription is not None
    assert billing.subscription.subscription.status is SubscriptionStatus.PAST_DUE
    assert billing.card == PaymentCard("visa", "0341", 12, 2034)
    failed, first = billing.invoices
    assert (failed.status, failed.total, failed.payment_failed) == (InvoiceStatus.OPEN, 500, True)
    assert (first.status, first.payment_failed) == (InvoiceStatus.PAID, False)
    assert failed.created > first.created
    assert failed.url is not None and failed.url != first.url
    assert gateway.get_account_billing(customer_id, subscription_id, invoices=1).invoices == (
        failed,
    )


def test_a_trial_starts_with_a_free_invoice_and_the_card_given(pair: Pair) -> None:
    gateway, _ = pair
    subscription_id, _ = _subscribed(pair, "account-3", "pro_monthly", trial_days=14)
    customer_id = _current(gateway, subscription_id).customer_id
    assert customer_id is not None
    billing = gateway.get_account_billing(customer_id, subscription_id)
    assert billing.subscription is not None
    assert billing.subscription.subscription.status is SubscriptionStatus.TRIALING
    assert billing.card == VISA_4242
    [free] = billing.invoices
    assert (free.status, free.total) == (InvoiceStatus.PAID, 0)


def test_without_a_subscription_the_invoices_are_read_and_no_card(pair: Pair) -> None:
    gateway, _ = pair
    subscription_id, _ = _subscribed(pair, "account-4", "basic_monthly")
    customer_id = _current(gateway, subscription_id).customer_id
    assert customer_id is not None
    for asked in (None, "sub_nobody_has"):
        billing = gateway.get_account_billing(customer_id, asked)
        assert billing.subscription is None
        assert billing.card is None  # Checkout's card is the subscription's, not a default
        assert [i.status for i in billing.invoices] == [InvoiceStatus.PAID]


def test_an_unknown_customer_is_customer_missing(pair: Pair) -> None:
    gateway, _ = pair
    with pytest.raises(CustomerMissing):
        gateway.get_account_billing("cus_nobody_has", None)


def test_cancel_at_period_end_keeps_the_period_and_resuming_undoes_it(pair: Pair) -> None:
    gateway, _ = pair
    subscription_id, _ = _subscribed(pair, "account-5", "basic_monthly")
    before = _current(gateway, subscription_id)

    canceling = gateway.set_cancel_at_period_end(subscription_id, True)
    again = gateway.set_cancel_at_period_end(subscription_id, True)  # pressed twice

    for answer in (canceling, again, _current(gateway, subscription_id)):
        assert answer.status is SubscriptionStatus.ACTIVE
        assert answer.cancel_at_period_end
        assert answer.ends_at == before.current_period_end
        assert answer.as_of >= before.as_of
    resumed = gateway.set_cancel_at_period_end(subscription_id, False)
    assert not resumed.cancel_at_period_end and resumed.ends_at is None
    assert _current(gateway, subscription_id).ends_at is None
    assert gateway.set_cancel_at_period_end(subscription_id, False).ends_at is None


def test_a_trial_set_to_cancel_ends_with_the_trial(pair: Pair) -> None:
    gateway, _ = pair
    subscription_id, _ = _subscribed(pair, "account-6", "pro_monthly", trial_days=14)
    trial_end = _current(gateway, subscription_id).current_period_end
    canceling = gateway.set_cancel_at_period_end(subscription_id, True)
    assert canceling.status is SubscriptionStatus.TRIALING
    assert canceling.ends_at == trial_end


def test_a_pending_change_of_price_must_be_released_before_cancelling(pair: Pair) -> None:
    gateway, _ = pair
    subscription_id, prices = _subscribed(pair, "account-7", "pro_monthly")
    gateway.schedule_price_change(subscription_id, _id(prices, "basic_monthly"))

    with pytest.raises(PaymentProviderError):
        gateway.set_cancel_at_period_end(subscription_id, True)
    assert not _current(gateway, subscription_id).cancel_at_period_end

    gateway.release_scheduled_change(subscription_id)
    assert gateway.set_cancel_at_period_end(subscription_id, True).cancel_at_period_end


def test_an_ended_subscription_cannot_be_set_to_cancel_or_resumed(pair: Pair) -> None:
    gateway, _ = pair
    subscription_id, _ = _subscribed(pair, "account-8", "basic_monthly")
    gateway.cancel_subscription(subscription_id)
    for cancel in (True, False):
        with pytest.raises(PaymentProviderError):
            gateway.set_cancel_at_period_end(subscription_id, cancel)


def _paid_invoices(pair: Pair, subscription_id: str) -> list[BillingEvent]:
    gateway, provider = pair
    events = []
    for payload in provider.event_payloads("invoice.paid"):
        body = payload.encode()
        events.append(gateway.parse_webhook(body, provider.sign(body)))
    return [e for e in events if e.subscription_id == subscription_id]


def test_invoice_paid_says_what_was_paid_for_which_period_and_where_the_invoice_is(
    pair: Pair,
) -> None:
    gateway, provider = pair
    subscription_id, _ = _subscribed(pair, "account-receipt", "basic_monthly")
    first = _current(gateway, subscription_id)
    assert first.customer_id is not None
    provider.end_period(subscription_id)  # renewed and paid
    renewed = _current(gateway, subscription_id)

    paid, renewal = _paid_invoices(pair, subscription_id)

    for event, period in ((paid, first), (renewal, renewed)):
        assert (event.amount_paid, event.amount_due, event.currency) == (500, 500, "usd")
        assert (event.period_start, event.period_end) == (
            period.current_period_start,
            period.current_period_end,
        )
        assert event.invoice_number
    # The same invoices, and pages, as the account page lists.
    listed = gateway.get_account_billing(first.customer_id, subscription_id).invoices
    assert [(i.id, i.url) for i in listed] == [
        (renewal.invoice_id, renewal.invoice_url),
        (paid.invoice_id, paid.invoice_url),
    ]
    assert renewal.invoice_url and renewal.invoice_url.startswith("http")
    assert renewal.invoice_number != paid.invoice_number


def test_a_trials_first_invoice_pays_nothing(pair: Pair) -> None:
    subscription_id, _ = _subscribed(pair, "account-trial-receipt", "pro_monthly", trial_days=14)
    [paid] = _paid_invoices(pair, subscription_id)
    assert (paid.amount_paid, paid.currency) == (0, "usd")
