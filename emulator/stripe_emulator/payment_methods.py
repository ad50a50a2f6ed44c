"""The cards customers and subscriptions pay with (an internal side table, no API resource)."""

from __future__ import annotations

from .cards import DEFAULT_CARD, TEST_PAYMENT_METHODS, PaymentMethod
from .errors import StripeError, resource_missing
from .ids import new_id
from .objects import Json
from .store import Store


class PaymentMethods:
    """Saved test cards, and which one a subscription charges. Callers hold ``store.lock``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add_card(self, customer_id: str | None, number: str) -> PaymentMethod:
        """Save a test card (digits only) for ``customer_id``."""
        method = PaymentMethod(
            id=new_id("pm_"),
            number=number,
            customer=customer_id,
            created=self.store.now_for_customer(customer_id),
        )
        self.store.payment_methods[method.id] = method
        return method

    def from_param(self, pm_id: str, customer_id: str, param: str) -> PaymentMethod:
        """The card named by a request parameter (``default_payment_method``...).

        Stripe's test ids (``pm_card_visa``, ``pm_card_chargeDeclined``,
        ``pm_card_chargeCustomerFail``) create a new card for the customer.
        """
        if pm_id in TEST_PAYMENT_METHODS:
            return self.add_card(customer_id, TEST_PAYMENT_METHODS[pm_id])
        method = self.store.payment_methods.get(pm_id)
        if method is None:
            raise resource_missing("PaymentMethod", pm_id, param=param)
        if method.customer not in (None, customer_id):
            raise StripeError(
                f"The payment method {pm_id} does not belong to customer {customer_id}.",
                param=param,
            )
        method.customer = customer_id
        return method

    def customer_default(self, customer: Json) -> PaymentMethod | None:
        pm_id = customer["invoice_settings"]["default_payment_method"]
        return self.store.payment_methods.get(pm_id) if pm_id else None

    def card_for(self, subscription: Json) -> PaymentMethod | None:
        """The card a subscription charges: its own default, else its customer's."""
        own = subscription.get("default_payment_method")
        if own and own in self.store.payment_methods:
            return self.store.payment_methods[own]
        return self.customer_default(self.store.customers[subscription["customer"]])

    def card_or_default(self, subscription: Json) -> PaymentMethod:
        """:meth:`card_for`, or a fresh 4242 card set as the subscription's default."""
        method = self.card_for(subscription)
        if method is None:
            method = self.add_card(subscription["customer"], DEFAULT_CARD)
            subscription["default_payment_method"] = method.id
        return method
