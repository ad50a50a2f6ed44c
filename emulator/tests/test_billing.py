"""The billing engine: renewals, failed payments and retries, cancellations, clocks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import stripe

from emulator_support import (
    DAY,
    LATER_FAILS_CARD,
    event_types,
    http_request,
    new_price,
    subscribe,
)
from stripe_emulator import Emulator


def _ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())  # type: ignore[misc]


def _periods_on_a_test_clock(
    client: stripe.StripeClient, start: int, periods: int, **recurring: int | str
) -> list[int]:
    """The period ends of a subscription started at ``start`` on a test clock."""
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": start})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": new_price(client, **recurring)}]}
    )
    ends = [int(subscription["items"].data[0].current_period_end)]
    for _ in range(periods - 1):
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": ends[-1]})
        renewed = client.v1.subscriptions.retrieve(subscription.id)
        ends.append(int(renewed["items"].data[0].current_period_end))
    return ends


def test_months_are_added_by_the_calendar_from_the_anchor(client: stripe.StripeClient) -> None:
    ends = _periods_on_a_test_clock(client, _ts(2026, 1, 31, 12), 3)
    # February is short, and March comes back to the 31st (counted from the anchor).
    assert ends == [_ts(2026, 2, 28, 12), _ts(2026, 3, 31, 12), _ts(2026, 4, 30, 12)]
    assert _periods_on_a_test_clock(client, _ts(2028, 2, 29), 1, interval="year") == [
        _ts(2029, 2, 28)
    ]
    start = _ts(2026, 1, 31, 12)
    assert _periods_on_a_test_clock(client, start, 1, interval="week", interval_count=2) == [
        start + 14 * DAY
    ]


def _renewal_moment(client: stripe.StripeClient, subscription_id: str) -> int:
    subscription = client.v1.subscriptions.retrieve(subscription_id)
    return int(subscription["items"].data[0].current_period_end)


def test_a_renewal_bills_the_next_period_and_records_invoice_paid(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    _, subscription_id = subscribe(own_client)
    period_end = _renewal_moment(own_client, subscription_id)
    own_emulator.advance(period_end - own_emulator.now() + 60)

    subscription = own_client.v1.subscriptions.retrieve(
        subscription_id, params={"expand": ["latest_invoice"]}
    )
    item = subscription["items"].data[0]
    assert subscription.status == "active"
    assert item.current_period_start == period_end
    assert item.current_period_end > period_end + 27 * DAY
    invoice = subscription.latest_invoice
    assert (invoice.status, invoice.billing_reason, invoice.amount_paid) == (
        "paid",
        "subscription_cycle",
        2000,
    )
    assert invoice.created == period_end
    assert invoice.lines.data[0].period.start == period_end
    assert event_types(own_emulator, invoice.id) == [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    # What a receipt shows, as the invoice.paid event carries it.
    [paid] = [e for e in own_emulator.state.events_of(invoice.id) if e["type"] == "invoice.paid"]
    sent = paid["data"]["object"]
    assert (sent["amount_paid"], sent["currency"]) == (2000, invoice.currency)
    assert sent["hosted_invoice_url"] == invoice.hosted_invoice_url
    assert sent["hosted_invoice_url"].startswith(own_emulator.url)
    assert sent["number"] == invoice.number and sent["number"]
    assert sent["lines"]["data"][0]["period"] == {
        "start": period_end,
        "end": item.current_period_end,
    }
    updated = own_emulator.state.events_of(subscription_id)[-1]
    assert updated["type"] == "customer.subscription.updated"
    assert updated["created"] == period_end
    assert set(updated["data"]["previous_attributes"]) == {"items", "latest_invoice"}


def test_two_months_renew_twice_in_order(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    _, subscription_id = subscribe(own_client)
    own_emulator.advance(62 * DAY)
    invoices = own_client.v1.invoices.list(params={"subscription": subscription_id})
    assert [i.billing_reason for i in invoices.data] == [
        "subscription_cycle",
        "subscription_cycle",
        "subscription_create",
    ]
    assert invoices.data[0].created > invoices.data[1].created


def _failing_subscription(client: stripe.StripeClient, emulator: Emulator) -> tuple[str, int]:
    _, subscription_id = subscribe(client, LATER_FAILS_CARD)
    renewal = _renewal_moment(client, subscription_id)
    emulator.advance(renewal - emulator.now() + 60)
    return subscription_id, renewal


def test_a_failed_renewal_makes_the_subscription_past_due_and_schedules_retries(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    subscription_id, renewal = _failing_subscription(own_client, own_emulator)
    subscription = own_client.v1.subscriptions.retrieve(
        subscription_id, params={"expand": ["latest_invoice"]}
    )
    assert subscription.status == "past_due"
    invoice = subscription.latest_invoice
    assert invoice.status == "open"
    assert invoice.attempt_count == 1
    assert invoice.next_payment_attempt == renewal + 3 * DAY
    updated = own_emulator.state.events_of(subscription_id)[-1]
    assert updated["type"] == "customer.subscription.updated"
    assert updated["data"]["previous_attributes"]["status"] == "active"


def test_after_the_last_retry_the_subscription_is_canceled(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    subscription_id, renewal = _failing_subscription(own_client, own_emulator)
    invoice_id = str(own_client.v1.subscriptions.retrieve(subscription_id).latest_invoice)

    own_emulator.advance(3 * DAY)
    invoice = own_client.v1.invoices.retrieve(invoice_id)
    assert (invoice.attempt_count, invoice.next_payment_attempt) == (2, renewal + 5 * DAY)
    own_emulator.advance(4 * DAY)

    subscription = own_client.v1.subscriptions.retrieve(subscription_id)
    invoice = own_client.v1.invoices.retrieve(invoice_id)
    assert subscription.status == "canceled"
    assert subscription.ended_at == renewal + 7 * DAY
    assert subscription.cancellation_details.reason == "payment_failed"
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == (
        "uncollectible",
        4,
        None,
    )
    assert event_types(own_emulator, invoice_id) == [
        "invoice.created",
        "invoice.finalized",
        "invoice.payment_failed",
        "invoice.payment_failed",
        "invoice.payment_failed",
        "invoice.payment_failed",
        "invoice.marked_uncollectible",
    ]
    assert event_types(own_emulator, subscription_id) == [
        "customer.subscription.created",  # incomplete, from the checkout
        "customer.subscription.updated",  # active: the checkout was paid
        "customer.subscription.updated",  # past_due
        "customer.subscription.deleted",
    ]


def test_with_after_retries_unpaid_the_subscription_becomes_unpaid(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    with own_emulator.state.lock:
        own_emulator.settings.after_retries = "unpaid"
    subscription_id, _ = _failing_subscription(own_client, own_emulator)
    own_emulator.advance(8 * DAY)
    subscription = own_client.v1.subscriptions.retrieve(
        subscription_id, params={"expand": ["latest_invoice"]}
    )
    assert subscription.status == "unpaid"
    assert subscription.latest_invoice.status == "open"
    assert event_types(own_emulator, subscription_id)[-1] == "customer.subscription.updated"


def test_with_after_retries_past_due_it_stays_past_due_and_bills_the_next_period_too(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    with own_emulator.state.lock:
        own_emulator.settings.after_retries = "past_due"
    subscription_id, renewal = _failing_subscription(own_client, own_emulator)
    own_emulator.advance(8 * DAY)  # every retry failed: left as it is
    assert own_client.v1.subscriptions.retrieve(subscription_id).status == "past_due"
    next_renewal = _renewal_moment(own_client, subscription_id)
    assert next_renewal > renewal
    own_emulator.advance(next_renewal - own_emulator.now() + 60)

    assert own_client.v1.subscriptions.retrieve(subscription_id).status == "past_due"
    open_invoices = own_client.v1.invoices.list(
        params={"subscription": subscription_id, "status": "open"}
    ).data
    assert len(open_invoices) == 2
    first, second = sorted(i.status_transitions.finalized_at for i in open_invoices)
    assert first < renewal + 3600 <= next_renewal <= second
    assert all(invoice.attempt_count >= 1 for invoice in open_invoices)


def test_retry_days_can_be_configured(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    result = http_request(
        "POST",
        f"{own_emulator.url}/_emulator/settings",
        body='{"retry_days": [1]}',
        headers={"Content-Type": "application/json"},
    )
    assert result.status == 200
    subscription_id, _ = _failing_subscription(own_client, own_emulator)
    own_emulator.advance(DAY)
    assert own_client.v1.subscriptions.retrieve(subscription_id).status == "canceled"


def test_a_successful_retry_makes_the_subscription_active_again(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    subscription_id, _ = _failing_subscription(own_client, own_emulator)
    own_client.v1.subscriptions.update(
        subscription_id, params={"default_payment_method": "pm_card_visa"}
    )
    own_emulator.advance(3 * DAY)
    subscription = own_client.v1.subscriptions.retrieve(
        subscription_id, params={"expand": ["latest_invoice"]}
    )
    assert subscription.status == "active"
    assert subscription.latest_invoice.status == "paid"
    assert event_types(own_emulator, subscription.latest_invoice.id)[-2:] == [
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


def test_cancel_at_period_end_ends_the_subscription_at_period_end(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    _, subscription_id = subscribe(own_client)
    period_end = _renewal_moment(own_client, subscription_id)
    requested = own_client.v1.subscriptions.update(
        subscription_id, params={"cancel_at_period_end": True}
    )
    assert requested.status == "active"
    assert requested.cancel_at_period_end is True
    assert requested.cancel_at == period_end
    assert requested.canceled_at is not None
    assert requested.cancellation_details.reason == "cancellation_requested"
    previous = own_emulator.state.events_of(subscription_id)[-1]["data"]["previous_attributes"]
    assert previous["cancel_at_period_end"] is False

    own_emulator.advance(period_end - own_emulator.now() + 60)
    ended = own_client.v1.subscriptions.retrieve(subscription_id)
    assert ended.status == "canceled"
    assert ended.ended_at == period_end
    assert ended.canceled_at == requested.canceled_at
    assert event_types(own_emulator, subscription_id)[-1] == "customer.subscription.deleted"
    assert own_client.v1.invoices.list(params={"subscription": subscription_id}).data[
        0
    ].billing_reason == ("subscription_create")


def test_undoing_cancel_at_period_end_keeps_the_subscription(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    _, subscription_id = subscribe(own_client)
    own_client.v1.subscriptions.update(subscription_id, params={"cancel_at_period_end": True})
    undone = own_client.v1.subscriptions.update(
        subscription_id, params={"cancel_at_period_end": False}
    )
    assert (undone.cancel_at, undone.canceled_at) == (None, None)
    own_emulator.advance(32 * DAY)
    assert own_client.v1.subscriptions.retrieve(subscription_id).status == "active"


def test_cancel_at_ends_the_subscription_at_that_time(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    _, subscription_id = subscribe(own_client)
    cancel_at = own_emulator.now() + 10 * DAY
    own_client.v1.subscriptions.update(subscription_id, params={"cancel_at": cancel_at})
    own_emulator.advance(9 * DAY)
    assert own_client.v1.subscriptions.retrieve(subscription_id).status == "active"
    own_emulator.advance(2 * DAY)
    ended = own_client.v1.subscriptions.retrieve(subscription_id)
    assert (ended.status, ended.ended_at) == ("canceled", cancel_at)


def test_cancel_now_through_the_api(client: stripe.StripeClient, emulator: Emulator) -> None:
    customer_id, subscription_id = subscribe(client)
    canceled = client.v1.subscriptions.cancel(
        subscription_id, params={"cancellation_details": {"comment": "too pricey"}}
    )
    assert canceled.status == "canceled"
    assert canceled.ended_at is not None
    assert canceled.canceled_at == canceled.ended_at
    assert canceled.cancellation_details.comment == "too pricey"
    assert event_types(emulator, subscription_id)[-1] == "customer.subscription.deleted"
    assert client.v1.subscriptions.list(params={"customer": customer_id}).data == []
    everything = client.v1.subscriptions.list(params={"customer": customer_id, "status": "all"})
    assert [s.id for s in everything.data] == [subscription_id]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.cancel(subscription_id)
    assert caught.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(subscription_id, params={"cancel_at_period_end": True})


def test_subscriptions_can_be_listed_by_price_and_status(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "list@example.com"})
    price = new_price(client)
    made = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price}]}
    )
    assert [s.id for s in client.v1.subscriptions.list(params={"price": price}).data] == [made.id]
    assert client.v1.subscriptions.list(params={"price": price, "status": "past_due"}).data == []


def test_a_subscription_created_through_the_api_pays_with_a_default_card(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    customer = client.v1.customers.create(params={"email": "api@example.com"})
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": new_price(client)}],
            "metadata": {"user_id": "3"},
            "expand": ["latest_invoice"],
        }
    )
    assert subscription.status == "active"
    assert subscription.metadata.to_dict() == {"user_id": "3"}
    assert subscription.latest_invoice.status == "paid"
    assert subscription.default_payment_method.startswith("pm_")
    assert event_types(emulator, subscription.id) == ["customer.subscription.created"]


def test_a_declined_default_payment_method_leaves_the_subscription_incomplete(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    customer = own_client.v1.customers.create(params={"email": "incomplete@example.com"})
    params: stripe.params.SubscriptionCreateParams = {
        "customer": customer.id,
        "items": [{"price": new_price(own_client)}],
        "default_payment_method": "pm_card_chargeDeclined",
    }
    subscription = own_client.v1.subscriptions.create(params=params)
    assert subscription.status == "incomplete"
    with pytest.raises(stripe.CardError):
        own_client.v1.subscriptions.create(
            params={**params, "payment_behavior": "error_if_incomplete"}
        )
    own_emulator.advance(DAY)
    expired = own_client.v1.subscriptions.retrieve(
        subscription.id, params={"expand": ["latest_invoice"]}
    )
    assert expired.status == "incomplete_expired"
    assert expired.latest_invoice.status == "void"


def test_a_trial_without_card_pauses_and_resume_bills_it(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    customer = own_client.v1.customers.create(params={"email": "trial@example.com"})
    subscription = own_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": new_price(own_client)}],
            "trial_period_days": 7,
            "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}},
        }
    )
    assert subscription.status == "trialing"
    assert subscription.trial_end == subscription.trial_start + 7 * DAY
    own_emulator.advance(8 * DAY)
    paused = own_client.v1.subscriptions.retrieve(subscription.id)
    assert paused.status == "paused"
    assert event_types(own_emulator, subscription.id)[-2:] == [
        "customer.subscription.updated",
        "customer.subscription.paused",
    ]
    resumed = own_client.v1.subscriptions.resume(
        subscription.id, params={"billing_cycle_anchor": "now", "expand": ["latest_invoice"]}
    )
    assert resumed.status == "active"
    assert resumed.latest_invoice.status == "paid"
    assert event_types(own_emulator, subscription.id)[-1] == "customer.subscription.resumed"
    with pytest.raises(stripe.InvalidRequestError):
        own_client.v1.subscriptions.resume(subscription.id)


def test_pause_collection_voids_renewals_until_it_resumes(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    _, subscription_id = subscribe(own_client)
    resumes_at = own_emulator.now() + 40 * DAY
    paused = own_client.v1.subscriptions.update(
        subscription_id,
        params={"pause_collection": {"behavior": "void", "resumes_at": resumes_at}},
    )
    assert paused.pause_collection.behavior == "void"
    own_emulator.advance(35 * DAY)
    subscription = own_client.v1.subscriptions.retrieve(
        subscription_id, params={"expand": ["latest_invoice"]}
    )
    assert subscription.status == "active"
    assert subscription.latest_invoice.status == "void"
    own_emulator.advance(10 * DAY)
    assert own_client.v1.subscriptions.retrieve(subscription_id).pause_collection is None
    unset = own_client.v1.subscriptions.update(subscription_id, params={"pause_collection": ""})
    assert unset.pause_collection is None


def test_the_price_of_an_item_can_be_changed(client: stripe.StripeClient) -> None:
    _, subscription_id = subscribe(client)
    subscription = client.v1.subscriptions.retrieve(subscription_id)
    item = subscription["items"].data[0]
    new = new_price(client, amount=5000)
    updated = client.v1.subscriptions.update(
        subscription_id,
        params={"items": [{"id": item.id, "price": new}], "proration_behavior": "none"},
    )
    assert updated["items"].data[0].price.id == new
    assert updated["items"].data[0].plan.amount == 5000


def test_a_test_clock_moves_only_its_own_customers(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    start = _ts(2026, 1, 15)
    clock = client.v1.test_helpers.test_clocks.create(
        params={"frozen_time": start, "name": "renewals"}
    )
    customer = client.v1.customers.create(
        params={"email": "clock@example.com", "test_clock": clock.id}
    )
    assert customer.created == start
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": new_price(client)}]}
    )
    assert subscription.created == start
    assert subscription["items"].data[0].current_period_end == _ts(2026, 2, 15)

    advanced = client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": _ts(2026, 3, 20)}
    )
    assert (advanced.status, advanced.frozen_time) == ("ready", _ts(2026, 3, 20))
    invoices = client.v1.invoices.list(params={"subscription": subscription.id})
    assert [i.created for i in invoices.data] == [_ts(2026, 3, 15), _ts(2026, 2, 15), start]
    assert all(i.status == "paid" for i in invoices.data)
    renewal_events = client.v1.events.list(params={"type": "invoice.paid", "limit": 100})
    mine = [e.created for e in renewal_events.data if e.data.object.customer == customer.id]
    assert mine == [_ts(2026, 3, 15), _ts(2026, 2, 15), start]
    assert event_types(emulator, clock.id) == [
        "test_helpers.test_clock.created",
        "test_helpers.test_clock.advancing",
        "test_helpers.test_clock.ready",
    ]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": start})

    deleted = client.v1.test_helpers.test_clocks.delete(clock.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve(customer.id)


def test_the_clock_control_endpoint_advances_the_default_clock(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    _, subscription_id = subscribe(own_client)
    before = own_emulator.now()
    result = http_request(
        "POST", f"{own_emulator.url}/_emulator/clock/advance", form={"seconds": str(40 * DAY)}
    )
    assert result.status == 200
    assert own_emulator.now() >= before + 40 * DAY
    invoices = own_client.v1.invoices.list(params={"subscription": subscription_id})
    assert len(invoices.data) == 2
    bad = http_request(
        "POST", f"{own_emulator.url}/_emulator/clock/advance", form={"seconds": "soon"}
    )
    assert bad.status == 400
