import hmac
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from adapters.memory.fake_provider import (
    FakeCheckout,
    FakeCustomer,
    FakeProvider,
    event_from_payload,
)
from application.ports import (
    CheckoutOffer,
    CheckoutRedirect,
    PaymentGateway,
    PortalConfiguration,
)
from domain.catalog import PlanPrice
from domain.email import EmailAddress
from domain.errors import CheckoutNotFound, InvalidWebhook, PaymentProviderError
from domain.provider_events import BillingEvent, CheckoutSession
from domain.subscription import Subscription

__all__ = ["FakeCheckout", "FakeCustomer", "FakePaymentGateway"]


class FakePaymentGateway(FakeProvider, PaymentGateway):
    """A payment provider in memory: customers, checkouts, subscriptions and signed events.

    It speaks Stripe's event names (the same type-to-kind table as the Stripe adapter)
    but its own payload and signature format. Besides the port, it offers what a
    provider's dashboard and clock would do, for tests (see `FakeProvider`).
    """

    # -- the port -------------------------------------------------------------------

    def find_prices(self, lookup_keys: Sequence[str]) -> Mapping[str, PlanPrice]:
        self._maybe_fail()
        return {key: self.prices[key] for key in lookup_keys if key in self.prices}

    def create_customer(
        self, user_id: str, email: EmailAddress, *, replacing: str | None = None
    ) -> str:
        self._maybe_fail()
        # Idempotent as Stripe is: the same request again answers with the same customer,
        # even one deleted since.
        key = (user_id, replacing)
        if key in self._customer_keys:
            return self._customer_keys[key]
        customer = FakeCustomer(self._id("cus"), user_id, email.value)
        self.customers[customer.id] = customer
        self._customer_keys[key] = customer.id
        return customer.id

    def create_checkout_session(
        self,
        *,
        user_id: str,
        customer_id: str,
        offer: CheckoutOffer,
        success_url: str,
        cancel_url: str,
        requested_at: datetime,
    ) -> CheckoutRedirect:
        self._maybe_fail()
        self._customer(customer_id)
        checkout = FakeCheckout(
            self._id("cs"), user_id, customer_id, success_url, cancel_url, requested_at, offer
        )
        self.checkouts[checkout.id] = checkout
        return CheckoutRedirect(checkout.id, checkout.url)

    def settle_open_checkouts(self, customer_id: str) -> CheckoutRedirect | None:
        self._maybe_fail()
        open_ones = [
            c for c in self.checkouts.values() if c.customer_id == customer_id and c.is_open
        ]
        if not open_ones:
            return None
        keep = max(open_ones, key=lambda c: (c.requested_at, c.number))
        for checkout in open_ones:
            checkout.expired = checkout is not keep
        return CheckoutRedirect(keep.id, keep.url)

    def get_checkout_session(self, session_id: str) -> CheckoutSession:
        self._maybe_fail()
        checkout = self.checkouts.get(session_id)
        if checkout is None:
            raise CheckoutNotFound()
        return CheckoutSession(
            as_of=self.clock.now(),
            id=checkout.id,
            user_ref=checkout.user_id,
            customer_id=checkout.customer_id,
            subscription_id=checkout.subscription_id,
            paid=checkout.subscription_id is not None,
        )

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        self._maybe_fail()
        subscription = self.subscriptions.get(subscription_id)
        return replace(subscription, as_of=self.clock.now()) if subscription else None

    def list_subscriptions(self, customer_id: str) -> Sequence[Subscription]:
        self._maybe_fail()
        customer = self._customer(customer_id)
        now = self.clock.now()
        return [replace(self.subscriptions[s], as_of=now) for s in customer.subscriptions]

    def cancel_subscription(self, subscription_id: str) -> Subscription:
        self._maybe_fail()
        self.cancel_now(subscription_id)
        return self.subscriptions[subscription_id]

    def find_portal_configuration(self) -> PortalConfiguration | None:
        self._maybe_fail()
        return self.portal_configuration

    def create_portal_session(
        self, customer_id: str, return_url: str, configuration: str | None = None
    ) -> str:
        self._maybe_fail()
        self._customer(customer_id)
        known = self.portal_configuration
        if configuration is not None and (known is None or known.id != configuration):
            raise PaymentProviderError("The payment provider refused the request.")
        self.portal_sessions.append((customer_id, return_url, configuration))
        return f"https://billing.fake/{customer_id}"

    def parse_webhook(self, payload: bytes, signature: str | None) -> BillingEvent:
        if not signature:
            raise InvalidWebhook("Missing signature.")
        if not signature.isascii() or not hmac.compare_digest(signature, self.signature(payload)):
            raise InvalidWebhook("Bad signature.")
        try:
            event = self.translate_event(payload.decode("utf-8"))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            raise InvalidWebhook("The body is not an event.") from error
        if event.livemode != self.livemode:
            raise InvalidWebhook("The event's mode does not match this service's key.")
        return event

    def translate_event(self, payload: str) -> BillingEvent:
        return event_from_payload(payload)
