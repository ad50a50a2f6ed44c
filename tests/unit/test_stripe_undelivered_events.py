"""The delivery_success=false catch-up (issue 13) over a stubbed Stripe client: one event
the adapter cannot read must not stop the pass for every other event in Stripe's list.

An event /webhook refuses as unreadable (400) is, by that very answer, one Stripe keeps
in its delivery_success=false list for three days of retries: the list the catch-up reads
is exactly where such an event sits."""

import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from adapters.stripe.gateway import StripePaymentGateway, StripeSettings

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def _invoice_paid(event_id: str, created: int) -> dict[str, Any]:
    return {
        "object": "event",
        "id": event_id,
        "type": "invoice.paid",
        "created": created,
        "livemode": False,
        "data": {
            "object": {
                "object": "invoice",
                "id": "in_review1",
                "customer": "cus_review1",
                "subscription": "sub_review1",
                "amount_due": 500,
                "amount_paid": 500,
                "currency": "usd",
            }
        },
    }


def _unreadable_subscription_event(event_id: str, created: int) -> dict[str, Any]:
    # A status this code does not know (Stripe adds some now and then): /webhook answers
    # 400 to it, so Stripe lists it as undelivered until it gives up.
    return {
        "object": "event",
        "id": event_id,
        "type": "customer.subscription.updated",
        "created": created,
        "livemode": False,
        "data": {
            "object": {
                "object": "subscription",
                "id": "sub_review2",
                "status": "a_status_added_later",
                "customer": "cus_review2",
                "items": {"data": []},
            }
        },
    }


class _Listed:
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def to_dict(self) -> dict[str, Any]:
        return self._data


def _client_listing(*events: dict[str, Any]) -> Any:
    page = SimpleNamespace(auto_paging_iter=lambda: iter([_Listed(e) for e in events]))
    return SimpleNamespace(
        v1=SimpleNamespace(events=SimpleNamespace(list=lambda params=None, options=None: page))
    )


def test_one_unreadable_event_in_the_undelivered_list_does_not_hide_the_readable_ones() -> None:
    created = int((NOW - timedelta(hours=1)).timestamp())
    client = _client_listing(
        _invoice_paid("evt_review_good1", created),
        _unreadable_subscription_event("evt_review_bad", created + 1),
        _invoice_paid("evt_review_good2", created + 2),
    )
    gateway = StripePaymentGateway(StripeSettings("sk_test_review", ()), client=client)

    listed = gateway.list_undelivered_events(NOW - timedelta(days=3))

    assert {"evt_review_good1", "evt_review_good2"} <= {event.id for event in listed}


def test_the_unreadable_event_is_logged_by_its_id_without_its_payload(
    caplog: pytest.LogCaptureFixture,
) -> None:
    created = int((NOW - timedelta(hours=1)).timestamp())
    client = _client_listing(_unreadable_subscription_event("evt_review_bad", created))
    gateway = StripePaymentGateway(StripeSettings("sk_test_review", ()), client=client)

    with caplog.at_level(logging.WARNING, logger="adapters.stripe.gateway"):
        listed = gateway.list_undelivered_events(NOW - timedelta(days=3))

    assert listed == []
    logged = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(logged) == 1
    assert "evt_review_bad" in logged[0].getMessage()
    assert "cus_review2" not in logged[0].getMessage()


def test_an_event_listed_without_a_creation_time_does_not_stop_the_sort() -> None:
    created = int((NOW - timedelta(hours=1)).timestamp())
    no_time = {**_invoice_paid("evt_review_null", created), "created": None}
    client = _client_listing(
        _invoice_paid("evt_review_late", created + 5),
        no_time,
        _invoice_paid("evt_review_early", created),
    )
    gateway = StripePaymentGateway(StripeSettings("sk_test_review", ()), client=client)

    listed = gateway.list_undelivered_events(NOW - timedelta(days=3))

    assert [event.id for event in listed] == ["evt_review_early", "evt_review_late"]
