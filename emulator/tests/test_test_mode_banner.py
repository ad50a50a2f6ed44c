"""Every page the emulator serves says, at the top, that it is test mode: a person paying
on its checkout must never take it for Stripe."""

from __future__ import annotations

import re

import stripe

from emulator_support import http_request, new_session, pay, subscribe
from stripe_emulator import Emulator

BANNER = re.compile(
    r'<body>\s*<div class="banner" role="note" aria-label="Test mode">\s*<strong>Test mode</strong>'
)


def assert_test_mode(page: str) -> None:
    assert BANNER.search(page), page[:600]
    assert "no real card is" in page
    assert re.search(r"<title>[^<]* · Test mode · Stripe emulator</title>", page)


def test_every_page_opens_with_the_test_mode_banner(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    customer_id, subscription_id = subscribe(client)
    invoice_id = client.v1.subscriptions.retrieve(subscription_id).latest_invoice
    invoice = client.v1.invoices.retrieve(str(invoice_id))
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": customer_id, "return_url": "http://127.0.0.1:9/account"}
    )
    open_checkout = new_session(client)
    paid_checkout = new_session(client)
    assert pay(str(paid_checkout.url), email="banner@example.com").status == 303

    pages = {
        "home": f"{emulator.url}/",
        "checkout": str(open_checkout.url),
        "checkout already paid": str(paid_checkout.url),
        "portal": str(portal.url),
        "invoice": str(invoice.hosted_invoice_url),
        "unknown checkout": f"{emulator.url}/checkout/cs_test_unknown",
    }
    for name, url in pages.items():
        page = http_request("GET", url)
        assert page.headers["content-type"].startswith("text/html"), name
        assert_test_mode(page.body)
