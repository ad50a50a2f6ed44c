"""The payment gateway over Stripe's official SDK. No `stripe.` call lives elsewhere."""

from adapters.stripe.gateway import StripePaymentGateway, StripeSettings

__all__ = ["StripePaymentGateway", "StripeSettings"]
