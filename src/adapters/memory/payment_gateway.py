import hmac
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from adapters.memory.fake_billing import card_on_file
from adapters.memory.fake_invoices import YEAR, FakeInvoice, change_invoice
from adapters.memory.fake_objects import FakeCheckout, FakeCustomer, event_from_payload
from adapters.memory.fake_provider import PERIOD, FakeProvider
from application.ports import (
    INVOICES_SHOWN,
    AccountBilling,
    ChangePreview,
    CheckoutOffer,
    CheckoutRedirect,
    PaymentGateway,
    PortalConfiguration,
    SubscriptionBilling,
)
from domain.catalog import Interval, PlanPrice
from domain.email import EmailAddress
from domain.errors import CheckoutNotFound, InvalidWebhook, PaymentProviderError
from domain.plan_change import PendingChange
from domain.provider_events import BillingEvent, CheckoutSession
from domain.subscription import Subscription, SubscriptionStatus

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

    def update_customer_email(self, customer_id: str, email: EmailAddress) -> None:
        self._maybe_fail()
        self._customer(customer_id).email = email.value

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

    def expire_open_checkouts(self, customer_id: str) -> int:
        self._maybe_fail()
        self._customer(customer_id)
        open_ones = [
            c for c in self.checkouts.values() if c.customer_id == customer_id and c.is_open
        ]
        for checkout in open_ones:
            checkout.expired = True
        return len(open_ones)

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
        if subscription is None:
            return None
        return self.owing_since(replace(subscription, as_of=self.clock.now()))

    def list_subscriptions(self, customer_id: str) -> Sequence[Subscription]:
        self._maybe_fail()
        customer = self._customer(customer_id)
        now = self.clock.now()
        return [
            self.owing_since(replace(self.subscriptions[s], as_of=now))
            for s in customer.subscriptions
        ]

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

    def list_undelivered_events(self, since: datetime) -> Sequence[BillingEvent]:
        self._maybe_fail()
        return [
            event
            for event in self.events
            if event.occurred_at >= since and event.id not in self.delivered
        ]

    # -- the account page --------------------------------------------------------------

    def get_account_billing(
        self, customer_id: str, subscription_id: str | None, *, invoices: int = INVOICES_SHOWN
    ) -> AccountBilling:
        self._maybe_fail()
        self._customer(customer_id)
        billing = self._billing(subscription_id) if subscription_id else None
        # The card paid with at checkout is the subscription's (as Stripe's Checkout sets
        # it), not the customer's default: without a subscription, none is on file.
        card = card_on_file(self.cards.get(customer_id)) if billing else None
        return AccountBilling(billing, card, self.invoice_book.latest(customer_id, invoices))

    def set_cancel_at_period_end(self, subscription_id: str, cancel: bool) -> Subscription:
        self._maybe_fail()
        current = self._live(subscription_id)
        if self.pending.get(subscription_id) is not None:
            # As Stripe: a schedule decides what happens at the period's end.
            raise PaymentProviderError("The payment provider refused the request.")
        if current.cancel_at_period_end is not cancel:
            (self.schedule_cancel if cancel else self.resume)(subscription_id)
        return replace(self.subscriptions[subscription_id], as_of=self.clock.now())

    # -- changing plan ---------------------------------------------------------------

    def get_subscription_billing(self, subscription_id: str) -> SubscriptionBilling | None:
        self._maybe_fail()
        return self._billing(subscription_id)

    def _billing(self, subscription_id: str) -> SubscriptionBilling | None:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            return None
        pending = self.pending.get(subscription_id)
        if pending is not None and pending.price_id == subscription.price_id:
            pending = None
        return SubscriptionBilling(
            replace(subscription, as_of=self.clock.now()),
            pending,
            self.current_discount(subscription_id),
            card_on_file=subscription.customer_id in self.cards,
        )

    def preview_plan_change(
        self, subscription_id: str, price_id: str, proration_date: datetime
    ) -> ChangePreview:
        self._maybe_fail()
        invoice = self._change_invoice(subscription_id, price_id, proration_date)
        price = self._price(price_id)
        return ChangePreview(
            currency=price.currency,
            due_now=invoice.amount_due,
            credit=-sum(line for line in invoice.lines if line < 0),
            discount=invoice.discount,
            to_balance=max(0, -invoice.total),
            renews_at=invoice.renews_at,
            proration_date=proration_date,
        )

    def change_price_now(
        self,
        subscription_id: str,
        price_id: str,
        proration_date: datetime,
        *,
        bill_now: bool = True,
    ) -> Subscription:
        self._maybe_fail()
        current = self._live(subscription_id)
        key = (subscription_id, current.price_id, price_id, int(proration_date.timestamp()))
        done = self._changes_done.get(key)
        if done is not None:  # the same request again: the first one's answer
            return done
        self.pending.pop(subscription_id, None)  # as the adapter: released first
        if not bill_now:
            changed = self._change(subscription_id, price_id=price_id)
            self._emit("customer.subscription.updated", changed)
        else:
            invoice = self._change_invoice(subscription_id, price_id, proration_date)
            paid = self._charge(subscription_id, invoice.amount_due)  # PaymentDeclined: no change
            customer = current.customer_id or ""
            self.balances[customer] = invoice.balance_after
            changes: dict[str, object] = {"price_id": price_id}
            if invoice.renews_at != current.current_period_end:  # a new cycle starts now
                changes.update(
                    current_period_start=self.clock.now(), current_period_end=invoice.renews_at
                )
            changed = self._change(subscription_id, **changes)
            # It bills from now to the (new) period's end: prorations, or a new cycle.
            assert changed.current_period_end is not None
            paid["period_start"] = self.clock.now().isoformat()
            paid["period_end"] = changed.current_period_end.isoformat()
            self._invoice_then_update("invoice.paid", changed, paid)
        self._changes_done[key] = changed
        return changed

    def schedule_price_change(self, subscription_id: str, price_id: str) -> PendingChange:
        self._maybe_fail()
        current = self._live(subscription_id)
        self._price(price_id)
        assert current.current_period_end is not None
        pending = PendingChange(price_id, current.current_period_end)
        self.pending[subscription_id] = pending
        return pending

    def release_scheduled_change(self, subscription_id: str) -> None:
        self._maybe_fail()
        self.pending.pop(subscription_id, None)

    def _live(self, subscription_id: str) -> Subscription:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None or subscription.status.is_terminal:
            raise PaymentProviderError("The payment provider refused the request.")
        return subscription

    def _price(self, price_id: str) -> PlanPrice:
        price = self.price_by_id(price_id)
        if price is None:
            raise PaymentProviderError("The payment provider refused the request.")
        return price

    def _change_invoice(
        self, subscription_id: str, price_id: str, proration_date: datetime
    ) -> FakeInvoice:
        """What moving to `price_id` now bills (nothing during a trial)."""
        current = self._live(subscription_id)
        new, old = self._price(price_id), self.price_by_id(current.price_id)
        start, end = current.current_period_start, current.current_period_end
        assert start is not None and end is not None
        if not start <= proration_date <= end:
            raise PaymentProviderError("The payment provider refused the request.")
        now = self.clock.now()
        if current.status is SubscriptionStatus.TRIALING:
            return FakeInvoice((), 0, 0, 0, self.balances.get(current.customer_id or "", 0), end)
        interval_changes = old is not None and old.interval is not new.interval
        return change_invoice(
            old_amount=old.amount if old else 0,
            new_amount=new.amount,
            new_cycle=(YEAR if new.interval is Interval.YEAR else PERIOD)
            if interval_changes
            else None,
            at=proration_date,
            now=now,
            start=start,
            end=end,
            discount=self.current_discount(subscription_id),
            balance=self.balances.get(current.customer_id or "", 0),
        )
