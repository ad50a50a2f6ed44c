"""Hosted invoice pages and PDFs: Stripe sets hosted_invoice_url and invoice_pdf when an
invoice is finalized; the emulator left them null (issue 9)."""

from __future__ import annotations

import urllib.error
import urllib.request

import stripe

from emulator_support import DAY, GOOD_CARD, LATER_FAILS_CARD, card_form, http_request, subscribe
from stripe_emulator import Emulator


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_a_finalized_invoice_has_a_hosted_page_and_a_pdf(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    _, subscription_id = subscribe(client)
    subscription = client.v1.subscriptions.retrieve(subscription_id)
    invoice = client.v1.invoices.retrieve(str(subscription.latest_invoice))
    assert invoice.status == "paid"
    assert invoice.hosted_invoice_url is not None
    assert invoice.invoice_pdf is not None
    assert invoice.hosted_invoice_url.startswith(f"{emulator.url}/i/")
    assert invoice.invoice_pdf == f"{invoice.hosted_invoice_url}/pdf"
    assert invoice.id not in invoice.hosted_invoice_url  # a token, as on Stripe

    status, content_type, page = _get(invoice.hosted_invoice_url)
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    html = page.decode()
    assert f"Invoice {invoice.number}" in html
    assert "$20.00" in html
    assert ">paid<" in html
    assert "card_number" not in html  # nothing to pay

    status, content_type, pdf = _get(invoice.invoice_pdf)
    assert (status, content_type) == (200, "application/pdf")
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert f"Invoice {invoice.number}".encode() in pdf
    assert b"Total: $20.00" in pdf


def test_an_open_invoice_is_paid_on_its_page(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    _, subscription_id = subscribe(own_client, LATER_FAILS_CARD)
    renewal = own_client.v1.subscriptions.retrieve(subscription_id)["items"].data[0]
    own_emulator.advance(renewal.current_period_end - own_emulator.now() + 60)
    subscription = own_client.v1.subscriptions.retrieve(
        subscription_id, params={"expand": ["latest_invoice"]}
    )
    assert subscription.status == "past_due"
    invoice = subscription.latest_invoice
    assert invoice.status == "open"

    page = http_request("GET", invoice.hosted_invoice_url)
    assert page.status == 200
    assert 'name="card_number"' in page.body
    declined = http_request(
        "POST", invoice.hosted_invoice_url, form=card_form("4000 0000 0000 0002")
    )
    assert declined.status == 402
    assert "Your card was declined." in declined.body

    paid = http_request("POST", invoice.hosted_invoice_url, form=card_form(GOOD_CARD))
    assert paid.status == 303
    thanks = http_request("GET", own_emulator.url + paid.headers["location"])
    assert "this invoice is paid" in thanks.body
    assert own_client.v1.invoices.retrieve(invoice.id).status == "paid"
    assert own_client.v1.subscriptions.retrieve(subscription_id).status == "active"
    updated = own_client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0]
    assert updated.data.object.id == subscription_id
    assert updated.data.previous_attributes.status == "past_due"
    again = http_request("POST", invoice.hosted_invoice_url, form=card_form(GOOD_CARD))
    assert again.status == 409


def test_a_draft_invoice_has_no_page_yet(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    _, subscription_id = subscribe(own_client)
    own_client.v1.subscriptions.update(
        subscription_id, params={"pause_collection": {"behavior": "keep_as_draft"}}
    )
    own_emulator.advance(32 * DAY)
    subscription = own_client.v1.subscriptions.retrieve(
        subscription_id, params={"expand": ["latest_invoice"]}
    )
    draft = subscription.latest_invoice
    assert draft.status == "draft"
    assert (draft.hosted_invoice_url, draft.invoice_pdf) == (None, None)


def test_an_unknown_invoice_page_is_404(emulator: Emulator) -> None:
    assert http_request("GET", f"{emulator.url}/i/test_unknown").status == 404
    assert _get(f"{emulator.url}/i/test_unknown/pdf")[0] == 404
