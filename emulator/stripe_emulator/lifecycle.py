"""What requests do to a subscription: start it, change it, cancel it, resume it, pay it.

What time does to it (renewals, retries, trial ends) is in :mod:`.renewals`.
Callers hold ``store.lock``; every change records the events Stripe would send,
with ``created`` the time on the customer's clock.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from . import discounts, objects, statuses
from .calendar import Cycle, current_period_end
from .cards import PaymentMethod
from .errors import StripeError
from .forms import apply_metadata
from .ids import new_id
from .invoicing import Invoicing
from .objects import Json
from .outbox import Outbox, changed_attributes, recording_update
from .payment_methods import PaymentMethods
from .prorations import ItemChange, PlanChanges, Proration
from .store import Store


@dataclass(frozen=True)
class LineRequest:
    """One price and quantity of a subscription being started."""

    price: Json
    quantity: int
    metadata: dict[str, str] = field(default_factory=dict)


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
    proration: Proration = field(default_factory=Proration)
    cancellation_comment: str | None = None
    cancellation_feedback: str | None = None
    payment_settings: Json | None = None

    def touches_billing(self) -> bool:
        return (
            self.touches_cancellation()
            or self.pause_collection is not None
            or self.card is not None
            or bool(self.items)
            or self.payment_settings is not None
        )

    def touches_cancellation(self) -> bool:
        return (
            self.cancel_at_period_end is not None
            or self.cancel_at is not None
            or self.clear_cancel_at
        )

    def apply_fields(self, subscription: Json) -> None:
        """Everything but the cancellation schedule (see :meth:`SubscriptionLifecycle.update`)."""
        apply_metadata(subscription["metadata"], self.metadata)
        if self.description is not None:
            subscription["description"] = self.description or None
        if self.pause_collection is not None:
            subscription["pause_collection"] = self.pause_collection or None
        if self.card is not None:
            subscription["default_payment_method"] = self.card.id
        if self.payment_settings is not None:
            subscription["payment_settings"].update(self.payment_settings)
        if self.cancellation_comment is not None:
            subscription["cancellation_details"]["comment"] = self.cancellation_comment
        if self.cancellation_feedback is not None:
            subscription["cancellation_details"]["feedback"] = self.cancellation_feedback


@dataclass(frozen=True)
class StartRequest:
    """A subscription to start (from the API or a paid checkout)."""

    customer: Json
    lines: list[LineRequest]
    metadata: dict[str, str]
    description: str | None = None
    card: PaymentMethod | None = None
    trial_end: int | None = None
    missing_payment_method: str = "create_invoice"
    attempt_payment: bool = True
    payment_settings: Json | None = None
    discounts: list[tuple[Json, Json | None]] = field(default_factory=list)
    """(coupon, promotion code or None) to give the subscription before its first invoice."""
    checkout_session: str | None = None
    starts_incomplete: bool = False
    """As Checkout does: ``customer.subscription.created`` shows it ``incomplete``, and
    ``customer.subscription.updated`` follows once the first invoice is paid."""


class SubscriptionLifecycle:
    """Starting, updating, cancelling and resuming subscriptions, and paying what they owe."""

    def __init__(
        self, store: Store, cards: PaymentMethods, invoicing: Invoicing, plans: PlanChanges
    ) -> None:
        self.store = store
        self.cards = cards
        self.invoicing = invoicing
        self.plans = plans

    def start(self, request: StartRequest, *, now: int, outbox: Outbox) -> Json:
        """Create a subscription and its first invoice, and try to pay it.

        With a trial the first invoice is for 0 and the status ``trialing``;
        otherwise the invoice is charged to ``card`` and the status is ``active``
        when paid, ``incomplete`` when not. Events go to ``outbox`` in Stripe's
        order: ``customer.subscription.created`` then the invoice's events, then
        (``starts_incomplete``, once paid) ``customer.subscription.updated`` with
        ``previous_attributes.status = "incomplete"``.
        """
        subscription = self._new(request, now)
        invoice_events = Outbox()
        invoice = self.invoicing.create(
            subscription,
            now=now,
            reason="subscription_create",
            period=(now, now),
            free=request.trial_end is not None,
            outbox=invoice_events,
        )
        self.invoicing.finalize(invoice, now, invoice_events)
        announced = None
        if request.starts_incomplete and request.trial_end is None:
            outbox.add("customer.subscription.created", subscription)
            announced = copy.deepcopy(subscription)
        if request.trial_end is not None:
            self.invoicing.mark_paid(invoice, now, invoice_events)
            subscription["status"] = "trialing"
        elif request.attempt_payment and self.invoicing.attempt(
            invoice, request.card, now, invoice_events, retry=False
        ):
            subscription["status"] = "active"
        if announced is None:
            outbox.add("customer.subscription.created", subscription)
        outbox.extend(invoice_events)
        if announced is not None and announced != subscription:
            previous = changed_attributes(announced, subscription)
            outbox.add("customer.subscription.updated", subscription, previous)
        return subscription

    def _new(self, request: StartRequest, now: int) -> Json:
        """The subscription, ``incomplete``, with its items and billing cycle."""
        subscription_id = new_id("sub_")
        first = request.lines[0].price
        recurring = first["recurring"]
        if request.trial_end is not None:
            cycle = Cycle(
                request.trial_end, recurring["interval"], recurring["interval_count"], periods=0
            )
            end = request.trial_end
        else:
            cycle = Cycle(now, recurring["interval"], recurring["interval_count"])
            end = cycle.end_of(1)
        items = [
            objects.subscription_item(
                subscription_id=subscription_id,
                created=now,
                price_obj=line.price,
                quantity=line.quantity,
                metadata=dict(line.metadata),
                period_start=now,
                period_end=end,
            )
            for line in request.lines
        ]
        customer = request.customer
        subscription = objects.subscription(
            subscription_id=subscription_id,
            created=now,
            customer_id=customer["id"],
            currency=first["currency"],
            items=items,
            metadata=request.metadata,
            description=request.description,
            default_payment_method=request.card.id if request.card else None,
            test_clock=customer["test_clock"],
            trial_start=now if request.trial_end is not None else None,
            trial_end=request.trial_end,
            missing_payment_method=request.missing_payment_method,
        )
        if request.payment_settings:
            subscription["payment_settings"].update(request.payment_settings)
        self.store.subscriptions[subscription_id] = subscription
        self.store.cycles[subscription_id] = cycle
        for coupon, promotion_code in request.discounts:
            discounts.attach(
                self.store, subscription, coupon, promotion_code, now, request.checkout_session
            )
        if customer["currency"] is None:
            customer["currency"] = first["currency"]
        return subscription

    def update(self, subscription: Json, *, now: int, change: SubscriptionChange) -> None:
        """Apply an update request and record ``customer.subscription.updated``."""
        if subscription["status"] in statuses.ENDED and change.touches_billing():
            raise StripeError(
                "A canceled subscription can only update its cancellation_details and metadata."
            )
        outbox = Outbox()
        with recording_update(subscription, outbox):
            if change.touches_cancellation():
                self.schedule_cancel(
                    subscription,
                    now=now,
                    at_period_end=change.cancel_at_period_end,
                    cancel_at=change.cancel_at,
                    clear_cancel_at=change.clear_cancel_at,
                )
            change.apply_fields(subscription)
            if change.items:
                self.plans.apply(subscription, change.items, change.proration, now, outbox)
        outbox.send(self.store, now)

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
        self.invoicing.stop_retrying(subscription["id"])
        self.store.pending_items.pop(subscription["id"], None)
        outbox.add("customer.subscription.deleted", subscription)
        schedule = self.store.subscription_schedules.get(subscription["schedule"] or "")
        if schedule is not None and schedule["status"] == "active":
            schedule.update(status="canceled", canceled_at=now)
            outbox.add("subscription_schedule.canceled", schedule)

    def resume(self, subscription: Json, *, now: int, outbox: Outbox) -> None:
        """Resume a ``paused`` subscription: a new period from now, paid at once."""
        cycle = self.store.cycles[subscription["id"]]
        cycle.anchor, cycle.periods = now, 1
        with recording_update(subscription, outbox):
            subscription["billing_cycle_anchor"] = now
            for item in subscription["items"]["data"]:
                item["current_period_start"] = now
                item["current_period_end"] = cycle.end_of(1)
            subscription["status"] = "active"
            card = self.cards.card_or_default(subscription)
            invoice = self.invoicing.create(
                subscription,
                now=now,
                reason="subscription_update",
                period=(now, now),
                free=False,
                outbox=outbox,
            )
            self.invoicing.finalize(invoice, now, outbox)
            if not self.invoicing.attempt(invoice, card, now, outbox, retry=True):
                subscription["status"] = "past_due"
        outbox.add("customer.subscription.resumed", subscription)

    def pay_open_invoices(self, customer_id: str, card: PaymentMethod, now: int) -> None:
        """Charge ``card`` for every open invoice of a customer (after a card fix).

        The card becomes the default of the customer's subscriptions that have not
        ended; those that owed and now owe nothing become ``active`` again.
        """
        outbox = Outbox()
        for subscription in self.store.subscriptions.values():
            if subscription["customer"] != customer_id or subscription["status"] in statuses.ENDED:
                continue
            with recording_update(subscription, outbox):
                subscription["default_payment_method"] = card.id
                self.pay_what_is_open(subscription, card, now, outbox)
        outbox.send(self.store, now)

    def pay_what_is_open(
        self, subscription: Json, card: PaymentMethod, now: int, outbox: Outbox
    ) -> None:
        """Charge the subscription's open invoices, oldest first, until one fails."""
        for invoice in self.invoicing.open_ones(subscription["id"]):
            if not self.invoicing.attempt(invoice, card, now, outbox, retry=True):
                break
        self.reactivate_if_settled(subscription)

    def reactivate_if_settled(self, subscription: Json) -> None:
        """An owing subscription with nothing left open is ``active`` again."""
        if subscription["status"] in statuses.OWING and not self.invoicing.open_ones(
            subscription["id"]
        ):
            subscription["status"] = "active"
