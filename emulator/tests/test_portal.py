"""The hosted billing portal: cancel at period end, resume, cancel now, update card."""

from __future__ import annotations

import stripe

from emulator_support import (
    DAY,
    DECLINED_CARD,
    GOOD_CARD,
    LATER_FAILS_CARD,
    card_form,
    event_types,
    http_request,
    subscribe,
)
from stripe_emulator import Emulator


def _portal(client: stripe.StripeClient, customer_id: str) -> str:
    session = client.v1.billing_portal.sessions.create(
        params={"customer": customer_id, "return_url": "http://127.0.0.1:9/account"}
    )
    assert session.url.endswith(f"/portal/{session.id}")
    return str(session.url)


def _press(portal_url: str, action: str, form: dict[str, str] | None = None) -> str:
    result = http_request("POST", f"{portal_url}/{action}", form=form or {})
    assert result.status == 303, result.body
    location = result.headers["location"]
    assert location.split("?")[0] in portal_url
    return location


def test_the_portal_lists_subscriptions_with_actions_and_a_return_link(
    client: stripe.StripeClient,
) -> None:
    customer_id, subscription_id = subscribe(client)
    page = http_request("GET", _portal(client, customer_id))
    assert page.status == 200
    assert "active" in page.body
    assert "Renews on" in page.body
    for label in ("Cancel at period end", "Cancel now", "Update card"):
        assert label in page.body
    assert f"/subscriptions/{subscription_id}/cancel-at-period-end" in page.body
    assert 'href="http://127.0.0.1:9/account"' in page.body
    assert "<script" not in page.body


def test_cancel_at_period_end_then_resume(client: stripe.StripeClient, emulator: Emulator) -> None:
    customer_id, subscription_id = subscribe(client)
    portal = _portal(client, customer_id)

    _press(portal, f"subscriptions/{subscription_id}/cancel-at-period-end")
    scheduled = client.v1.subscriptions.retrieve(subscription_id)
    assert scheduled.cancel_at_period_end is True
    page = http_request("GET", portal)
    assert "Cancels on" in page.body
    assert ">Resume<" in page.body

    _press(portal, f"subscriptions/{subscription_id}/resume")
    resumed = client.v1.subscriptions.retrieve(subscription_id)
    assert (resumed.cancel_at_period_end, resumed.cancel_at) == (False, None)
    assert event_types(emulator, subscription_id) == [
        "customer.subscription.created",
        "customer.subscription.updated",  # the checkout was paid
        "customer.subscription.updated",  # cancel at period end
        "customer.subscription.updated",  # resumed
    ]


def test_cancel_now(client: stripe.StripeClient, emulator: Emulator) -> None:
    customer_id, subscription_id = subscribe(client)
    portal = _portal(client, customer_id)
    location = _press(portal, f"subscriptions/{subscription_id}/cancel")
    assert "done=canceled" in location
    assert client.v1.subscriptions.retrieve(subscription_id).status == "canceled"
    assert event_types(emulator, subscription_id)[-1] == "customer.subscription.deleted"
    page = http_request("GET", portal)
    assert "Ended on" in page.body
    again = http_request("POST", f"{portal}/subscriptions/{subscription_id}/cancel")
    assert again.status == 409


def test_updating_the_card_pays_the_open_invoice_and_reactivates(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    customer_id, subscription_id = subscribe(own_client, LATER_FAILS_CARD)
    own_emulator.advance(32 * DAY)
    failing = own_client.v1.subscriptions.retrieve(subscription_id)
    assert failing.status == "past_due"
    invoice_id = str(failing.latest_invoice)
    portal = _portal(own_client, customer_id)
    assert "The last payment failed." in http_request("GET", portal).body

    refused = http_request("POST", f"{portal}/card", form=card_form(DECLINED_CARD))
    assert refused.status == 402
    assert "Your card was declined." in refused.body
    assert own_client.v1.subscriptions.retrieve(subscription_id).status == "past_due"

    _press(portal, "card", card_form(GOOD_CARD))
    assert own_client.v1.subscriptions.retrieve(subscription_id).status == "active"
    assert own_client.v1.invoices.retrieve(invoice_id).status == "paid"
    assert event_types(own_emulator, invoice_id)[-2:] == [
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    updated = own_emulator.state.events_of(subscription_id)[-1]
    assert updated["type"] == "customer.subscription.updated"
    assert updated["data"]["previous_attributes"]["status"] == "past_due"
    assert "4242" in http_request("GET", portal).body

    own_emulator.advance(32 * DAY)
    assert own_client.v1.subscriptions.retrieve(subscription_id).status == "active"


def test_a_portal_for_someone_elses_subscription_is_404(client: stripe.StripeClient) -> None:
    owner_id, _ = subscribe(client)
    _, other_subscription = subscribe(client)
    portal = _portal(client, owner_id)
    result = http_request("POST", f"{portal}/subscriptions/{other_subscription}/cancel")
    assert result.status == 404
    assert client.v1.subscriptions.retrieve(other_subscription).status == "active"


def test_an_unknown_portal_session_is_404(emulator: Emulator) -> None:
    assert http_request("GET", f"{emulator.url}/portal/bps_nope").status == 404
