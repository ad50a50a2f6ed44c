"""A fetched object is stamped by Stripe's clock (its Date header), not ours."""

from datetime import UTC, datetime, timedelta

import requests

from adapters.stripe import StripePaymentGateway, StripeSettings
from adapters.stripe.provision import provision
from application.ports import CheckoutOffer
from domain.email import EmailAddress
from stripe_emulator import Emulator

KEY = "sk_test_clock"


def test_fetches_are_stamped_by_the_providers_clock_even_when_ours_runs_ahead() -> None:
    ahead = datetime.now(UTC) + timedelta(hours=1)
    with Emulator(port=0, tick_interval=None) as emulator:
        made = provision(KEY, webhook_url="http://127.0.0.1:9/webhook", api_base=emulator.url)
        settings = StripeSettings(KEY, (made.webhook_secret,), api_base=emulator.url)
        gateway = StripePaymentGateway(settings, clock=lambda: ahead)
        customer = gateway.create_customer("clock-user", EmailAddress("clock@example.com"))
        checkout = gateway.create_checkout_session(
            user_id="clock-user",
            customer_id=customer,
            offer=CheckoutOffer(made.price_id),
            success_url="http://x/s",
            cancel_url="http://x/c",
            requested_at=ahead,
        )
        card = {"card_number": "4242424242424242", "card_expiry": "12/34", "card_cvc": "123"}
        requests.post(checkout.url, data=card, allow_redirects=False, timeout=10)

        session = gateway.get_checkout_session(checkout.session_id)
        assert session.subscription_id is not None
        subscription = gateway.get_subscription(session.subscription_id)

    real_now = datetime.now(UTC)
    assert subscription is not None
    for stamp in (subscription.as_of, session.as_of):
        assert stamp is not None
        assert abs(stamp - real_now) < timedelta(minutes=1)
        assert stamp < ahead - timedelta(minutes=30)
