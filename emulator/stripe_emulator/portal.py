"""Billing-portal sessions: created by the API; the actions of the portal page.

The portal page (:mod:`stripe_emulator.pages`) calls :class:`Portal`, whose
methods take ``store.lock`` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import objects, statuses
from .hosted_forms import CardEntry, NotFound, PageError, checked_card
from .ids import new_id
from .lifecycle import SubscriptionChange, SubscriptionLifecycle
from .objects import Json
from .outbox import Outbox
from .payment_methods import PaymentMethods
from .store import Store


@dataclass(frozen=True)
class PortalView:
    """What the portal page shows: copies taken under the store's lock."""

    session: Json
    customer: Json
    subscriptions: list[Json]
    card_last4: str | None
    product_names: dict[str, str]


class Portal:
    """Billing-portal sessions and the actions of the portal page."""

    def __init__(
        self, store: Store, cards: PaymentMethods, lifecycle: SubscriptionLifecycle
    ) -> None:
        self.store = store
        self.cards = cards
        self.lifecycle = lifecycle

    def create(self, customer: Json, *, return_url: str | None, locale: str | None) -> Json:
        session_id = new_id("bps_")
        session = objects.portal_session(
            session_id=session_id,
            created=self.store.now(customer["test_clock"]),
            customer_id=customer["id"],
            return_url=return_url,
            url=f"{self.store.base_url}/portal/{session_id}",
            configuration=self.store.portal_configuration,
            locale=locale,
        )
        self.store.portal_sessions[session_id] = session
        return session

    def page(self, session_id: str) -> PortalView:
        """What the portal page shows for ``session_id``."""
        with self.store.lock:
            session, customer = self._session(session_id)
            subscriptions = [
                dict(subscription)
                for subscription in reversed(self.store.subscriptions.values())
                if subscription["customer"] == customer["id"]
            ]
            method = self.cards.customer_default(customer)
            if method is None:
                for subscription in subscriptions:
                    found = self.cards.card_for(subscription)
                    if found is not None:
                        method = found
                        break
            names = {
                product_id: product["name"] for product_id, product in self.store.products.items()
            }
            return PortalView(
                session=dict(session),
                customer=dict(customer),
                subscriptions=subscriptions,
                card_last4=method.last4 if method else None,
                product_names=names,
            )

    def _session(self, session_id: str) -> tuple[Json, Json]:
        session = self.store.portal_sessions.get(session_id)
        if session is None:
            raise NotFound("This portal session does not exist.")
        return session, self.store.customers[session["customer"]]

    def _subscription(self, customer: Json, subscription_id: str) -> Json:
        subscription = self.store.subscriptions.get(subscription_id)
        if subscription is None or subscription["customer"] != customer["id"]:
            raise NotFound("This subscription does not exist.")
        if subscription["status"] in statuses.ENDED:
            raise PageError("This subscription has ended.", 409)
        return subscription

    def cancel_at_period_end(self, session_id: str, subscription_id: str) -> None:
        self._update(session_id, subscription_id, SubscriptionChange(cancel_at_period_end=True))

    def resume(self, session_id: str, subscription_id: str) -> None:
        """The portal's "Resume": undo a scheduled cancellation, or resume a paused subscription."""
        with self.store.lock:
            _, customer = self._session(session_id)
            subscription = self._subscription(customer, subscription_id)
            now = self.store.now(customer["test_clock"])
            if subscription["status"] == "paused":
                outbox = Outbox()
                self.lifecycle.resume(subscription, now=now, outbox=outbox)
                outbox.send(self.store, now)
            elif subscription["cancel_at"] is not None:
                change = SubscriptionChange(cancel_at_period_end=False, clear_cancel_at=True)
                self.lifecycle.update(subscription, now=now, change=change)
            else:
                raise PageError("This subscription is not scheduled to end.", 409)

    def _update(self, session_id: str, subscription_id: str, change: SubscriptionChange) -> None:
        with self.store.lock:
            _, customer = self._session(session_id)
            subscription = self._subscription(customer, subscription_id)
            now = self.store.now(customer["test_clock"])
            self.lifecycle.update(subscription, now=now, change=change)

    def cancel_now(self, session_id: str, subscription_id: str) -> None:
        with self.store.lock:
            _, customer = self._session(session_id)
            subscription = self._subscription(customer, subscription_id)
            now = self.store.now(customer["test_clock"])
            outbox = Outbox()
            self.lifecycle.cancel(
                subscription, now=now, reason="cancellation_requested", outbox=outbox
            )
            outbox.send(self.store, now)

    def update_card(self, session_id: str, card: CardEntry) -> None:
        """Save a new default card and pay every open invoice with it.

        Records ``customer.updated``, then for each open invoice ``invoice.paid``
        and ``invoice.payment_succeeded``, then ``customer.subscription.updated``
        for each subscription that changed (back to ``active``).
        """
        with self.store.lock:
            _, customer = self._session(session_id)
            now = self.store.now(customer["test_clock"])
            digits = checked_card(card, now)
            method = self.cards.add_card(customer["id"], digits)
            previous = {"invoice_settings": dict(customer["invoice_settings"])}
            customer["invoice_settings"]["default_payment_method"] = method.id
            self.store.record_event(
                "customer.updated", customer, created=now, previous_attributes=previous
            )
            self.lifecycle.pay_open_invoices(customer["id"], method, now)
