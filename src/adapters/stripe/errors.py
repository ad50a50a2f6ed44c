"""Stripe's SDK errors as the domain's: what every call to Stripe is wrapped in."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import stripe

from domain.errors import CustomerMissing, PaymentDeclined, PaymentProviderError

log = logging.getLogger(__name__)


class NotFound(PaymentProviderError):
    """Stripe does not know the object in the request's path (a 404)."""

    message = "The payment provider does not know that object."


@contextmanager
def translated_errors() -> Iterator[None]:
    """A declined card is `PaymentDeclined` (with Stripe's words for the person); an unknown
    customer named in a parameter `CustomerMissing`; an unknown object in the path
    `NotFound`; anything else `PaymentProviderError`. The detail goes to the log, never a
    secret."""
    try:
        yield
    except stripe.CardError as error:
        raise PaymentDeclined(error.user_message or PaymentDeclined.message) from error
    except stripe.InvalidRequestError as error:
        log.warning("Stripe refused a request: %s (%s)", error.code, error.http_status)
        if error.code == "resource_missing" and getattr(error, "param", None) == "customer":
            raise CustomerMissing() from error
        if error.http_status == 404:
            raise NotFound() from error
        raise PaymentProviderError("The payment provider refused the request.") from error
    except stripe.AuthenticationError as error:
        log.error("Stripe rejected the API key (check STRIPE_SECRET_KEY)")
        raise PaymentProviderError() from error
    except stripe.StripeError as error:
        log.warning("Stripe call failed: %s", type(error).__name__)
        raise PaymentProviderError() from error
