"""The hosted checkout page: pay with a test card, decline, already paid, expired."""

from __future__ import annotations

import stripe

from emulator_support import (
    DAY,
    DECLINED_CARD,
    GOOD_CARD,
    LATER_FAILS_CARD,
    event_types,
    events_for_customer,
    http_request,
    new_price,
    new_session,
    pay,
)
from stripe_emulator import Emulator


def test_the_page_shows_price_email_card_fields_and_a_way_back(
    client: stripe.StripeClient,
) -> None:
    session = new_session(client, price=new_price(client, amount=1250), email="shown@example.com")
    page = http_request("GET", str(session.url))
    assert page.status == 200
    assert "$12.50" in page.body
    assert "per month" in page.body
    assert 'value="shown@example.com"' in page.body
    for field in ('name="card_number"', 'name="card_expiry"', 'name="card_cvc"', ">Pay<"):
        assert field in page.body
    assert 'href="http://127.0.0.1:9/cancel"' in page.body
    assert "<script" not in page.body


def test_paying_with_4242_redirects_to_success_with_the_session_id(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create(params={"email": "payer@example.com"})
    session = new_session(client, customer=customer.id, client_reference_id="user-7")
    result = pay(str(session.url), GOOD_CARD)
    assert result.status == 303
    assert result.headers["location"] == (f"http://127.0.0.1:9/success?session_id={session.id}")
    paid = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer == customer.id
    assert paid.client_reference_id == "user-7"
    assert paid.url is None
    subscription = paid.subscription
    assert subscription.status == "active"
    assert subscription.customer == customer.id
    assert paid.invoice == subscription.latest_invoice
    item = subscription["items"].data[0]
    assert item.current_period_start == subscription.created
    assert 28 * DAY <= item.current_period_end - item.current_period_start <= 31 * DAY
    invoice = client.v1.invoices.retrieve(str(paid.invoice))
    assert (invoice.status, invoice.amount_paid) == ("paid", 2000)
    assert invoice.parent.subscription_details.subscription == subscription.id


def test_a_paid_checkout_records_events_in_the_documented_order(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    customer = client.v1.customers.create(params={"email": "order@example.com"})
    session = new_session(client, customer=customer.id)
    assert pay(str(session.url)).status == 303
    types = [e["type"] for e in events_for_customer(emulator, customer.id)]
    assert types == [
        "customer.created",
        "checkout.session.completed",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]
    invoice_states = [
        e["data"]["object"]["status"]
        for e in events_for_customer(emulator, customer.id)
        if e["type"].startswith("invoice.")
    ]
    assert invoice_states == ["draft", "open", "paid", "paid"]


def test_a_paid_checkout_creates_the_subscription_incomplete_then_makes_it_active(
    client: stripe.StripeClient,
) -> None:
    """As Stripe does (issue 9): the subscription a checkout creates is incomplete until
    its first invoice is paid, and the update says so in previous_attributes."""
    customer = client.v1.customers.create(params={"email": "incomplete@example.com"})
    session = new_session(client, customer=customer.id)
    assert pay(str(session.url)).status == 303
    subscription_id = client.v1.checkout.sessions.retrieve(session.id).subscription
    events = client.v1.events.list(params={"type": "customer.subscription.*", "limit": 100})
    mine = [e for e in reversed(events.data) if e.data.object.id == subscription_id]
    assert [e.type for e in mine] == [
        "customer.subscription.created",
        "customer.subscription.updated",
    ]
    created, updated = mine
    assert created.data.object.status == "incomplete"
    assert created.data.object.latest_invoice is not None
    assert updated.data.object.status == "active"
    assert updated.data.previous_attributes.to_dict() == {"status": "incomplete"}
    assert updated.created >= created.created


def test_a_checkout_with_a_trial_creates_the_subscription_trialing(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create(params={"email": "trial@example.com"})
    session = new_session(client, customer=customer.id, subscription_data={"trial_period_days": 7})
    assert pay(str(session.url)).status == 303
    subscription_id = client.v1.checkout.sessions.retrieve(session.id).subscription
    events = client.v1.events.list(params={"type": "customer.subscription.*", "limit": 100})
    mine = [e for e in events.data if e.data.object.id == subscription_id]
    assert [(e.type, e.data.object.status) for e in mine] == [
        ("customer.subscription.created", "trialing")
    ]


def test_checkout_with_an_email_creates_the_customer(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    session = new_session(client, email="new@checkout.example")
    assert pay(str(session.url), GOOD_CARD, email="new@checkout.example").status == 303
    paid = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["customer"]})
    assert paid.customer.email == "new@checkout.example"
    assert event_types(emulator, paid.customer.id) == ["customer.created"]


def test_without_customer_a_valid_email_is_required(client: stripe.StripeClient) -> None:
    session = new_session(client)
    result = pay(str(session.url), GOOD_CARD, email="not-an-email")
    assert result.status == 400
    assert "Enter a valid email address." in result.body
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_subscription_metadata_comes_from_subscription_data(client: stripe.StripeClient) -> None:
    session = new_session(
        client,
        email="meta@checkout.example",
        metadata={"user_id": "42"},
        subscription_data={"metadata": {"user_id": "42"}},
    )
    pay(str(session.url), GOOD_CARD)
    paid = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    assert paid.metadata.to_dict() == {"user_id": "42"}
    assert paid.subscription.metadata.to_dict() == {"user_id": "42"}


def test_a_declined_card_shows_the_page_again_and_creates_nothing(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    customer = client.v1.customers.create(params={"email": "declined@example.com"})
    session = new_session(client, customer=customer.id)
    with emulator.state.lock:
        events_before = len(emulator.state.events)
    result = pay(str(session.url), DECLINED_CARD)
    assert result.status == 402
    assert "Your card was declined." in result.body
    assert 'name="card_number"' in result.body
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert (
        client.v1.subscriptions.list(params={"customer": customer.id, "status": "all"}).data == []
    )
    with emulator.state.lock:
        assert len(emulator.state.events) == events_before


def test_a_number_that_is_no_test_card_is_refused(client: stripe.StripeClient) -> None:
    session = new_session(client, email="other@example.com")
    result = pay(str(session.url), "5105 1051 0510 5100")
    assert result.status == 400
    assert "not a test card" in result.body
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_a_past_expiry_or_a_bad_cvc_is_refused(client: stripe.StripeClient) -> None:
    session = new_session(client, email="expiry@example.com")
    form = {"card_number": GOOD_CARD, "card_expiry": "01 / 20", "card_cvc": "123"}
    assert http_request("POST", str(session.url), form=form).status == 400
    form = {"card_number": GOOD_CARD, "card_expiry": "12 / 34", "card_cvc": "12x"}
    result = http_request("POST", str(session.url), form=form)
    assert result.status == 400
    assert "security code" in result.body


def test_a_completed_session_says_so_and_cannot_be_paid_twice(
    client: stripe.StripeClient,
) -> None:
    session = new_session(client, email="twice@example.com")
    assert pay(str(session.url)).status == 303
    page = http_request("GET", str(session.url))
    assert page.status == 200
    assert "already complete" in page.body
    again = pay(str(session.url))
    assert again.status == 409
    assert "already complete" in again.body
    subscriptions = client.v1.subscriptions.list(
        params={"customer": str(client.v1.checkout.sessions.retrieve(session.id).customer)}
    )
    assert len(subscriptions.data) == 1


def test_card_0341_pays_checkout_then_the_renewal_fails(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    own = own_client
    customer = own.v1.customers.create(params={"email": "0341@example.com"})
    session = new_session(own, customer=customer.id)
    assert pay(str(session.url), LATER_FAILS_CARD).status == 303
    subscription_id = str(own.v1.checkout.sessions.retrieve(session.id).subscription)
    assert own.v1.subscriptions.retrieve(subscription_id).status == "active"
    own_emulator.advance(32 * DAY)
    subscription = own.v1.subscriptions.retrieve(
        subscription_id, params={"expand": ["latest_invoice"]}
    )
    assert subscription.status == "past_due"
    assert subscription.latest_invoice.status == "open"
    assert subscription.latest_invoice.attempt_count == 1
    assert event_types(own_emulator, subscription.latest_invoice.id) == [
        "invoice.created",
        "invoice.finalized",
        "invoice.payment_failed",
    ]


def test_an_unknown_session_page_is_404(emulator: Emulator) -> None:
    assert http_request("GET", f"{emulator.url}/checkout/cs_test_nope").status == 404
    assert pay(f"{emulator.url}/checkout/cs_test_nope").status == 404


def test_a_session_expires_after_24_hours(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    session = new_session(own_client, email="late@example.com")
    own_emulator.advance(DAY + 1)
    assert own_client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    page = http_request("GET", f"{own_emulator.url}/checkout/{session.id}")
    assert "expired" in page.body
    assert pay(f"{own_emulator.url}/checkout/{session.id}").status == 410
    assert event_types(own_emulator, session.id) == ["checkout.session.expired"]


def test_a_session_can_be_expired_through_the_api(client: stripe.StripeClient) -> None:
    session = new_session(client, email="expire@example.com")
    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    assert expired.url is None


def test_line_items_of_a_session_can_be_listed(client: stripe.StripeClient) -> None:
    price = new_price(client, amount=700)
    session = new_session(client, price=price, email="lines@example.com")
    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [(i.price.id, i.quantity, i.amount_total) for i in items.data] == [(price, 1, 700)]


def test_only_subscription_mode_is_supported(client: stripe.StripeClient) -> None:
    try:
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "http://127.0.0.1:9/ok",
                "line_items": [{"price": new_price(client), "quantity": 1}],
            }
        )
    except stripe.InvalidRequestError as error:
        assert error.param == "mode"
    else:
        raise AssertionError("mode=payment was accepted")
