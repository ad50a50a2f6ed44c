"""Stripe's errors become domain errors a person can read; no key reaches the message."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from adapters.stripe import StripePaymentGateway, StripeSettings
from application.ports import CheckoutOffer
from domain.email import EmailAddress
from domain.errors import PaymentProviderError
from stripe_emulator import Emulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0, tick_interval=None) as emu:
        yield emu


def gateway(key: str, api_base: str) -> StripePaymentGateway:
    settings = StripeSettings(key, ("whsec_test_x",), api_base=api_base)
    return StripePaymentGateway(settings)


def test_an_unreachable_provider_is_a_readable_error() -> None:
    closed = gateway("sk_test_unreachable", "http://127.0.0.1:9")
    with pytest.raises(PaymentProviderError, match="could not be reached") as caught:
        closed.create_customer("u1", EmailAddress("a@example.com"))
    assert "sk_test_unreachable" not in str(caught.value)


def test_a_rejected_key_is_a_readable_error_without_the_key(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = gateway("sk_live_not_accepted_by_the_emulator", emulator.url)
    with pytest.raises(PaymentProviderError) as caught:
        wrong.create_customer("u1", EmailAddress("a@example.com"))
    assert "sk_live_not_accepted" not in str(caught.value)
    assert "sk_live_not_accepted" not in caplog.text
    assert "STRIPE_SECRET_KEY" in caplog.text  # the operator is told where to look


def test_an_unknown_price_is_refused_with_a_readable_error(emulator: Emulator) -> None:
    bad_price = gateway("sk_test_errors", emulator.url)
    customer = bad_price.create_customer("u2", EmailAddress("b@example.com"))
    with pytest.raises(PaymentProviderError, match="refused the request"):
        bad_price.create_checkout_session(
            user_id="u2",
            customer_id=customer,
            offer=CheckoutOffer("price_does_not_exist"),
            success_url="http://x/s",
            cancel_url="http://x/c",
            requested_at=datetime.now(UTC),
        )
