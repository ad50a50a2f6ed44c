"""What an invoice event may say of its invoice: what a receipt shows, or nothing."""

from datetime import timedelta
from typing import Any

import pytest

from domain.provider_events import BillingEvent, BillingEventKind, is_web_page
from tests.unit.builders import T0


def paid(**fields: Any) -> BillingEvent:
    return BillingEvent(
        id="evt_1",
        kind=BillingEventKind.INVOICE_PAID,
        provider_type="invoice.paid",
        occurred_at=T0,
        **fields,
    )


def test_an_invoice_event_carries_what_a_receipt_shows() -> None:
    event = paid(
        invoice_id="in_1",
        amount_paid=1200,
        currency="eur",
        period_start=T0,
        period_end=T0 + timedelta(days=31),
        invoice_number="9A1B2C3D-0001",
        invoice_url="https://invoice.stripe.com/i/acct_1/test_x?s=ap",
    )
    assert (event.amount_paid, event.invoice_number) == (1200, "9A1B2C3D-0001")


@pytest.mark.parametrize(
    "odd",
    [
        {"amount_paid": 12.5},
        {"amount_paid": True},
        {"period_start": T0},  # no end
        {"period_start": T0, "period_end": T0 - timedelta(seconds=1)},
        {"invoice_number": ""},
        {"invoice_number": "x" * 65},
        {"invoice_number": "one\ntwo"},
        {"invoice_url": "javascript:alert(1)"},
        {"invoice_url": "https://x.test/a b"},
        {"invoice_url": 'https://x.test/"><script>'},
        {"invoice_url": "https://x.test/" + "a" * 2000},
        {"invoice_url": "http://invoice.stripe.com/i/acct_1/test_x"},  # Stripe's are https
        {"invoice_url": "http://localhost.example.com/i/x"},
        {"invoice_url": "http://127.0.0.1.example.com/i/x"},
    ],
)
def test_what_no_provider_would_send_is_refused(odd: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        paid(**odd)


@pytest.mark.parametrize(
    "url",
    [
        "https://invoice.stripe.com/i/acct_1/test_x?s=ap",
        "http://127.0.0.1:12111/i/test_abc",  # the emulator's page, on this machine
        "http://localhost:8080/i/test_abc",
    ],
)
def test_an_invoice_page_is_https_or_on_this_machine(url: str) -> None:
    assert is_web_page(url)
    assert paid(invoice_url=url).invoice_url == url
