"""Billing-portal sessions: created by the API; the actions of the portal page.

The portal page (:mod:`stripe_emulator.pages`) calls :class:`Portal`, whose
methods take ``store.lock`` themselves. What the page offers follows the session's
configuration (:mod:`.api.portal_configurations`); plan switches are in
:mod:`.plan_switches`.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import objects, statuses
from .hosted_forms import CardEntry, NotFound, PageError, checked_card
from .ids import new_id
from .lifecycle import SubscriptionChange, SubscriptionLifecycle
from .objects import Json
from .objects.portal_configuration import BUILT_IN_CANCEL
from .outbox import Outbox
from .payment_methods import PaymentMethods
from .plan_switches import PlanSwitches, SwitchOption, SwitchQuote
from .store import Store


@dataclass(frozen=True)
class PortalFeatures:
    """The page's actions a configuration allows."""

    cancel_at_period_end: bool
    cancel_now: bool
    card: bool
    invoices: bool

    @classmethod
    def of(cls, configuration: Json, *, built_in: bool) -> PortalFeatures:
        """The built-in default configuration, while its cancellation is as it was made,
        offers both ways to cancel (an emulator liberty its tests rely on); any other
        offers the one its ``mode`` names."""
        features = configuration["features"]
        cancel = features["subscription_cancel"]
        both = built_in and cancel == BUILT_IN_CANCEL
        return cls(
            cancel_at_period_end=cancel["enabled"] and (both or cancel["mode"] == "at_period_end"),
            cancel_now=cancel["enabled"] and (both or cancel["mode"] == "immediately"),
            card=bool(features["payment_method_update"]["enabled"]),
            invoices=bool(features["invoice_history"]["enabled"]),
        )


@dataclass(frozen=True)
class PortalView:
    """What the portal page shows: copies taken under the store's lock."""

    session: Json
    customer: Json
    subscriptions: list[Json]
    card_last4: str | None
    product_names: dict[str, str]
    configuration: Json
    features: PortalFeatures
    switches: dict[str, list[SwitchOption]]
    """Subscription id -> the prices it may switch to."""
    pending: dict[str, tuple[SwitchOption, int]]
    """Subscription id -> the price a switch waiting for the period's end moves it to, when."""
    invoices: list[Json]


class Portal:
    """Billing-portal sessions and the actions of the portal page."""

    def __init__(
        self,
        store: Store,
        cards: PaymentMethods,
        lifecycle: SubscriptionLifecycle,
        switches: PlanSwitches,
    ) -> None:
        self.store = store
        self.cards = cards
        self.lifecycle = lifecycle
        self.switches = switches

    def create(
        self,
        customer: Json,
        *,
        configuration: Json,
        return_url: str | None,
        locale: str | None,
    ) -> Json:
        session_id = new_id("bps_")
        session = objects.portal_session(
            session_id=session_id,
            created=self.store.now(customer["test_clock"]),
            customer_id=customer["id"],
            return_url=return_url,
            url=f"{self.store.base_url}/portal/{session_id}",
            configuration=configuration["id"],
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
            configuration = self._configuration(session)
            features = self._features(configuration)
            invoices = [
                dict(invoice)
                for invoice in reversed(self.store.invoices.values())
                if invoice["customer"] == customer["id"] and invoice["status"] != "draft"
            ]
            pending = {}
            for subscription in subscriptions:
                waiting = self.switches.pending(subscription)
                if waiting is not None:
                    pending[subscription["id"]] = waiting
            return PortalView(
                session=dict(session),
                customer=dict(customer),
                subscriptions=subscriptions,
                card_last4=method.last4 if method else None,
                product_names=names,
                configuration=dict(configuration),
                features=features,
                switches={s["id"]: self.switches.options(configuration, s) for s in subscriptions},
                pending=pending,
                invoices=invoices if features.invoices else [],
            )

    def _session(self, session_id: str) -> tuple[Json, Json]:
        session = self.store.portal_sessions.get(session_id)
        if session is None:
            raise NotFound("This portal session does not exist.")
        return session, self.store.customers[session["customer"]]

    def _configuration(self, session: Json) -> Json:
        default = self.store.default_portal_configuration()
        return self.store.portal_configurations.get(session["configuration"], default)

    def _features(self, configuration: Json) -> PortalFeatures:
        built_in = configuration["id"] == self.store.portal_configuration
        return PortalFeatures.of(configuration, built_in=built_in)

    def _allowed(self, session: Json, action: str) -> None:
        """Refuse an action the session's configuration does not offer."""
        if not getattr(self._features(self._configuration(session)), action):
            raise PageError("This portal does not offer that.", 403)

    def quote_switch(self, session_id: str, subscription_id: str, price_id: str) -> SwitchQuote:
        """What the "Update plan" choice of ``price_id`` would do."""
        with self.store.lock:
            session, customer = self._session(session_id)
            subscription = self._subscription(customer, subscription_id)
            now = self.store.now(customer["test_clock"])
            return self.switches.quote(self._configuration(session), subscription, price_id, now)

    def switch(
        self, session_id: str, subscription_id: str, price_id: str, proration_date: int
    ) -> str:
        """Confirm a plan switch; returns when it applies (:mod:`.plan_switches`)."""
        with self.store.lock:
            session, customer = self._session(session_id)
            subscription = self._subscription(customer, subscription_id)
            now = self.store.now(customer["test_clock"])
            configuration = self._configuration(session)
            return self.switches.apply(configuration, subscription, price_id, proration_date, now)

    def _subscription(self, customer: Json, subscription_id: str) -> Json:
        subscription = self.store.subscriptions.get(subscription_id)
        if subscription is None or subscription["customer"] != customer["id"]:
            raise NotFound("This subscription does not exist.")
        if subscription["status"] in statuses.ENDED:
            raise PageError("This subscription has ended.", 409)
        return subscription

    def cancel_at_period_end(self, session_id: str, subscription_id: str) -> None:
        with self.store.lock:
            self._allowed(self._session(session_id)[0], "cancel_at_period_end")
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
            session, customer = self._session(session_id)
            self._allowed(session, "cancel_now")
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
            session, customer = self._session(session_id)
            self._allowed(session, "card")
            now = self.store.now(customer["test_clock"])
            digits = checked_card(card, now)
            method = self.cards.add_card(customer["id"], digits)
            previous = {"invoice_settings": dict(customer["invoice_settings"])}
            customer["invoice_settings"]["default_payment_method"] = method.id
            self.store.record_event(
                "customer.updated", customer, created=now, previous_attributes=previous
            )
            self.lifecycle.pay_open_invoices(customer["id"], method, now)
