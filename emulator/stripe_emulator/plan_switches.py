"""Plan switches on the portal page, as Stripe's customer portal makes them.

Rules, from a configuration's ``features.subscription_update``:

- Offered when it is enabled with ``price`` among its ``default_allowed_updates``, to a
  subscription that is ``active`` or ``trialing``, not set to cancel, not paused, not on
  a schedule (a switch already waiting is shown instead), with one item whose product
  the configuration lists. The choices are the configuration's other prices (active,
  recurring, in the subscription's currency).
- A switch waits for the end of the period when one of the configuration's
  ``schedule_at_period_end.conditions`` holds: ``decreasing_item_amount``, the new
  price's amount per its own period (times the quantity) is lower than the current one's,
  amounts compared as they are, not per day; ``shortening_interval``, its billing
  interval is shorter. It is then a subscription schedule: the current price until the
  period ends, the new one after, no prorations, ``end_behavior=release``.
- Otherwise it applies now, billed by the configuration's ``proration_behavior`` (and
  ``billing_cycle_anchor``), at the ``proration_date`` of the quote the person saw, so
  that what is charged is what the page said. When it invoices now and the card would be
  declined, the switch is refused and nothing changes.
- A trialing subscription switches now, never at the period's end: ``continue_trial``
  keeps the trial and bills nothing; ``end_trial`` ends the trial and bills the new
  price's first period at once (a card is needed).

Callers hold ``store.lock``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from .calendar import DAY, Cycle, current_period_end, shift
from .cards import DECLINED_MESSAGE
from .errors import StripeError
from .hosted_forms import PageError
from .ids import new_id
from .invoicing import Invoicing
from .lifecycle import SubscriptionChange, SubscriptionLifecycle
from .objects import Json
from .outbox import Outbox, recording_update
from .payment_methods import PaymentMethods
from .prorations import ItemChange, Proration
from .schedules import PhaseRequest, Schedules
from .store import Store

NOW, AT_PERIOD_END, IN_TRIAL, ENDING_TRIAL = "now", "period_end", "trial", "end_trial"
QUOTE_LIFETIME = DAY
"""How long the amount a confirmation page shows can still be charged."""
_REFERENCE = 1_704_067_200  # intervals are compared by their length from 2024-01-01


@dataclass(frozen=True)
class SwitchOption:
    price: Json
    product_name: str


@dataclass(frozen=True)
class SwitchQuote:
    """What switching to ``new`` does: ``timing`` (NOW, AT_PERIOD_END, IN_TRIAL or
    ENDING_TRIAL), what is charged now (``invoice_now``) or next (``next_invoice``, on
    ``next_at``), when the new price applies (``effective_at``)."""

    current: SwitchOption
    new: SwitchOption
    timing: str
    effective_at: int
    proration_date: int
    invoice_now: Json | None = None
    next_invoice: Json | None = None
    next_at: int | None = None


def _amount(price: Json, quantity: int) -> int:
    return int(price["unit_amount"] or 0) * quantity


def _length(price: Json) -> int:
    recurring = price["recurring"]
    return shift(_REFERENCE, recurring["interval"], recurring["interval_count"]) - _REFERENCE


class PlanSwitches:
    """The portal's "Update plan": what it offers, what a choice costs, making it."""

    def __init__(
        self,
        store: Store,
        cards: PaymentMethods,
        invoicing: Invoicing,
        lifecycle: SubscriptionLifecycle,
        schedules: Schedules,
    ) -> None:
        self.store = store
        self.cards = cards
        self.invoicing = invoicing
        self.lifecycle = lifecycle
        self.schedules = schedules

    def _option(self, price: Json) -> SwitchOption:
        return SwitchOption(dict(price), self.invoicing.label(price))

    @staticmethod
    def _updatable(feature: Json, subscription: Json) -> bool:
        if not feature["enabled"] or "price" not in feature["default_allowed_updates"]:
            return False
        if subscription["status"] not in ("active", "trialing"):
            return False
        if subscription["cancel_at"] is not None or subscription["pause_collection"]:
            return False
        items = subscription["items"]["data"]
        if subscription["schedule"] is not None or len(items) != 1:
            return False
        return any(
            entry["product"] == items[0]["price"]["product"] for entry in feature["products"]
        )

    def options(self, configuration: Json, subscription: Json) -> list[SwitchOption]:
        """The prices the subscription may switch to; none when it cannot switch."""
        feature = configuration["features"]["subscription_update"]
        if not self._updatable(feature, subscription):
            return []
        current = subscription["items"]["data"][0]["price"]["id"]
        found = []
        for entry in feature["products"]:
            for price_id in entry["prices"]:
                price = self.store.prices.get(price_id)
                if (
                    price is not None
                    and price_id != current
                    and price["active"]
                    and price["recurring"] is not None
                    and price["currency"] == subscription["currency"]
                ):
                    found.append(self._option(price))
        return found

    def pending(self, subscription: Json) -> tuple[SwitchOption, int] | None:
        """The price a schedule will move the subscription to, and when."""
        schedule = self.store.subscription_schedules.get(subscription["schedule"] or "")
        if schedule is None or schedule["status"] != "active":
            return None
        for phase in schedule["phases"]:
            if phase["start_date"] > schedule["current_phase"]["start_date"]:
                price = self.store.prices[phase["items"][0]["price"]]
                return self._option(price), int(phase["start_date"])
        return None

    def _chosen(self, configuration: Json, subscription: Json, price_id: str) -> SwitchOption:
        options = self.options(configuration, subscription)
        if not options:
            raise PageError("This subscription cannot change plan here.", 409)
        for option in options:
            if option.price["id"] == price_id:
                return option
        raise PageError("This plan is not offered here.", 400)

    def _timing(self, feature: Json, subscription: Json, new: Json) -> str:
        if subscription["status"] == "trialing":
            return (
                IN_TRIAL if feature["trial_update_behavior"] == "continue_trial" else ENDING_TRIAL
            )
        item = subscription["items"]["data"][0]
        old, quantity = item["price"], item["quantity"]
        conditions = {c["type"] for c in feature["schedule_at_period_end"]["conditions"]}
        if "decreasing_item_amount" in conditions and _amount(new, quantity) < _amount(
            old, quantity
        ):
            return AT_PERIOD_END
        if "shortening_interval" in conditions and _length(new) < _length(old):
            return AT_PERIOD_END
        return NOW

    @staticmethod
    def _proration(feature: Json, at: int) -> Proration:
        return Proration(
            behavior=feature["proration_behavior"],
            date=at,
            billing_cycle_anchor="now" if feature["billing_cycle_anchor"] == "now" else None,
            payment_behavior="error_if_incomplete",
        )

    def quote(
        self, configuration: Json, subscription: Json, price_id: str, now: int
    ) -> SwitchQuote:
        """What switching to ``price_id`` would do now; nothing is stored."""
        feature = configuration["features"]["subscription_update"]
        new = self._chosen(configuration, subscription, price_id)
        current = self._option(subscription["items"]["data"][0]["price"])
        timing = self._timing(feature, subscription, new.price)
        if timing == AT_PERIOD_END:
            end = current_period_end(subscription)
            return SwitchQuote(current, new, timing, end, now, next_at=end)
        after = copy.deepcopy(subscription)
        change = ItemChange(after["items"]["data"][0], new.price, None)
        if timing == ENDING_TRIAL:
            invoice = self._end_trial(after, change, now, preview=True)
            return SwitchQuote(current, new, timing, now, now, invoice_now=invoice)
        proration = self._proration(feature, now) if timing == NOW else Proration("none")
        try:
            invoice = self.lifecycle.plans.preview(after, [change], proration, now)
        except StripeError as error:
            raise PageError(error.message, 409) from None
        if invoice["billing_reason"] == "subscription_update":
            return SwitchQuote(current, new, timing, now, now, invoice_now=invoice)
        next_at = int(invoice["created"])
        return SwitchQuote(current, new, timing, now, now, next_invoice=invoice, next_at=next_at)

    def apply(
        self, configuration: Json, subscription: Json, price_id: str, proration_date: int, now: int
    ) -> str:
        """Make the switch the confirmation page offered; returns its timing."""
        feature = configuration["features"]["subscription_update"]
        new = self._chosen(configuration, subscription, price_id)
        if not now - QUOTE_LIFETIME <= proration_date <= now:
            raise PageError("This offer has expired: choose the plan again.", 409)
        timing = self._timing(feature, subscription, new.price)
        if timing == AT_PERIOD_END:
            self._schedule(subscription, new.price, now)
            return timing
        change = ItemChange(subscription["items"]["data"][0], new.price, None)
        if timing == ENDING_TRIAL:
            self._end_trial(subscription, change, now, preview=False)
            return timing
        proration = self._proration(feature, proration_date) if timing == NOW else Proration("none")
        try:
            self.lifecycle.update(
                subscription,
                now=now,
                change=SubscriptionChange(items=[change], proration=proration),
            )
        except StripeError as error:
            if error.code == "card_declined":
                raise PageError(DECLINED_MESSAGE, 402) from None
            raise PageError(error.message, 409) from None
        return timing

    def _schedule(self, subscription: Json, price: Json, now: int) -> None:
        """The current price until the period ends, then ``price``: a schedule."""
        item = subscription["items"]["data"][0]
        schedule = self.schedules.from_subscription(subscription, {}, now)
        phases = [
            PhaseRequest(
                items=[{"price": item["price"], "quantity": item["quantity"]}],
                start_date=None,
                end_date=current_period_end(subscription),
                duration=None,
                proration_behavior="none",
            ),
            PhaseRequest(
                items=[{"price": price, "quantity": item["quantity"]}],
                start_date=None,
                end_date=None,
                duration=None,
                proration_behavior="none",
            ),
        ]
        self.schedules.set_phases(schedule, phases, "release", now)
        self.store.record_event("subscription_schedule.updated", schedule, created=now)

    def _end_trial(
        self, subscription: Json, change: ItemChange, now: int, *, preview: bool
    ) -> Json:
        """Switch and end the trial now: a new period of the new price, billed at once.
        With ``preview``, ``subscription`` is a copy and the invoice is not stored."""
        card = self.cards.card_for(subscription)
        if card is None:
            raise PageError("Add a card first: the new plan is charged when the trial ends.", 402)
        if card.would_decline_now():
            raise PageError(DECLINED_MESSAGE, 402)
        outbox = Outbox()
        with recording_update(subscription, outbox):
            change.apply()
            recurring = change.item["price"]["recurring"]
            cycle = Cycle(now, recurring["interval"], recurring["interval_count"])
            subscription["trial_end"] = subscription["billing_cycle_anchor"] = now
            for item in subscription["items"]["data"]:
                item["current_period_start"], item["current_period_end"] = now, cycle.end_of(1)
            pending = self.store.pending_items.get(subscription["id"], [])
            if preview:
                return self.invoicing.draft(
                    subscription,
                    now=now,
                    reason="subscription_update",
                    period=(now, now),
                    items=pending,
                    invoice_id=new_id("upcoming_in_"),
                )
            self.store.cycles[subscription["id"]] = cycle
            subscription["status"] = "active"
            invoice = self.invoicing.create(
                subscription,
                now=now,
                reason="subscription_update",
                period=(now, now),
                free=False,
                outbox=outbox,
                items=self.store.pending_items.pop(subscription["id"], []),
            )
            self.invoicing.finalize(invoice, now, outbox)
            if not self.invoicing.attempt(invoice, card, now, outbox, retry=True):
                subscription["status"] = "past_due"
        outbox.send(self.store, now)
        return invoice
