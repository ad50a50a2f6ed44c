"""Checkout sessions and billing-portal sessions: their API side and their pages' actions.

The hosted pages (:mod:`stripe_emulator.pages`) call :class:`Checkout` and
:class:`Portal`; both take ``store.lock`` themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from . import objects
from .billing import DAY, LIVE_STATUSES, Billing, LineRequest, Outbox, SubscriptionChange
from .cards import DECLINED_MESSAGE, CardBehaviour, CardError, behaviour_of, check_expiry_and_cvc
from .cards import normalise_number as _digits
from .ids import new_id
from .store import CheckoutExtras, CheckoutLine, Json, Store

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class PageError(Exception):
    """Something a hosted page shows to the person paying, with the HTTP status to use."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class NotFound(PageError):
    def __init__(self, message: str = "This page does not exist.") -> None:
        super().__init__(message, 404)


@dataclass(frozen=True)
class CardEntry:
    """The card fields of a hosted form, as typed."""

    number: str
    expiry: str | None = None
    cvc: str | None = None


def _checked_card(entry: CardEntry, now: int) -> str:
    """The digits of a usable card, or :class:`PageError` with the page's message."""
    try:
        behaviour = behaviour_of(entry.number)
        today = datetime.fromtimestamp(now, UTC)
        check_expiry_and_cvc(entry.expiry, entry.cvc, year=today.year, month=today.month)
    except CardError as error:
        raise PageError(str(error), 400) from None
    if behaviour is CardBehaviour.DECLINED:
        raise PageError(DECLINED_MESSAGE, 402)
    return _digits(entry.number)


class Checkout:
    """Checkout sessions in ``mode=subscription``."""

    def __init__(self, store: Store, billing: Billing) -> None:
        self.store = store
        self.billing = billing

    def create(
        self,
        *,
        customer: Json | None,
        customer_email: str | None,
        client_reference_id: str | None,
        lines: list[LineRequest],
        success_url: str,
        cancel_url: str | None,
        metadata: dict[str, str],
        extras: CheckoutExtras,
        expires_at: int | None,
        locale: str | None,
    ) -> Json:
        """Create an open session whose ``url`` is the emulator's checkout page."""
        now = self.store.now(customer["test_clock"] if customer else None)
        session_id = new_id("cs_test_")
        session = objects.checkout_session(
            session_id=session_id,
            created=now,
            expires_at=expires_at or now + DAY,
            url=f"{self.store.base_url}/checkout/{session_id}",
            customer_id=customer["id"] if customer else None,
            customer_email=customer_email,
            client_reference_id=client_reference_id,
            success_url=success_url,
            cancel_url=cancel_url,
            currency=lines[0].price["currency"],
            amount_subtotal=sum(line.price["unit_amount"] * line.quantity for line in lines),
            metadata=metadata,
            locale=locale,
        )
        extras.lines = [CheckoutLine(line.price["id"], line.quantity) for line in lines]
        self.store.checkout_sessions[session_id] = session
        self.store.checkout_extras[session_id] = extras
        return session

    def expire(self, session: Json) -> None:
        """Expire an open session (``checkout.session.expired``)."""
        outbox = Outbox()
        self.billing.expire_session(session, outbox)
        outbox.send(self.store, self.store.now_for_customer(session["customer"]))

    def page(self, session_id: str) -> tuple[Json, list[tuple[Json, Json, int]], str | None]:
        """The session, its lines as (price, product, quantity) and the email to prefill."""
        with self.store.lock:
            session = self._session(session_id)
            lines = []
            for line in self.store.checkout_extras[session_id].lines:
                price = self.store.prices[line.price_id]
                product = self.store.products.get(price["product"], {"name": price["product"]})
                lines.append((dict(price), dict(product), line.quantity))
            return dict(session), lines, self._email(session)

    def _session(self, session_id: str) -> Json:
        session = self.store.checkout_sessions.get(session_id)
        if session is None:
            raise NotFound("This checkout session does not exist.")
        if session["status"] == "open":
            now = self.store.now_for_customer(session["customer"])
            if session["expires_at"] <= now:
                self.expire(session)
        return session

    def _email(self, session: Json) -> str | None:
        email: str | None = session["customer_email"]
        if session["customer"]:
            email = self.store.customers[session["customer"]]["email"]
        return email

    def pay(self, session_id: str, *, email: str | None, card: CardEntry) -> Json:
        """Pay a session from its page: card checks, customer, subscription, first invoice.

        A declined or invalid card raises :class:`PageError` before anything is
        created. Events are recorded in this order: (``customer.created``),
        ``checkout.session.completed``, ``customer.subscription.created``,
        ``invoice.created``, ``invoice.finalized``, ``invoice.paid``,
        ``invoice.payment_succeeded``.
        """
        with self.store.lock:
            session = self._session(session_id)
            if session["status"] != "open":
                raise PageError(f"This checkout session is {session['status']}.", 409)
            now = self.store.now_for_customer(session["customer"])
            digits = _checked_card(card, now)
            typed = (email or session["customer_email"] or "").strip()
            valid_email = typed if _EMAIL.match(typed) else None
            customer = self.store.customers.get(session["customer"] or "")
            if customer is None:
                if valid_email is None:
                    raise PageError("Enter a valid email address.", 400)
                customer = self.billing.create_customer(email=valid_email)
            method = self.billing.add_card(customer["id"], digits)
            extras = self.store.checkout_extras[session_id]
            lines = [
                LineRequest(self.store.prices[line.price_id], line.quantity)
                for line in extras.lines
            ]
            trial_end = now + extras.trial_period_days * DAY if extras.trial_period_days else None
            outbox = Outbox()
            subscription = self.billing.start_subscription(
                customer,
                lines,
                now=now,
                metadata=dict(extras.subscription_metadata),
                description=extras.subscription_description,
                card=method,
                trial_end=trial_end,
                outbox=outbox,
            )
            session.update(
                status="complete",
                payment_status="no_payment_required" if trial_end else "paid",
                customer=customer["id"],
                subscription=subscription["id"],
                invoice=subscription["latest_invoice"],
                customer_details=objects.checkout_customer_details(
                    customer["email"] or valid_email, customer["name"]
                ),
                url=None,
            )
            self.store.record_event("checkout.session.completed", session, created=now)
            outbox.send(self.store, now)
            return dict(session)


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

    def __init__(self, store: Store, billing: Billing) -> None:
        self.store = store
        self.billing = billing

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
            method = self.store.payment_methods.get(
                customer["invoice_settings"]["default_payment_method"] or ""
            )
            if method is None:
                for subscription in subscriptions:
                    found = self.billing.card_for(subscription)
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
        if subscription["status"] not in LIVE_STATUSES | {"incomplete"}:
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
                self.billing.resume(subscription, now=now, outbox=outbox)
                outbox.send(self.store, now)
            elif subscription["cancel_at"] is not None:
                change = SubscriptionChange(cancel_at_period_end=False, clear_cancel_at=True)
                self.billing.update(subscription, now=now, change=change)
            else:
                raise PageError("This subscription is not scheduled to end.", 409)

    def _update(self, session_id: str, subscription_id: str, change: SubscriptionChange) -> None:
        with self.store.lock:
            _, customer = self._session(session_id)
            subscription = self._subscription(customer, subscription_id)
            now = self.store.now(customer["test_clock"])
            self.billing.update(subscription, now=now, change=change)

    def cancel_now(self, session_id: str, subscription_id: str) -> None:
        with self.store.lock:
            _, customer = self._session(session_id)
            subscription = self._subscription(customer, subscription_id)
            now = self.store.now(customer["test_clock"])
            outbox = Outbox()
            self.billing.cancel(
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
            digits = _checked_card(card, now)
            method = self.billing.add_card(customer["id"], digits)
            previous = {"invoice_settings": dict(customer["invoice_settings"])}
            customer["invoice_settings"]["default_payment_method"] = method.id
            self.store.record_event(
                "customer.updated", customer, created=now, previous_attributes=previous
            )
            self.billing.pay_open_invoices(customer["id"], method, now)
