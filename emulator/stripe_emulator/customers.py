"""Customers: created on a clock, updated with ``customer.updated``, deleted with their
subscriptions."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from . import objects, statuses
from .lifecycle import SubscriptionLifecycle
from .objects import Json
from .outbox import Outbox, changed_attributes
from .store import Store


class Customers:
    """Creating and deleting customers. Callers hold ``store.lock``."""

    def __init__(self, store: Store, lifecycle: SubscriptionLifecycle) -> None:
        self.store = store
        self.lifecycle = lifecycle

    def create(
        self,
        *,
        email: str | None = None,
        test_clock: str | None = None,
        apply: Callable[[Json], None] | None = None,
    ) -> Json:
        """Create a customer on its clock and record ``customer.created``.

        ``apply`` sets what the request gave (``name``, ``address``...) before the
        customer is stored; if it raises, nothing is.
        """
        now = self.store.now(test_clock)
        customer = objects.customer(
            created=now,
            email=email,
            test_clock=test_clock,
            invoice_prefix=secrets.token_hex(4).upper(),
        )
        if apply is not None:
            apply(customer)
        self.store.customers[customer["id"]] = customer
        self.store.record_event("customer.created", customer, created=now)
        return customer

    def record_update(self, customer: Json, before: Json) -> None:
        """``customer.updated`` with what changed since ``before``, if anything did."""
        previous = changed_attributes(before, customer)
        if previous:
            self.store.record_event(
                "customer.updated",
                customer,
                created=self.store.now(customer["test_clock"]),
                previous_attributes=previous,
            )

    def delete(self, customer: Json) -> None:
        """As Stripe: the customer's subscriptions end now, then the customer is gone."""
        now = self.store.now(customer["test_clock"])
        outbox = Outbox()
        for subscription in list(self.store.subscriptions.values()):
            live = subscription["status"] not in statuses.ENDED
            if subscription["customer"] == customer["id"] and live:
                self.lifecycle.cancel(
                    subscription, now=now, reason="cancellation_requested", outbox=outbox
                )
        outbox.send(self.store, now)
        del self.store.customers[customer["id"]]
        self.store.record_event("customer.deleted", customer, created=now)
