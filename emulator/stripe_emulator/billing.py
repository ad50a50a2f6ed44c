"""Subscriptions, invoices and the billing engine that moves them through time.

:class:`Billing` owns every change to subscriptions and invoices: starting a
subscription (paying its first invoice), updating and cancelling it, fixing a
card, and :meth:`Billing.run_due`, which processes, in time order, everything
that falls due on a clock (renewals, payment retries, scheduled cancellations,
trial ends, expiries). Callers hold ``store.lock``.

Every change records the events Stripe would send, with ``created`` set to the
time on the customer's clock when the change happened.
"""

from __future__ import annotations

import calendar
import copy
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import objects
from .cards import DEFAULT_CARD, TEST_PAYMENT_METHODS, PaymentMethod
from .errors import StripeError, resource_missing
from .forms import apply_metadata
from .ids import new_id
from .store import Cycle, Json, Store, changed_attributes

log = logging.getLogger(__name__)

DAY = 86400
MAX_ADVANCE = 100 * 366 * DAY
_MAX_STEPS = 100_000

LIVE_STATUSES = frozenset({"trialing", "active", "past_due", "unpaid", "paused"})
"""Statuses of a subscription that has not ended (``incomplete`` has not started)."""


def shift(timestamp: int, interval: str, count: int) -> int:
    """``timestamp`` moved by ``count`` intervals, by the calendar for months and years.

    A month after January 31st is the last day of February: the day of month is
    clamped, and the caller counts from a fixed anchor so that March comes back
    to the 31st.
    """
    if interval == "day":
        return timestamp + count * DAY
    if interval == "week":
        return timestamp + count * 7 * DAY
    months = count * (12 if interval == "year" else 1)
    moment = datetime.fromtimestamp(timestamp, UTC)
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def period_end(cycle: Cycle, periods: int) -> int:
    return shift(cycle.anchor, cycle.interval, cycle.interval_count * periods)


class Outbox:
    """Events collected during one change, recorded together at the end.

    Each entry keeps a snapshot taken when it was added, so an event shows the
    object as it was at that step even when the events are recorded in another
    order (as for a paid checkout).
    """

    def __init__(self) -> None:
        self.entries: list[tuple[str, Json, Json | None]] = []

    def add(self, event_type: str, obj: Json, previous: Json | None = None) -> None:
        self.entries.append((event_type, copy.deepcopy(obj), previous))

    def take(self, event_type: str, object_id: str) -> tuple[str, Json, Json | None]:
        """Remove and return the entry of ``event_type`` about ``object_id``."""
        for index, entry in enumerate(self.entries):
            if entry[0] == event_type and entry[1].get("id") == object_id:
                return self.entries.pop(index)
        raise KeyError((event_type, object_id))

    def send(self, store: Store, created: int) -> None:
        for event_type, snapshot, previous in self.entries:
            store.record_event(event_type, snapshot, created=created, previous_attributes=previous)
        self.entries.clear()


@dataclass(frozen=True)
class LineRequest:
    """One price and quantity of a subscription being started."""

    price: Json
    quantity: int


@dataclass(frozen=True)
class ItemChange:
    """A new price and/or quantity for an existing subscription item."""

    item: Json
    price: Json | None
    quantity: int | None


@dataclass
class SubscriptionChange:
    """What an update request asks for; None means "leave as it is"."""

    cancel_at_period_end: bool | None = None
    cancel_at: int | None = None
    clear_cancel_at: bool = False
    metadata: dict[str, str | None] | None = None
    description: str | None = None
    pause_collection: Json | None = None
    """A ``{"behavior", "resumes_at"}`` dict, or ``{}`` to resume collection."""
    card: PaymentMethod | None = None
    items: list[ItemChange] = field(default_factory=list)
    cancellation_comment: str | None = None
    cancellation_feedback: str | None = None

    def touches_billing(self) -> bool:
        return (
            self.cancel_at_period_end is not None
            or self.cancel_at is not None
            or self.clear_cancel_at
            or self.pause_collection is not None
            or self.card is not None
            or bool(self.items)
        )


@dataclass(frozen=True)
class _Due:
    when: int
    priority: int
    action: str
    object_id: str


class Billing:
    """Subscription and invoice logic over a :class:`Store` (callers hold its lock)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- customers ------------------------------------------------------------

    def create_customer(
        self,
        *,
        email: str | None,
        name: str | None = None,
        description: str | None = None,
        phone: str | None = None,
        metadata: dict[str, str] | None = None,
        test_clock: str | None = None,
    ) -> Json:
        """Create a customer on its clock and record ``customer.created``."""
        now = self.store.now(test_clock)
        customer = objects.customer(
            created=now,
            email=email,
            name=name,
            description=description,
            phone=phone,
            metadata=metadata or {},
            test_clock=test_clock,
            invoice_prefix=secrets.token_hex(4).upper(),
        )
        self.store.customers[customer["id"]] = customer
        self.store.record_event("customer.created", customer, created=now)
        return customer

    # -- payment methods ------------------------------------------------------

    def add_card(self, customer_id: str | None, number: str) -> PaymentMethod:
        """Save a test card (digits only) for ``customer_id``."""
        method = PaymentMethod(id=new_id("pm_"), number=number, customer=customer_id)
        self.store.payment_methods[method.id] = method
        return method

    def payment_method_param(self, pm_id: str, customer_id: str, param: str) -> PaymentMethod:
        """The card named by a ``default_payment_method`` parameter.

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

    def card_for(self, subscription: Json) -> PaymentMethod | None:
        """The card a subscription charges: its own default, else its customer's."""
        for pm_id in (
            subscription.get("default_payment_method"),
            self.store.customers[subscription["customer"]]["invoice_settings"][
                "default_payment_method"
            ],
        ):
            if pm_id and pm_id in self.store.payment_methods:
                return self.store.payment_methods[pm_id]
        return None

    def card_or_default(self, subscription: Json) -> PaymentMethod:
        """:meth:`card_for`, or a fresh 4242 card set as the subscription's default."""
        method = self.card_for(subscription)
        if method is None:
            method = self.add_card(subscription["customer"], DEFAULT_CARD)
            subscription["default_payment_method"] = method.id
        return method

    # -- invoices -------------------------------------------------------------

    def _subscription_invoices(self, subscription_id: str) -> Iterator[Json]:
        for invoice in self.store.invoices.values():
            if invoice["parent"]["subscription_details"]["subscription"] == subscription_id:
                yield invoice

    def _has_open_invoice(self, subscription_id: str) -> bool:
        return any(
            invoice["status"] == "open" for invoice in self._subscription_invoices(subscription_id)
        )

    def _new_invoice(
        self,
        subscription: Json,
        *,
        now: int,
        reason: str,
        invoice_period: tuple[int, int],
        free: bool,
        outbox: Outbox,
    ) -> Json:
        customer = self.store.customers[subscription["customer"]]
        invoice_id = new_id("in_")
        lines = []
        for item in subscription["items"]["data"]:
            price = item["price"]
            amount = 0 if free else price["unit_amount"] * item["quantity"]
            product = self.store.products.get(price["product"])
            label = product["name"] if product else price["product"]
            lines.append(
                objects.invoice_line(
                    invoice_id=invoice_id,
                    subscription_id=subscription["id"],
                    item=item,
                    period_start=item["current_period_start"],
                    period_end=item["current_period_end"],
                    amount=amount,
                    description=f"{item['quantity']} \u00d7 {label}" + (" (trial)" if free else ""),
                )
            )
        invoice = objects.invoice(
            invoice_id=invoice_id,
            created=now,
            customer_obj=customer,
            subscription_id=subscription["id"],
            subscription_metadata=subscription["metadata"],
            billing_reason=reason,
            currency=subscription["currency"],
            lines=lines,
            period_start=invoice_period[0],
            period_end=invoice_period[1],
            default_payment_method=subscription["default_payment_method"],
        )
        self.store.invoices[invoice_id] = invoice
        subscription["latest_invoice"] = invoice_id
        outbox.add("invoice.created", invoice)
        return invoice

    def _finalize(self, invoice: Json, now: int, outbox: Outbox) -> None:
        customer = self.store.customers[invoice["customer"]]
        sequence = customer["next_invoice_sequence"]
        customer["next_invoice_sequence"] = sequence + 1
        invoice["number"] = f"{customer['invoice_prefix']}-{sequence:04d}"
        invoice["status"] = "open"
        invoice["effective_at"] = now
        invoice["ending_balance"] = 0
        invoice["webhooks_delivered_at"] = now
        invoice["status_transitions"]["finalized_at"] = now
        outbox.add("invoice.finalized", invoice)

    def _attempt(
        self, invoice: Json, method: PaymentMethod | None, now: int, outbox: Outbox, *, retry: bool
    ) -> bool:
        """Charge an open invoice once; schedule the next retry when it fails."""
        invoice["attempt_count"] += 1
        invoice["attempted"] = True
        if method is not None:
            invoice["default_payment_method"] = method.id
        paid = invoice["amount_due"] == 0 or (method is not None and method.charge())
        if paid:
            self._mark_paid(invoice, now, outbox)
            return True
        first = self.store.first_failure.setdefault(invoice["id"], now)
        retries_done = invoice["attempt_count"] - 1
        retry_days = self.store.settings.retry_days
        if retry and retries_done < len(retry_days):
            invoice["next_payment_attempt"] = first + retry_days[retries_done] * DAY
        else:
            invoice["next_payment_attempt"] = None
        outbox.add("invoice.payment_failed", invoice)
        return False

    def _mark_paid(self, invoice: Json, now: int, outbox: Outbox) -> None:
        invoice["status"] = "paid"
        invoice["amount_paid"] = invoice["amount_due"]
        invoice["amount_remaining"] = 0
        invoice["next_payment_attempt"] = None
        invoice["status_transitions"]["paid_at"] = now
        self.store.first_failure.pop(invoice["id"], None)
        outbox.add("invoice.paid", invoice)
        outbox.add("invoice.payment_succeeded", invoice)

    def _close_invoice(self, invoice: Json, status: str, now: int, outbox: Outbox) -> None:
        """Void an invoice or mark it uncollectible."""
        invoice["status"] = status
        invoice["next_payment_attempt"] = None
        invoice["auto_advance"] = False
        if status == "void":
            invoice["status_transitions"]["voided_at"] = now
            outbox.add("invoice.voided", invoice)
        else:
            invoice["status_transitions"]["marked_uncollectible_at"] = now
            outbox.add("invoice.marked_uncollectible", invoice)

    # -- starting a subscription ---------------------------------------------

    def start_subscription(
        self,
        customer: Json,
        lines: list[LineRequest],
        *,
        now: int,
        metadata: dict[str, str],
        description: str | None = None,
        card: PaymentMethod | None = None,
        trial_end: int | None = None,
        missing_payment_method: str = "create_invoice",
        attempt_payment: bool = True,
        outbox: Outbox,
    ) -> Json:
        """Create a subscription and its first invoice, and try to pay it.

        With a trial the first invoice is for 0 and the status ``trialing``;
        otherwise the invoice is charged to ``card`` and the status is ``active``
        when paid, ``incomplete`` when not. Events go to ``outbox`` in Stripe's
        order: ``customer.subscription.created`` then the invoice's events.
        """
        subscription_id = new_id("sub_")
        first = lines[0].price
        recurring = first["recurring"]
        if trial_end is not None:
            cycle = Cycle(trial_end, recurring["interval"], recurring["interval_count"], periods=0)
            end = trial_end
        else:
            cycle = Cycle(now, recurring["interval"], recurring["interval_count"])
            end = period_end(cycle, 1)
        items = [
            objects.subscription_item(
                subscription_id=subscription_id,
                created=now,
                price_obj=line.price,
                quantity=line.quantity,
                period_start=now,
                period_end=end,
            )
            for line in lines
        ]
        subscription = objects.subscription(
            subscription_id=subscription_id,
            created=now,
            customer_id=customer["id"],
            currency=first["currency"],
            items=items,
            metadata=metadata,
            description=description,
            default_payment_method=card.id if card else None,
            test_clock=customer["test_clock"],
            trial_start=now if trial_end is not None else None,
            trial_end=trial_end,
            missing_payment_method=missing_payment_method,
        )
        self.store.subscriptions[subscription_id] = subscription
        self.store.cycles[subscription_id] = cycle
        if customer["currency"] is None:
            customer["currency"] = first["currency"]

        invoice_outbox = Outbox()
        invoice = self._new_invoice(
            subscription,
            now=now,
            reason="subscription_create",
            invoice_period=(now, now),
            free=trial_end is not None,
            outbox=invoice_outbox,
        )
        self._finalize(invoice, now, invoice_outbox)
        if trial_end is not None:
            self._mark_paid(invoice, now, invoice_outbox)
            subscription["status"] = "trialing"
        elif attempt_payment and self._attempt(invoice, card, now, invoice_outbox, retry=False):
            subscription["status"] = "active"
        else:
            subscription["status"] = "incomplete"
        outbox.add("customer.subscription.created", subscription)
        outbox.entries.extend(invoice_outbox.entries)
        return subscription

    # -- changing a subscription ---------------------------------------------

    @contextmanager
    def tracking(self, subscription: Json, outbox: Outbox) -> Iterator[None]:
        """Add ``customer.subscription.updated`` to ``outbox`` if the block changed it."""
        before = copy.deepcopy(subscription)
        yield
        if subscription["status"] in ("canceled", "incomplete_expired") and before[
            "status"
        ] not in ("canceled", "incomplete_expired"):
            return  # the cancellation emitted customer.subscription.deleted instead
        previous = changed_attributes(before, subscription)
        if previous:
            outbox.add("customer.subscription.updated", subscription, previous)

    def schedule_cancel(
        self,
        subscription: Json,
        *,
        now: int,
        at_period_end: bool | None = None,
        cancel_at: int | None = None,
        clear_cancel_at: bool = False,
    ) -> None:
        """Apply ``cancel_at_period_end`` / ``cancel_at`` changes as Stripe records them.

        Scheduling a cancellation sets ``canceled_at`` to the time of the request
        and ``cancellation_details.reason``; undoing it clears both.
        """
        if at_period_end is True:
            subscription["cancel_at_period_end"] = True
            subscription["cancel_at"] = current_period_end(subscription)
        elif at_period_end is False or clear_cancel_at:
            subscription["cancel_at_period_end"] = False
            subscription["cancel_at"] = None
        if cancel_at is not None:
            subscription["cancel_at_period_end"] = False
            subscription["cancel_at"] = cancel_at
        if subscription["cancel_at"] is not None:
            subscription["canceled_at"] = now
            subscription["cancellation_details"]["reason"] = "cancellation_requested"
        else:
            subscription["canceled_at"] = None
            subscription["cancellation_details"] = {
                "comment": None,
                "feedback": None,
                "reason": None,
            }

    def update(
        self,
        subscription: Json,
        *,
        now: int,
        change: SubscriptionChange,
    ) -> None:
        """Apply an update request and record ``customer.subscription.updated``."""
        if subscription["status"] in ("canceled", "incomplete_expired") and (
            change.touches_billing()
        ):
            raise StripeError(
                "A canceled subscription can only update its cancellation_details and metadata."
            )
        outbox = Outbox()
        with self.tracking(subscription, outbox):
            if (
                change.cancel_at_period_end is not None
                or change.cancel_at is not None
                or (change.clear_cancel_at)
            ):
                self.schedule_cancel(
                    subscription,
                    now=now,
                    at_period_end=change.cancel_at_period_end,
                    cancel_at=change.cancel_at,
                    clear_cancel_at=change.clear_cancel_at,
                )
            if change.metadata is not None:
                apply_metadata(subscription["metadata"], change.metadata)
            if change.description is not None:
                subscription["description"] = change.description or None
            if change.pause_collection is not None:
                subscription["pause_collection"] = change.pause_collection or None
            if change.card is not None:
                subscription["default_payment_method"] = change.card.id
            for item_change in change.items:
                item = item_change.item
                if item_change.price is not None:
                    item["price"] = dict(item_change.price)
                    item["plan"] = objects.plan_from_price(item_change.price)
                if item_change.quantity is not None:
                    item["quantity"] = item_change.quantity
            if change.cancellation_comment is not None:
                subscription["cancellation_details"]["comment"] = change.cancellation_comment
            if change.cancellation_feedback is not None:
                subscription["cancellation_details"]["feedback"] = change.cancellation_feedback
        outbox.send(self.store, now)

    def cancel(
        self,
        subscription: Json,
        *,
        now: int,
        reason: str,
        outbox: Outbox,
        comment: str | None = None,
        feedback: str | None = None,
        keep_canceled_at: bool = False,
    ) -> None:
        """End a subscription now: status ``canceled``, ``customer.subscription.deleted``."""
        subscription["status"] = "canceled"
        subscription["ended_at"] = now
        if not (keep_canceled_at and subscription["canceled_at"] is not None):
            subscription["canceled_at"] = now
        details = subscription["cancellation_details"]
        details["reason"] = reason
        if comment is not None:
            details["comment"] = comment
        if feedback is not None:
            details["feedback"] = feedback
        for invoice in self._subscription_invoices(subscription["id"]):
            if invoice["status"] == "open":
                invoice["next_payment_attempt"] = None
        outbox.add("customer.subscription.deleted", subscription)

    def resume(self, subscription: Json, *, now: int, outbox: Outbox) -> None:
        """Resume a ``paused`` subscription: a new period from now, paid at once."""
        cycle = self.store.cycles[subscription["id"]]
        cycle.anchor, cycle.periods = now, 1
        with self.tracking(subscription, outbox):
            subscription["billing_cycle_anchor"] = now
            for item in subscription["items"]["data"]:
                item["current_period_start"] = now
                item["current_period_end"] = period_end(cycle, 1)
            subscription["status"] = "active"
            card = self.card_or_default(subscription)
            invoice = self._new_invoice(
                subscription,
                now=now,
                reason="subscription_update",
                invoice_period=(now, now),
                free=False,
                outbox=outbox,
            )
            self._finalize(invoice, now, outbox)
            if not self._attempt(invoice, card, now, outbox, retry=True):
                subscription["status"] = "past_due"
        outbox.add("customer.subscription.resumed", subscription)

    def pay_open_invoices(self, customer_id: str, card: PaymentMethod, now: int) -> None:
        """Charge ``card`` for every open invoice of a customer (after a card fix).

        Subscriptions whose invoices are all paid become ``active`` again.
        """
        outbox = Outbox()
        for subscription in self.store.subscriptions.values():
            if subscription["customer"] != customer_id:
                continue
            if subscription["status"] in ("canceled", "incomplete_expired"):
                continue
            with self.tracking(subscription, outbox):
                if subscription["status"] in LIVE_STATUSES | {"incomplete"}:
                    subscription["default_payment_method"] = card.id
                for invoice in list(self._subscription_invoices(subscription["id"])):
                    if invoice["status"] == "open" and not self._attempt(
                        invoice, card, now, outbox, retry=True
                    ):
                        break
                if subscription["status"] in (
                    "past_due",
                    "unpaid",
                    "incomplete",
                ) and not self._has_open_invoice(subscription["id"]):
                    subscription["status"] = "active"
        outbox.send(self.store, now)

    # -- clocks ---------------------------------------------------------------

    def advance_default_clock(self, seconds: float) -> int:
        """Move the default clock forward and run everything that fell due; returns its time."""
        if not 0 <= seconds <= MAX_ADVANCE:
            raise StripeError(
                f"seconds must be between 0 and {MAX_ADVANCE} (100 years).", param="seconds"
            )
        self.store.clock_offset += seconds
        now = self.store.now()
        self.run_due(None, now)
        return now

    def advance_test_clock(self, clock: Json, frozen_time: int) -> None:
        """Move a test clock to ``frozen_time``, running the engine for its customers.

        The clock is ``advancing`` while the engine runs and ``ready`` after; the
        events ``test_helpers.test_clock.advancing`` and ``.ready`` frame the run.
        """
        if frozen_time <= clock["frozen_time"]:
            raise StripeError(
                "The frozen time must be after the test clock's current frozen time.",
                param="frozen_time",
            )
        clock["status"] = "advancing"
        clock["status_details"] = {"advancing": {"target_frozen_time": frozen_time}}
        start = clock["frozen_time"]
        self.store.record_event("test_helpers.test_clock.advancing", clock, created=start)
        try:
            self._run_to(clock, frozen_time)
        finally:
            clock["frozen_time"] = frozen_time
            clock["status"] = "ready"
            clock["status_details"] = {}
        self.store.record_event("test_helpers.test_clock.ready", clock, created=frozen_time)

    def _run_to(self, clock: Json, target: int) -> None:
        # The clock's time follows each due moment, so objects created by the
        # engine (invoices) carry the moment they were created at.
        for _ in range(_MAX_STEPS):
            due = self._next_due(clock["id"], target)
            if due is None:
                return
            clock["frozen_time"] = due.when
            self._process(due)
        log.warning("billing engine stopped after %d steps on %s", _MAX_STEPS, clock["id"])

    # -- the engine -----------------------------------------------------------

    def run_due(self, test_clock: str | None, now: int) -> int:
        """Process everything due on a clock up to ``now``, earliest first.

        ``test_clock`` None means the default clock. Returns the number of steps.
        """
        steps = 0
        while steps < _MAX_STEPS:
            due = self._next_due(test_clock, now)
            if due is None:
                return steps
            self._process(due)
            steps += 1
        log.warning("billing engine stopped after %d steps on clock %s", steps, test_clock)
        return steps

    def _on_clock(self, customer_id: str | None, test_clock: str | None) -> bool:
        customer = self.store.customers.get(customer_id) if customer_id else None
        return (customer["test_clock"] if customer else None) == test_clock

    def _next_due(self, test_clock: str | None, now: int) -> _Due | None:
        candidates: list[_Due] = []
        for subscription in self.store.subscriptions.values():
            if not self._on_clock(subscription["customer"], test_clock):
                continue
            candidates.extend(self._due_for(subscription))
        for session in self.store.checkout_sessions.values():
            if session["status"] == "open" and self._on_clock(session["customer"], test_clock):
                candidates.append(_Due(session["expires_at"], 0, "expire_session", session["id"]))
        due = [candidate for candidate in candidates if candidate.when <= now]
        return min(due, key=lambda d: (d.when, d.priority)) if due else None

    def _due_for(self, subscription: Json) -> list[_Due]:
        subscription_id = subscription["id"]
        status = subscription["status"]
        if status == "incomplete":
            expiry = subscription["created"] + self.store.settings.incomplete_expiry_seconds
            return [_Due(expiry, 0, "expire_incomplete", subscription_id)]
        if status not in LIVE_STATUSES or status == "paused":
            return []
        result = []
        if subscription["cancel_at"] is not None:
            result.append(_Due(subscription["cancel_at"], 0, "cancel", subscription_id))
        action = "trial_end" if status == "trialing" else "renew"
        result.append(_Due(current_period_end(subscription), 1, action, subscription_id))
        pause = subscription["pause_collection"]
        if pause and pause.get("resumes_at"):
            result.append(_Due(pause["resumes_at"], 2, "unpause", subscription_id))
        for invoice in self._subscription_invoices(subscription_id):
            if invoice["status"] == "open" and invoice["next_payment_attempt"] is not None:
                result.append(_Due(invoice["next_payment_attempt"], 3, "retry", invoice["id"]))
        return result

    def _process(self, due: _Due) -> None:
        outbox = Outbox()
        if due.action == "expire_session":
            self.expire_session(self.store.checkout_sessions[due.object_id], outbox)
        elif due.action == "retry":
            self._retry(self.store.invoices[due.object_id], due.when, outbox)
        else:
            subscription = self.store.subscriptions[due.object_id]
            if due.action == "cancel":
                self.cancel(
                    subscription,
                    now=due.when,
                    reason="cancellation_requested",
                    outbox=outbox,
                    keep_canceled_at=True,
                )
            elif due.action == "expire_incomplete":
                self._expire_incomplete(subscription, due.when, outbox)
            elif due.action == "unpause":
                with self.tracking(subscription, outbox):
                    subscription["pause_collection"] = None
            elif due.action == "trial_end":
                self._end_trial(subscription, due.when, outbox)
            else:
                self._renew(subscription, due.when, outbox)
        outbox.send(self.store, due.when)

    def expire_session(self, session: Json, outbox: Outbox) -> None:
        session["status"] = "expired"
        session["url"] = None
        outbox.add("checkout.session.expired", session)

    def _expire_incomplete(self, subscription: Json, now: int, outbox: Outbox) -> None:
        for invoice in self._subscription_invoices(subscription["id"]):
            if invoice["status"] == "open":
                self._close_invoice(invoice, "void", now, outbox)
        before = copy.deepcopy(subscription)
        subscription["status"] = "incomplete_expired"
        subscription["ended_at"] = now
        outbox.add(
            "customer.subscription.updated",
            subscription,
            changed_attributes(before, subscription),
        )

    def _advance_period(self, subscription: Json) -> tuple[int, int]:
        """Move the items to the next period; returns the period that just ended."""
        cycle = self.store.cycles[subscription["id"]]
        ended = (
            subscription["items"]["data"][0]["current_period_start"],
            current_period_end(subscription),
        )
        cycle.periods += 1
        new_end = period_end(cycle, cycle.periods)
        for item in subscription["items"]["data"]:
            item["current_period_start"] = ended[1]
            item["current_period_end"] = new_end
        return ended

    def _renew(self, subscription: Json, now: int, outbox: Outbox) -> None:
        """Start the next period and bill it (or not, while collection is paused)."""
        with self.tracking(subscription, outbox):
            ended = self._advance_period(subscription)
            invoice = self._new_invoice(
                subscription,
                now=now,
                reason="subscription_cycle",
                invoice_period=ended,
                free=False,
                outbox=outbox,
            )
            pause = subscription["pause_collection"]
            if pause:
                behavior = pause.get("behavior")
                if behavior == "keep_as_draft":
                    invoice["auto_advance"] = False
                else:
                    self._finalize(invoice, now, outbox)
                    status = "void" if behavior == "void" else "uncollectible"
                    self._close_invoice(invoice, status, now, outbox)
                return
            self._finalize(invoice, now, outbox)
            if subscription["status"] == "unpaid":
                invoice["auto_advance"] = False  # Stripe stops charging unpaid subscriptions
                return
            if self._attempt(invoice, self.card_for(subscription), now, outbox, retry=True):
                if not self._has_open_invoice(subscription["id"]):
                    subscription["status"] = "active"
            elif subscription["status"] in ("active", "trialing"):
                subscription["status"] = "past_due"

    def _end_trial(self, subscription: Json, now: int, outbox: Outbox) -> None:
        if self.card_for(subscription) is None:
            behaviour = subscription["trial_settings"]["end_behavior"]["missing_payment_method"]
            if behaviour == "pause":
                with self.tracking(subscription, outbox):
                    subscription["status"] = "paused"
                outbox.add("customer.subscription.paused", subscription)
                return
            if behaviour == "cancel":
                self.cancel(subscription, now=now, reason="cancellation_requested", outbox=outbox)
                return
        self._renew(subscription, now, outbox)

    def _retry(self, invoice: Json, now: int, outbox: Outbox) -> None:
        subscription_id = invoice["parent"]["subscription_details"]["subscription"]
        subscription = self.store.subscriptions[subscription_id]
        with self.tracking(subscription, outbox):
            if self._attempt(invoice, self.card_for(subscription), now, outbox, retry=True):
                if subscription["status"] in ("past_due", "unpaid") and not (
                    self._has_open_invoice(subscription_id)
                ):
                    subscription["status"] = "active"
                return
            if invoice["next_payment_attempt"] is not None:
                return
            # The last retry failed.
            if self.store.settings.after_retries == "unpaid":
                subscription["status"] = "unpaid"
                return
            self._close_invoice(invoice, "uncollectible", now, outbox)
            self.cancel(subscription, now=now, reason="payment_failed", outbox=outbox)


def current_period_end(subscription: Json) -> int:
    """The end of the current period (kept on the items in the current API)."""
    return int(subscription["items"]["data"][0]["current_period_end"])


def json_settings_update(store: Store, data: dict[str, Any]) -> None:
    """Apply ``{"after_retries": ..., "retry_days": [...]}`` to the store's settings."""
    settings = store.settings
    if "after_retries" in data:
        if data["after_retries"] not in ("canceled", "unpaid"):
            raise StripeError(
                "after_retries must be 'canceled' or 'unpaid'.", param="after_retries"
            )
        settings.after_retries = data["after_retries"]
    if "retry_days" in data:
        days = data["retry_days"]
        if not isinstance(days, list) or not all(
            isinstance(day, int) and not isinstance(day, bool) and day > 0 for day in days
        ):
            raise StripeError("retry_days must be a list of positive integers.", param="retry_days")
        settings.retry_days = tuple(days)
    if "incomplete_expiry_seconds" in data:
        seconds = data["incomplete_expiry_seconds"]
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds <= 0:
            raise StripeError(
                "incomplete_expiry_seconds must be a positive integer.",
                param="incomplete_expiry_seconds",
            )
        settings.incomplete_expiry_seconds = seconds
