"""Checkout sessions in ``mode=subscription``: created by the API, paid on their page.

The hosted page (:mod:`stripe_emulator.pages`) calls :meth:`Checkout.page` and
:meth:`Checkout.pay`, which take ``store.lock`` themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import discounts, objects
from .calendar import DAY
from .customers import Customers
from .hosted_forms import CardEntry, NotFound, PageError, checked_card
from .ids import new_id
from .lifecycle import LineRequest, StartRequest, SubscriptionLifecycle
from .objects import Json
from .outbox import Outbox
from .payment_methods import PaymentMethods
from .store import CheckoutExtras, CheckoutLine, Store

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class CheckoutView:
    """What the checkout page shows: copies taken under the store's lock."""

    session: Json
    lines: list[tuple[Json, Json, int]]
    """(price, product, quantity)"""
    email: str | None
    """The email to prefill."""
    trial_days: int | None
    card_optional: bool


class Checkout:
    """Checkout sessions in ``mode=subscription``."""

    def __init__(
        self,
        store: Store,
        customers: Customers,
        cards: PaymentMethods,
        lifecycle: SubscriptionLifecycle,
    ) -> None:
        self.store = store
        self.customers = customers
        self.cards = cards
        self.lifecycle = lifecycle

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

    def expire(self, session: Json, outbox: Outbox) -> None:
        """Expire an open session (``checkout.session.expired``)."""
        session["status"] = "expired"
        session["url"] = None
        outbox.add("checkout.session.expired", session)

    def expire_now(self, session: Json) -> None:
        outbox = Outbox()
        self.expire(session, outbox)
        outbox.send(self.store, self.store.now_for_customer(session["customer"]))

    def page(self, session_id: str) -> CheckoutView:
        """What the checkout page shows for ``session_id``."""
        with self.store.lock:
            session = self._session(session_id)
            lines = []
            extras = self.store.checkout_extras[session_id]
            for line in extras.lines:
                price = self.store.prices[line.price_id]
                product = self.store.products.get(price["product"], {"name": price["product"]})
                lines.append((dict(price), dict(product), line.quantity))
            return CheckoutView(
                session=dict(session),
                lines=lines,
                email=self._email(session),
                trial_days=extras.trial_period_days,
                card_optional=self.card_optional(session),
            )

    def _discounts(
        self, session: Json, extras: CheckoutExtras, code: str | None, customer: str, now: int
    ) -> list[tuple[Json, Json | None]]:
        """The session's ``discounts``, or the promotion code typed on its page."""
        given: list[tuple[Json, Json | None]] = [
            (self.store.coupons[str(coupon)], self.store.promotion_codes.get(str(promo)))
            for coupon, promo in extras.discounts
        ]
        if code and code.strip() and session["allow_promotion_codes"]:
            promo = discounts.usable_code(self.store, code, customer, now)
            if promo is None:
                raise PageError("This code is invalid.", 400)
            given.append((self.store.coupons[promo["promotion"]["coupon"]], promo))
        return given

    def card_optional(self, session: Json) -> bool:
        """A trial with ``payment_method_collection=if_required``: nothing to pay today,
        so the page may be completed without card details."""
        extras = self.store.checkout_extras[session["id"]]
        return session["payment_method_collection"] == "if_required" and bool(
            extras.trial_period_days
        )

    def _session(self, session_id: str) -> Json:
        session = self.store.checkout_sessions.get(session_id)
        if session is None:
            raise NotFound("This checkout session does not exist.")
        if session["status"] == "open":
            now = self.store.now_for_customer(session["customer"])
            if session["expires_at"] <= now:
                self.expire_now(session)
        return session

    def _email(self, session: Json) -> str | None:
        email: str | None = session["customer_email"]
        if session["customer"]:
            email = self.store.customers[session["customer"]]["email"]
        return email

    def pay(
        self,
        session_id: str,
        *,
        email: str | None,
        card: CardEntry,
        promotion_code: str | None = None,
    ) -> Json:
        """Pay a session from its page: card checks, customer, subscription, first invoice.

        A declined or invalid card raises :class:`PageError` before anything is
        created. Events are recorded in this order: (``customer.created``),
        ``checkout.session.completed``, ``customer.subscription.created`` (status
        ``incomplete``, as on Stripe), ``invoice.created``, ``invoice.finalized``,
        ``invoice.paid``, ``invoice.payment_succeeded``, then
        ``customer.subscription.updated`` (``active``, ``previous_attributes.status``
        ``incomplete``). With a trial, the subscription is created ``trialing`` and
        there is no update.
        """
        with self.store.lock:
            session = self._session(session_id)
            if session["status"] != "open":
                raise PageError(f"This checkout session is {session['status']}.", 409)
            now = self.store.now_for_customer(session["customer"])
            extras = self.store.checkout_extras[session_id]
            digits = None
            if card.number.strip() or not self.card_optional(session):
                digits = checked_card(card, now)
            typed = (email or session["customer_email"] or "").strip()
            valid_email = typed if _EMAIL.match(typed) else None
            customer = self.store.customers.get(session["customer"] or "")
            if customer is None:
                if valid_email is None:
                    raise PageError("Enter a valid email address.", 400)
                customer = self.customers.create(email=valid_email)
            given = self._discounts(session, extras, promotion_code, customer["id"], now)
            method = self.cards.add_card(customer["id"], digits) if digits else None
            if method is not None and extras.trial_period_days:
                method.charge()  # the card is set up (checked) now: a 0341 card fails later
            lines = [
                LineRequest(self.store.prices[line.price_id], line.quantity)
                for line in extras.lines
            ]
            trial_end = now + extras.trial_period_days * DAY if extras.trial_period_days else None
            outbox = Outbox()
            request = StartRequest(
                customer=customer,
                lines=lines,
                metadata=dict(extras.subscription_metadata),
                description=extras.subscription_description,
                card=method,
                trial_end=trial_end,
                missing_payment_method=extras.missing_payment_method,
                starts_incomplete=True,
                discounts=given,
                checkout_session=session_id,
            )
            subscription = self.lifecycle.start(request, now=now, outbox=outbox)
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
            if given:
                invoice = self.store.invoices[subscription["latest_invoice"]]
                taken = sum(d["amount"] for d in invoice["total_discount_amounts"])
                session["discounts"] = [
                    {"coupon": coupon["id"], "promotion_code": promo["id"] if promo else None}
                    for coupon, promo in given
                ]
                session["total_details"]["amount_discount"] = taken
                session["amount_total"] = session["amount_subtotal"] - taken
            self.store.record_event("checkout.session.completed", session, created=now)
            outbox.send(self.store, now)
            return dict(session)
