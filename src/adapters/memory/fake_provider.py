"""The provider side of the in-memory payment gateway: what a provider's dashboard,
clock and webhooks do, for tests (its objects and event payloads: fake_objects.py)."""

import hashlib
import hmac
import itertools
import json
from dataclasses import replace
from datetime import datetime, timedelta

from adapters.memory.fake_billing import FakeInvoiceBook
from adapters.memory.fake_objects import (
    FakeCheckout,
    FakeCustomer,
    event_from_payload,
    subscription_to_json,
)
from application.ports import Clock, PortalConfiguration
from domain.catalog import Catalog, Interval, PlanPrice
from domain.errors import CustomerMissing, PaymentDeclined, PaymentProviderError
from domain.plan_change import Discount, PendingChange
from domain.provider_events import BillingEvent
from domain.subscription import Subscription, SubscriptionStatus

PERIOD = timedelta(days=30)


class FakeProvider:
    """A payment provider's state and what it does on its own: `add_price`, `stock`,
    `add_promotion_code`, `pay_checkout`, `renew` (a change scheduled for the period's
    end happens then),
    `fail_renewal`, `recover`, `schedule_cancel`, `resume`, `cancel_now`,
    `delete_customer`, `subscribe_directly`, `lose_state`. Each returns the events the
    provider would send; `signed` turns one into the (payload, signature) pair a webhook
    delivery carries. `FakePaymentGateway` adds the port on top.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        webhook_secret: str = "whsec_test_fake",  # noqa: S107
        price_id: str = "price_fake_monthly",
        livemode: bool = False,
    ) -> None:
        self.clock = clock
        self.webhook_secret = webhook_secret
        self.price_id = price_id
        self.livemode = livemode
        self.customers: dict[str, FakeCustomer] = {}
        self.checkouts: dict[str, FakeCheckout] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.events: list[BillingEvent] = []
        # Event ids a webhook endpoint acknowledged (`mark_delivered`); the others are
        # what `list_undelivered_events` lists.
        self.delivered: set[str] = set()
        self.portal_sessions: list[tuple[str, str, str | None]] = []  # with the configuration
        self.portal_configuration: PortalConfiguration | None = None  # what `stock` made
        self.trial_cards: dict[str, bool] = {}  # trialing subscription id: a card given
        # Subscription id: when each of its open invoices failed, oldest first.
        self.unpaid_invoices: dict[str, list[datetime]] = {}
        self.prices: dict[str, PlanPrice] = {}  # by lookup key, as `find_prices` finds them
        self._customer_keys: dict[tuple[str, str | None], str] = {}
        self.pending: dict[str, PendingChange] = {}  # subscription id: its scheduled change
        self.discounts: dict[str, Discount] = {}  # subscription id: its discount
        self.promotion_codes: dict[str, tuple[Discount, int | None]] = {}  # code: (it, months)
        self.cards: dict[str, str] = {}  # customer id: "pays", "first_only" or "declines"
        self.charges: list[tuple[str, int]] = []  # (subscription id, amount) paid, in order
        self.balances: dict[str, int] = {}  # customer id: balance (negative: a credit)
        self.invoice_book = FakeInvoiceBook()  # every charge and failed renewal, invoiced
        self.issued: dict[str, dict[str, object]] = {}  # invoice id: as its events carry it
        self._changes_done: dict[tuple[str, str | None, str, int], Subscription] = {}
        self.fail_next: Exception | None = None
        self._ids = itertools.count(1)

    # -- what the provider does on its own, for tests --------------------------------

    def add_price(
        self, lookup_key: str, interval: Interval, amount: int, currency: str = "usd"
    ) -> PlanPrice:
        """A price created in the dashboard (or by `stripe-provision`) under `lookup_key`."""
        price = PlanPrice(lookup_key, interval, amount, currency, self._id("price"))
        self.prices[lookup_key] = price
        return price

    def stock(self, catalog: Catalog) -> Catalog:
        """Every price of `catalog` created here, as the file says, and the billing portal's
        configuration switching between them (one, updated); returns the catalog resolved
        against them (what the app sells at start-up)."""
        for plan in catalog.plans:
            for price in plan.prices:
                if price.lookup_key not in self.prices:
                    self.add_price(price.lookup_key, price.interval, price.amount, price.currency)
        resolved = catalog.resolved(self.prices)
        price_ids = frozenset(
            p.price_id for plan in resolved.plans for p in plan.prices if p.price_id
        )
        known = self.portal_configuration
        self.portal_configuration = PortalConfiguration(
            known.id if known else self._id("bpc"), price_ids
        )
        return resolved

    def add_promotion_code(
        self,
        code: str,
        *,
        percent_off: float | None = None,
        amount_off: int | None = None,
        currency: str = "usd",
        name: str | None = None,
        months: int | None = None,
    ) -> None:
        """A coupon and its promotion code, typed at checkout (`pay_checkout`); `months`:
        the discount lasts that long (`repeating`), else for ever."""
        discount = Discount(
            name=name,
            code=code,
            percent_off=percent_off,
            amount_off=amount_off,
            currency=currency if amount_off is not None else None,
        )
        self.promotion_codes[code.lower()] = (discount, months)

    def price_by_id(self, price_id: str | None) -> PlanPrice | None:
        return next((p for p in self.prices.values() if p.price_id == price_id), None)

    def mark_delivered(self, *events: BillingEvent) -> None:
        """The webhook endpoint acknowledged these events (answered 2xx)."""
        self.delivered.update(event.id for event in events)

    def signed(self, event: BillingEvent) -> tuple[bytes, str]:
        payload = event.payload.encode()
        return payload, self.signature(payload)

    def signature(self, payload: bytes) -> str:
        """The fake's webhook signature: HMAC-SHA256 of the body with the secret."""
        return hmac.new(self.webhook_secret.encode(), payload, hashlib.sha256).hexdigest()

    def pay_checkout(
        self,
        session_id: str,
        *,
        card: bool = True,
        card_declines_later: bool = False,
        promotion_code: str | None = None,
    ) -> list[BillingEvent]:
        """The person completes the checkout: pays, or starts its trial (`card=False`:
        without a card, which only a no-card trial allows). `card_declines_later`: the
        card pays its first charge only (Stripe's 4000 0000 0000 0341); `promotion_code`:
        one made by `add_promotion_code`, typed on the page."""
        checkout = self.checkouts[session_id]
        if not checkout.is_open:
            raise PaymentProviderError("This checkout is no longer open.")
        offer = checkout.offer
        if not card and not offer.trial_without_card:
            raise PaymentProviderError("This checkout needs a card.")
        promotion = None
        if promotion_code is not None:
            promotion = self.promotion_codes.get(promotion_code.strip().lower())
            if promotion is None:
                raise PaymentProviderError("This code is invalid.")
        if card:
            self.cards[checkout.customer_id] = "first_only" if card_declines_later else "pays"
        if offer.trial_days:
            events = self._start_trial(checkout, card=card)
            self._give_discount(checkout.subscription_id, promotion)
            return events
        subscription = self._new_subscription(checkout.customer_id, offer.price_id)
        checkout.subscription_id = subscription.id
        self._give_discount(subscription.id, promotion)
        invoice = self._paid(subscription.id, self._renewal_amount(subscription.id, offer.price_id))
        # As Stripe: created incomplete, its first invoice paid, then updated to active,
        # all in the same second (a tie the service settles by asking).
        incomplete = replace(subscription, status=SubscriptionStatus.INCOMPLETE)
        return [
            self._emit(
                "checkout.session.completed",
                subscription,
                snapshot=False,
                user_ref=checkout.user_id,
            ),
            self._emit("customer.subscription.created", incomplete),
            self._emit("invoice.paid", subscription, snapshot=False, invoice=invoice),
            self._emit("customer.subscription.updated", subscription),
        ]

    def end_trial(self, subscription_id: str) -> list[BillingEvent]:
        """The trial's end: with a card, the first period is charged (active); without
        one, the subscription is canceled (`missing_payment_method=cancel`); set to
        cancel, it ends."""
        if self.subscriptions[subscription_id].cancel_at_period_end:
            self.trial_cards.pop(subscription_id, None)
            return self.cancel_now(subscription_id)
        if not self.trial_cards.pop(subscription_id, False):
            return self.cancel_now(subscription_id)
        return self._next_period(subscription_id, paid=True)

    def trial_will_end(self, subscription_id: str) -> list[BillingEvent]:
        """The notice the provider sends days before a trial ends; nothing changes."""
        subscription = self.subscriptions[subscription_id]
        return [self._emit("customer.subscription.trial_will_end", subscription)]

    def _start_trial(self, checkout: FakeCheckout, *, card: bool) -> list[BillingEvent]:
        # As Stripe: created trialing (a free first invoice), not updated afterwards.
        now = self.clock.now()
        subscription = replace(
            self._new_subscription(checkout.customer_id, checkout.offer.price_id),
            status=SubscriptionStatus.TRIALING,
            current_period_end=now + timedelta(days=checkout.offer.trial_days),
        )
        self.subscriptions[subscription.id] = subscription
        self.trial_cards[subscription.id] = card
        checkout.subscription_id = subscription.id
        invoice = self._invoice(subscription.id, 0, paid=True)  # as Stripe: a free first one
        return [
            self._emit(
                "checkout.session.completed",
                subscription,
                snapshot=False,
                user_ref=checkout.user_id,
            ),
            self._emit("customer.subscription.created", subscription),
            self._emit("invoice.paid", subscription, snapshot=False, invoice=invoice),
        ]

    def subscribe_directly(
        self, customer_id: str, price_id: str, metadata_user_id: str | None = None
    ) -> list[BillingEvent]:
        """A subscription made through the API, outside our checkout (another product's
        price, say), paid at once; `metadata_user_id` as its metadata's user_id."""
        subscription = self._new_subscription(customer_id, price_id)
        invoice = self._paid(subscription.id, self._renewal_amount(subscription.id, price_id))
        return [
            self._emit("customer.subscription.created", subscription, user_ref=metadata_user_id),
            self._emit("invoice.paid", subscription, snapshot=False, invoice=invoice),
        ]

    def renew(self, subscription_id: str) -> list[BillingEvent]:
        """The period ends and the renewal is paid (ends it if set to cancel); a change
        scheduled for the period's end moves it to its price first."""
        if self.subscriptions[subscription_id].cancel_at_period_end:
            return self.cancel_now(subscription_id)
        self.unpaid_invoices.pop(subscription_id, None)  # the card works: all are paid
        self._settle(subscription_id)
        pending = self.pending.pop(subscription_id, None)
        if pending is not None:
            self._change(subscription_id, price_id=pending.price_id)
        return self._next_period(subscription_id, paid=True)

    def fail_renewal(self, subscription_id: str) -> list[BillingEvent]:
        """The period ends and its payment fails: past_due in the new period. Failing
        again while past_due is Stripe's "leave the subscription past due": a new
        invoice fails, the older one stays open."""
        events = self._next_period(subscription_id, paid=False)
        self.unpaid_invoices.setdefault(subscription_id, []).append(self.clock.now())
        return events

    def owing_since(self, subscription: Subscription) -> Subscription:
        """What a fetch says (events never do): when its oldest open invoice failed."""
        failures = self.unpaid_invoices.get(subscription.id)
        if not subscription.owes or not failures:
            return subscription
        return replace(subscription, unpaid_since=failures[0])

    def recover(self, subscription_id: str) -> list[BillingEvent]:
        """The customer fixed the card and the open invoices are paid."""
        self.unpaid_invoices.pop(subscription_id, None)
        settled = self._settle(subscription_id)
        recovered = self._change(subscription_id, status=SubscriptionStatus.ACTIVE)
        if not settled:  # nothing was open: the period's renewal paid now
            amount = self._renewal_amount(subscription_id, recovered.price_id)
            settled = [self._paid(subscription_id, amount)]
        # One event for the newest paid invoice (Stripe sends one for each).
        return self._invoice_then_update("invoice.paid", recovered, settled[-1])

    def schedule_cancel(self, subscription_id: str) -> list[BillingEvent]:
        changed = self._change(subscription_id, cancel_at_period_end=True)
        return [self._emit("customer.subscription.updated", changed)]

    def resume(self, subscription_id: str) -> list[BillingEvent]:
        changed = self._change(subscription_id, cancel_at_period_end=False)
        return [self._emit("customer.subscription.updated", changed)]

    def cancel_now(self, subscription_id: str) -> list[BillingEvent]:
        now = self.clock.now()
        ended = self._change(
            subscription_id,
            status=SubscriptionStatus.CANCELED,
            ended_at=now,
            cancel_at_period_end=False,
        )
        return [self._emit("customer.subscription.deleted", ended)]

    def delete_customer(self, customer_id: str) -> list[BillingEvent]:
        """The customer deleted in the dashboard: its live subscriptions end with it."""
        events = []
        for subscription_id in self.customers[customer_id].subscriptions:
            if not self.subscriptions[subscription_id].status.is_terminal:
                events += self.cancel_now(subscription_id)
        del self.customers[customer_id]
        return events

    def lose_state(self) -> None:
        """Forget every object, as a restarted emulator without its state file would."""
        self.customers.clear()
        self.checkouts.clear()
        self.subscriptions.clear()

    # -- helpers ----------------------------------------------------------------------

    def _new_subscription(self, customer_id: str, price_id: str) -> Subscription:
        now = self.clock.now()
        subscription = Subscription(
            id=self._id("sub"),
            status=SubscriptionStatus.ACTIVE,
            as_of=now,
            customer_id=customer_id,
            price_id=price_id,
            current_period_start=now,
            current_period_end=now + PERIOD,
        )
        self._customer(customer_id).subscriptions.append(subscription.id)
        self.subscriptions[subscription.id] = subscription
        return subscription

    def _give_discount(
        self, subscription_id: str | None, promotion: tuple[Discount, int | None] | None
    ) -> None:
        if subscription_id is None or promotion is None:
            return
        discount, months = promotion
        ends_at = self.clock.now() + months * PERIOD if months else None
        self.discounts[subscription_id] = replace(discount, ends_at=ends_at)

    def current_discount(self, subscription_id: str) -> Discount | None:
        discount = self.discounts.get(subscription_id)
        if discount is None or (discount.ends_at and discount.ends_at <= self.clock.now()):
            return None
        return discount

    def _renewal_amount(self, subscription_id: str, price_id: str | None) -> int:
        price = self.price_by_id(price_id)
        amount = price.amount if price else 0
        discount = self.current_discount(subscription_id)
        if discount is None:
            return amount
        if discount.percent_off is not None:
            return amount - round(amount * discount.percent_off / 100)
        return max(0, amount - (discount.amount_off or 0))

    def would_decline(self, customer_id: str | None) -> bool:
        behaviour = self.cards.get(customer_id or "")
        if behaviour == "first_only":
            return any(self._customer_of(s) == customer_id for s, _ in self.charges)
        return behaviour in (None, "declines")

    def _charge(self, subscription_id: str, amount: int) -> dict[str, object]:
        """Charge the subscription's card now, on an invoice of its own (returned as its
        events carry it); `PaymentDeclined` when it declines."""
        if amount > 0 and self.would_decline(self._customer_of(subscription_id)):
            raise PaymentDeclined("Your card was declined.")
        return self._paid(subscription_id, amount)

    def _paid(self, subscription_id: str, amount: int) -> dict[str, object]:
        """A payment the provider's own flows made (their failures are `fail_renewal`),
        on an invoice of its own (returned as its events carry it)."""
        if amount > 0:
            self.charges.append((subscription_id, amount))
        return self._invoice(subscription_id, amount, paid=True)

    def _invoice(self, subscription_id: str, amount: int, *, paid: bool) -> dict[str, object]:
        """An invoice for the subscription's current period, paid or open after a declined
        charge; returns it as its events carry it (`issued`)."""
        subscription = self.subscriptions[subscription_id]
        price = self.price_by_id(subscription.price_id)
        customer_id = subscription.customer_id or ""
        number = self.invoice_book.number(customer_id)
        invoice = self.invoice_book.issue(
            customer_id,
            self._id("in"),
            at=self.clock.now(),
            total=amount,
            currency=price.currency if price else "usd",
            paid=paid,
        )
        start = subscription.current_period_start or self.clock.now()
        issued: dict[str, object] = {
            "id": invoice.id,
            "number": number,
            "url": invoice.url,
            "amount_due": amount,
            "amount_paid": amount if paid else 0,
            "currency": invoice.currency,
            "period_start": start.isoformat(),
            "period_end": (subscription.current_period_end or start).isoformat(),
        }
        self.issued[invoice.id] = issued
        return issued

    def _settle(self, subscription_id: str) -> list[dict[str, object]]:
        """The customer's open invoices paid; returns them as their events carry them."""
        settled = []
        for invoice in self.invoice_book.settle(self._customer_of(subscription_id) or ""):
            issued = self.issued[invoice.id]
            issued["amount_paid"] = issued["amount_due"]
            settled.append(issued)
        return settled

    def _customer_of(self, subscription_id: str) -> str | None:
        subscription = self.subscriptions.get(subscription_id)
        return subscription.customer_id if subscription else None

    def _customer(self, customer_id: str) -> FakeCustomer:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise CustomerMissing()
        return customer

    def _next_period(self, subscription_id: str, *, paid: bool) -> list[BillingEvent]:
        """A renewal opens the next period whether or not its invoice is paid (as Stripe):
        active and paid, or past_due with the invoice open."""
        current = self.subscriptions[subscription_id]
        start = current.current_period_end or self.clock.now()
        changed = self._change(
            subscription_id,
            status=SubscriptionStatus.ACTIVE if paid else SubscriptionStatus.PAST_DUE,
            current_period_start=start,
            current_period_end=start + PERIOD,
        )
        amount = self._renewal_amount(subscription_id, changed.price_id)
        if paid:
            return self._invoice_then_update(
                "invoice.paid", changed, self._paid(subscription_id, amount)
            )
        invoice = self._invoice(subscription_id, amount, paid=False)
        return self._invoice_then_update("invoice.payment_failed", changed, invoice)

    def _invoice_then_update(
        self, invoice_event: str, subscription: Subscription, invoice: dict[str, object]
    ) -> list[BillingEvent]:
        return [
            self._emit(invoice_event, subscription, snapshot=False, invoice=invoice),
            self._emit("customer.subscription.updated", subscription),
        ]

    def _change(self, subscription_id: str, **changes: object) -> Subscription:
        current = self.subscriptions[subscription_id]
        if current.status.is_terminal:
            raise PaymentProviderError("This subscription has ended.")
        changed = replace(current, as_of=self.clock.now(), **changes)  # type: ignore[arg-type]
        self.subscriptions[subscription_id] = changed
        return changed

    def _emit(
        self,
        type_: str,
        subscription: Subscription,
        *,
        snapshot: bool = True,
        user_ref: str | None = None,
        invoice: dict[str, object] | None = None,
    ) -> BillingEvent:
        data = {
            "id": self._id("evt"),
            "type": type_,
            "occurred_at": self.clock.now().isoformat(),
            "livemode": self.livemode,
            "user_ref": user_ref,
            "customer_id": subscription.customer_id,
            "subscription_id": subscription.id,
            "snapshot": subscription_to_json(subscription) if snapshot else None,
        }
        if invoice is not None:  # an invoice event: the invoice as it then was
            data["invoice"] = dict(invoice)
        event = event_from_payload(json.dumps(data))
        self.events.append(event)
        return event

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids)}"

    def _maybe_fail(self) -> None:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
