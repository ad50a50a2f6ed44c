"""Stripe events (built from Stripe's fixture objects) into the domain's BillingEvent."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.stripe import StripePaymentGateway, StripeSettings
from adapters.stripe.account_billing import invoice_of
from adapters.stripe.translate import oldest_failure
from domain.errors import InvalidWebhook
from domain.provider_events import BillingEventKind
from domain.subscription import SubscriptionStatus
from tests.support import stripe_events as se

SECRET = "whsec_test_translation"


def gateway(key: str = "sk_test_translation") -> StripePaymentGateway:
    return StripePaymentGateway(StripeSettings(key, (SECRET,), api_base="http://127.0.0.1:9"))


def translate(data: dict[str, object]) -> object:
    return gateway().translate_event(json.dumps(data))


def moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_a_subscription_event_carries_the_snapshot_with_the_period_of_its_item() -> None:
    obj = se.subscription(
        id="sub_1",
        customer="cus_1",
        status="past_due",
        period_start=1_780_000_000,
        period_end=1_782_592_000,
        cancel_at_period_end=True,
        cancel_at=1_782_592_000,
        user_id="u1",
    )
    event = gateway().translate_event(
        json.dumps(
            se.event("customer.subscription.updated", obj, created=1_780_000_100, id="evt_1")
        )
    )
    assert event.kind is BillingEventKind.SUBSCRIPTION_CHANGED
    assert event.id == "evt_1"
    assert event.occurred_at == moment(1_780_000_100)
    assert (event.user_ref, event.customer_id, event.subscription_id) == ("u1", "cus_1", "sub_1")
    snapshot = event.snapshot
    assert snapshot is not None
    assert snapshot.status is SubscriptionStatus.PAST_DUE
    assert snapshot.as_of == moment(1_780_000_100)
    assert snapshot.current_period_start == moment(1_780_000_000)
    assert snapshot.current_period_end == moment(1_782_592_000)
    assert snapshot.cancel_at_period_end is True
    assert snapshot.cancel_at == moment(1_782_592_000)
    assert snapshot.price_id == "price_test_1"


def test_the_fixture_subscription_as_stripe_ships_it_translates() -> None:
    event = gateway().translate_event(
        json.dumps(se.event("customer.subscription.created", se.fixture("subscription")))
    )
    assert event.snapshot is not None
    assert event.snapshot.id == se.fixture("subscription")["id"]


def test_the_older_shape_with_the_period_on_the_subscription_is_read_too() -> None:
    obj = se.subscription()
    for item in obj["items"]["data"]:
        del item["current_period_start"], item["current_period_end"]
    obj["current_period_start"], obj["current_period_end"] = 1_700_000_000, 1_702_592_000
    event = gateway().translate_event(json.dumps(se.event("customer.subscription.updated", obj)))
    assert event.snapshot is not None
    assert event.snapshot.current_period_end == moment(1_702_592_000)


@pytest.mark.parametrize(
    ("type_", "kind"),
    [
        ("customer.subscription.created", BillingEventKind.SUBSCRIPTION_CHANGED),
        ("customer.subscription.paused", BillingEventKind.SUBSCRIPTION_CHANGED),
        ("customer.subscription.resumed", BillingEventKind.SUBSCRIPTION_CHANGED),
        ("customer.subscription.deleted", BillingEventKind.SUBSCRIPTION_ENDED),
        ("customer.subscription.trial_will_end", BillingEventKind.TRIAL_WILL_END),
    ],
)
def test_each_subscription_event_type_has_its_kind(type_: str, kind: BillingEventKind) -> None:
    event = gateway().translate_event(json.dumps(se.event(type_, se.subscription())))
    assert event.kind is kind


def test_an_invoice_names_its_subscription_in_parent_subscription_details() -> None:
    obj = se.invoice(customer="cus_9", subscription="sub_9")
    for type_, kind in (
        ("invoice.paid", BillingEventKind.INVOICE_PAID),
        ("invoice.payment_failed", BillingEventKind.PAYMENT_FAILED),
    ):
        event = gateway().translate_event(json.dumps(se.event(type_, obj)))
        assert event.kind is kind
        assert (event.customer_id, event.subscription_id) == ("cus_9", "sub_9")
        assert event.snapshot is None  # fetched when applied


def test_a_large_amount_stripe_can_state_is_read() -> None:
    obj = {**se.invoice(customer="cus_9", subscription="sub_9"), "amount_paid": 10**12}
    event = gateway().translate_event(json.dumps(se.event("invoice.paid", obj)))
    assert event.amount_paid == 10**12


def test_an_invoice_event_names_the_invoice_and_what_it_asks_for() -> None:
    obj = se.invoice(customer="cus_9", subscription="sub_9", id="in_9")
    obj.update(amount_due=1200, currency="EUR")
    event = gateway().translate_event(json.dumps(se.event("invoice.payment_failed", obj)))
    assert (event.invoice_id, event.amount_due, event.currency) == ("in_9", 1200, "eur")


@pytest.mark.parametrize(
    "odd",
    [
        {"amount_due": "12"},
        {"amount_due": -1},
        {"amount_due": 10**12 + 1},  # far past any charge Stripe makes
        {"amount_due": 10**30},
        {"currency": "€€€"},
        {"currency": 7},
    ],
)
def test_an_invoice_amount_it_cannot_read_is_left_out_not_refused(odd: dict[str, object]) -> None:
    obj = {**se.invoice(customer="cus_9", subscription="sub_9"), "amount_due": 500, **odd}
    event = gateway().translate_event(json.dumps(se.event("invoice.payment_failed", obj)))
    assert event.kind is BillingEventKind.PAYMENT_FAILED
    assert event.amount_due is None or event.currency is None


def test_a_completed_checkout_names_user_customer_and_subscription() -> None:
    obj = se.checkout_session(user_id="u7", customer="cus_7", subscription="sub_7")
    event = gateway().translate_event(json.dumps(se.event("checkout.session.completed", obj)))
    assert event.kind is BillingEventKind.CHECKOUT_COMPLETED
    assert (event.user_ref, event.customer_id, event.subscription_id) == ("u7", "cus_7", "sub_7")


def test_an_expanded_customer_object_is_read_as_its_id() -> None:
    obj = se.checkout_session(user_id="u7", customer="cus_7", subscription="sub_7")
    obj["customer"] = {**se.fixture("customer"), "id": "cus_expanded"}
    event = gateway().translate_event(json.dumps(se.event("checkout.session.completed", obj)))
    assert event.customer_id == "cus_expanded"


def test_an_unknown_type_is_unhandled_not_an_error() -> None:
    event = gateway().translate_event(json.dumps(se.event("charge.refunded", se.fixture("charge"))))
    assert event.kind is BillingEventKind.UNHANDLED


@pytest.mark.parametrize(
    "breakage",
    [
        {"status": "no_such_status"},
        {"id": None},
        {"items": {"data": [{"current_period_end": "tomorrow"}]}},
        {"cancel_at": 10**20},
    ],
)
def test_a_subscription_without_the_expected_shape_is_refused(breakage: dict[str, object]) -> None:
    obj = {**se.subscription(), **breakage}
    with pytest.raises(InvalidWebhook):
        translate(se.event("customer.subscription.updated", obj))


def test_a_live_event_is_refused_on_a_test_key_and_a_test_event_on_a_live_key() -> None:
    live = json.dumps(se.event("customer.subscription.updated", se.subscription(), livemode=True))
    with pytest.raises(InvalidWebhook, match="mode"):
        gateway().parse_webhook(live.encode(), se.sign(live.encode(), SECRET))
    test = json.dumps(se.event("customer.subscription.updated", se.subscription()))
    with pytest.raises(InvalidWebhook, match="mode"):
        gateway("sk_live_translation").parse_webhook(test.encode(), se.sign(test.encode(), SECRET))


def test_the_oldest_failure_is_the_first_tried_open_invoice_finalized() -> None:
    def invoice(created: int, finalized: int | None, attempts: int) -> dict[str, object]:
        return {
            "object": "invoice",
            "created": created,
            "attempt_count": attempts,
            "status_transitions": {"finalized_at": finalized},
        }

    older_untried = invoice(1_000, 1_000, 0)  # sent to pay by hand: never charged
    first = invoice(2_000, 5_600, 4)  # finalized an hour after it was made, then charged
    second = invoice(9_000, 12_600, 1)
    at = oldest_failure([second, older_untried, first])
    assert at == datetime.fromtimestamp(5_600, UTC)
    assert oldest_failure([older_untried]) == datetime.fromtimestamp(1_000, UTC)
    assert oldest_failure([invoice(3_000, None, 1)]) == datetime.fromtimestamp(3_000, UTC)
    assert oldest_failure([]) is None


def _line(start: int, end: int, *, proration: bool) -> dict[str, Any]:
    line: dict[str, Any] = se.fixture("invoice")["lines"]["data"][0]
    line["period"] = {"start": start, "end": end}
    line["parent"] = {
        "type": "subscription_item_details",
        "invoice_item_details": None,
        "subscription_item_details": {
            **line["parent"]["subscription_item_details"],
            "proration": proration,
        },
    }
    return line


def test_a_paid_invoice_carries_what_a_receipt_shows() -> None:
    obj = se.invoice(customer="cus_9", subscription="sub_9", id="in_9")
    renewal, period_end = 1_767_225_600, 1_769_904_000  # 1 January, 1 February 2026
    obj.update(
        amount_due=1200,
        amount_paid=1200,
        currency="EUR",
        number="9A1B2C3D-0002",
        hosted_invoice_url="https://invoice.stripe.com/i/acct_1/test_abc?s=ap",
        # Stripe's own period of a renewal's invoice is the one that just ended.
        period_start=renewal - 31 * 86_400,
        period_end=renewal,
    )
    obj["lines"]["data"] = [
        _line(renewal - 86_400, renewal, proration=True),  # a change made the day before
        _line(renewal, period_end, proration=False),
    ]
    event = gateway().translate_event(json.dumps(se.event("invoice.paid", obj)))
    assert (event.amount_paid, event.currency) == (1200, "eur")
    assert (event.period_start, event.period_end) == (moment(renewal), moment(period_end))
    assert event.invoice_number == "9A1B2C3D-0002"
    assert event.invoice_url == "https://invoice.stripe.com/i/acct_1/test_abc?s=ap"


def test_an_invoice_of_prorations_only_bills_the_span_of_its_lines() -> None:
    obj = se.invoice(customer="cus_9", subscription="sub_9")
    obj["lines"]["data"] = [
        _line(2_000, 9_000, proration=True),
        _line(1_000, 9_000, proration=True),
    ]
    event = gateway().translate_event(json.dumps(se.event("invoice.paid", obj)))
    assert (event.period_start, event.period_end) == (moment(1_000), moment(9_000))


@pytest.mark.parametrize(
    "odd",
    [
        {"amount_paid": "12", "number": 7, "hosted_invoice_url": "javascript:alert(1)"},
        {"amount_paid": -5, "number": "x" * 65, "hosted_invoice_url": 'https://x.test/"><b>'},
        {"amount_paid": True, "number": "line\nbreak", "hosted_invoice_url": "ftp://x.test/in"},
        {"amount_paid": 10**28, "number": "", "hosted_invoice_url": "https://"},
        {"lines": {"data": [{"period": {"start": 9, "end": 1}}, {"period": "soon"}, 4]}},
        {"lines": "none"},
    ],
)
def test_receipt_details_it_cannot_read_are_left_out_not_refused(odd: dict[str, object]) -> None:
    obj = {**se.invoice(customer="cus_9", subscription="sub_9"), **odd}
    event = gateway().translate_event(json.dumps(se.event("invoice.paid", obj)))
    assert event.kind is BillingEventKind.INVOICE_PAID and event.subscription_id == "sub_9"
    assert event.invoice_url is None and event.invoice_number is None
    if "lines" in odd:
        assert event.period_start is None and event.period_end is None
    else:
        assert event.amount_paid is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://invoice.stripe.com/i/acct_1/test_abc", True),
        ("http://127.0.0.1:12111/i/test_abc", True),  # the emulator's, on this machine
        ("http://invoice.example.com/i/test_abc", False),  # plain http across a network
        ("javascript:alert(1)", False),
        (7, False),
    ],
)
def test_the_account_page_links_an_invoice_page_only_over_https_or_loopback(
    url: object, shown: bool
) -> None:
    obj = {**se.invoice(customer="cus_9", subscription="sub_9"), "hosted_invoice_url": url}
    listed = invoice_of({**obj, "status": "paid"})
    assert listed is not None
    assert listed.url == (url if shown else None)
