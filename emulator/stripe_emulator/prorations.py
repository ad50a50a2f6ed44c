"""Changing a subscription's prices: prorations, a reset billing cycle, invoiced now or later.

Stripe's arithmetic (classic billing mode): for each changed item, a credit for the
unused time on the old price and a charge for the remaining time on the new one,
each ``round(amount * (period_end - proration_date) / (period_end - period_start))``
by seconds. A change of interval (monthly to yearly) or ``billing_cycle_anchor=now``
starts a new period at once and invoices it now, with the credit for the old one.
Otherwise ``create_prorations`` keeps the prorations as pending invoice items for the
next invoice, ``always_invoice`` invoices them now, ``none`` makes none.

:meth:`PlanChanges.plan` computes a change without storing anything (the invoice
preview uses it); :meth:`PlanChanges.apply` makes it. Callers hold ``store.lock``.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

from .calendar import Cycle, current_period_end, current_period_start
from .errors import StripeError, card_declined, parameter_invalid
from .formatting import date
from .forms import apply_metadata
from .ids import new_id
from .invoicing import Invoicing
from .objects import Json, plan_from_price
from .outbox import Outbox
from .payment_methods import PaymentMethods
from .store import Store


@dataclass(frozen=True)
class ItemChange:
    """A new price, quantity or metadata for an existing subscription item."""

    item: Json
    price: Json | None
    quantity: int | None
    metadata: dict[str, str | None] | None = None

    def billed(self) -> bool:
        return self.price is not None or self.quantity is not None

    def apply(self) -> None:
        if self.price is not None:
            self.item["price"] = dict(self.price)
            self.item["plan"] = plan_from_price(self.price)
        if self.quantity is not None:
            self.item["quantity"] = self.quantity
        apply_metadata(self.item["metadata"], self.metadata)


@dataclass(frozen=True)
class Proration:
    """How a price change is billed (the update's or the preview's parameters)."""

    behavior: str = "create_prorations"
    date: int | None = None
    billing_cycle_anchor: str | None = None
    """``now``, ``unchanged`` or None (Stripe's automatic choice)."""
    payment_behavior: str | None = None


@dataclass
class ChangePlan:
    """What a price change does: the items billed for it and when."""

    prorations: list[Json] = field(default_factory=list)
    new_cycle: Cycle | None = None
    """Set when the billing cycle restarts now (and the new period is invoiced now)."""
    invoice_now: bool = False


class PlanChanges:
    """Price and quantity changes of a subscription's items, billed as Stripe bills them."""

    def __init__(self, store: Store, cards: PaymentMethods, invoicing: Invoicing) -> None:
        self.store = store
        self.cards = cards
        self.invoicing = invoicing

    def plan(
        self, subscription: Json, changes: list[ItemChange], proration: Proration, now: int
    ) -> ChangePlan:
        """What ``changes`` would bill, computed on the subscription as it is now."""
        billed = [change for change in changes if change.billed()]
        result = ChangePlan()
        if not billed or subscription["status"] == "trialing":
            return result
        start, end = current_period_start(subscription), current_period_end(subscription)
        at = proration.date if proration.date is not None else now
        if not start <= at <= end:
            raise parameter_invalid(
                "proration_date", "proration_date must be within the current billing period."
            )
        old = subscription["items"]["data"][0]["price"]["recurring"]
        first = next((c.price for c in billed if c.item is subscription["items"]["data"][0]), None)
        new = (first or subscription["items"]["data"][0]["price"])["recurring"]
        interval_changes = (old["interval"], old["interval_count"]) != (
            new["interval"],
            new["interval_count"],
        )
        if interval_changes and proration.billing_cycle_anchor == "unchanged":
            raise StripeError(
                "billing_cycle_anchor cannot be `unchanged` when the billing interval changes.",
                param="billing_cycle_anchor",
            )
        if interval_changes or proration.billing_cycle_anchor == "now":
            result.new_cycle = Cycle(now, new["interval"], new["interval_count"])
            result.invoice_now = True
        elif proration.behavior == "always_invoice":
            result.invoice_now = True
        if proration.behavior == "none":
            return result
        for change in billed:
            item = change.item
            after = copy.deepcopy(item)
            ItemChange(after, change.price, change.quantity).apply()
            if at == end:
                continue  # on a period boundary there is nothing to prorate
            when = date(at)
            result.prorations.append(
                self._proration(
                    item,
                    -self._share(item, at, start, end),
                    at,
                    end,
                    f"Unused time on {{}} after {when}",
                )
            )
            if result.new_cycle is None:
                result.prorations.append(
                    self._proration(
                        after,
                        self._share(after, at, start, end),
                        at,
                        end,
                        f"Remaining time on {{}} after {when}",
                    )
                )
        return result

    @staticmethod
    def _share(item: Json, at: int, start: int, end: int) -> int:
        """The item's amount for the time from ``at`` to the end of the period."""
        full = int(item["price"]["unit_amount"]) * int(item["quantity"])
        return round(full * (end - at) / (end - start)) if end > start else 0

    def _proration(self, item: Json, amount: int, start: int, end: int, text: str) -> Json:
        quantity = item["quantity"]
        label = self.invoicing.label(item["price"])
        return {
            "id": new_id("ii_"),
            "item": copy.deepcopy(item),
            "period": [start, end],
            "amount": amount,
            "description": text.format(f"{quantity} \u00d7 {label}" if quantity > 1 else label),
        }

    def apply(
        self,
        subscription: Json,
        changes: list[ItemChange],
        proration: Proration,
        now: int,
        outbox: Outbox,
    ) -> None:
        """Make the changes and bill them: pending prorations, or an invoice now."""
        plan = self.plan(subscription, changes, proration, now)
        card = self.cards.card_for(subscription)
        refuse = plan.invoice_now and proration.payment_behavior == "error_if_incomplete"
        if refuse and (card is None or card.would_decline_now()):
            raise card_declined()
        cycle = self.store.cycles[subscription["id"]]
        self.store.cycles[subscription["id"]] = self.change_prices(
            subscription, changes, plan, now, cycle
        )
        if not plan.invoice_now:
            self.store.pending_items.setdefault(subscription["id"], []).extend(plan.prorations)
            return
        items = [*self.store.pending_items.pop(subscription["id"], []), *plan.prorations]
        invoice = self.invoicing.create(
            subscription,
            now=now,
            reason="subscription_update",
            period=(now, now),
            free=False,
            outbox=outbox,
            items=items,
            bill_items=plan.new_cycle is not None,
        )
        self.invoicing.finalize(invoice, now, outbox)
        paid = self.invoicing.attempt(invoice, card, now, outbox, retry=True)
        if not paid and subscription["status"] == "active":
            subscription["status"] = "past_due"

    def change_prices(
        self,
        subscription: Json,
        changes: list[ItemChange],
        plan: ChangePlan,
        now: int,
        cycle: Cycle,
    ) -> Cycle:
        """The items' new prices (and periods, when the cycle restarts), no billing;
        returns the billing cycle that follows (``cycle`` itself, changed, or a new one)."""
        for change in changes:
            change.apply()
        recurring = subscription["items"]["data"][0]["price"]["recurring"]
        if plan.new_cycle is None:  # a trial keeps its end; later periods follow the new price
            cycle.interval, cycle.interval_count = (
                recurring["interval"],
                recurring["interval_count"],
            )
            return cycle
        subscription["billing_cycle_anchor"] = now
        for item in subscription["items"]["data"]:
            item["current_period_start"] = now
            item["current_period_end"] = plan.new_cycle.end_of(1)
        return plan.new_cycle

    def preview(
        self, subscription: Json, changes: list[ItemChange], proration: Proration, now: int
    ) -> Json:
        """The invoice the change would issue now, or else the next renewal's, with the
        change's prorations; ``subscription`` and ``changes`` are copies, nothing is stored."""
        plan = self.plan(subscription, changes, proration, now)
        cycle = self.change_prices(
            subscription,
            changes,
            plan,
            now,
            dataclasses.replace(self.store.cycles[subscription["id"]]),
        )
        items = [*self.store.pending_items.get(subscription["id"], []), *plan.prorations]
        invoice_id = new_id("upcoming_in_")
        if plan.invoice_now:
            return self.invoicing.draft(
                subscription,
                now=now,
                reason="subscription_update",
                period=(now, now),
                items=items,
                bill_items=plan.new_cycle is not None,
                invoice_id=invoice_id,
            )
        start, end = current_period_start(subscription), current_period_end(subscription)
        return self.invoicing.draft(
            subscription,
            now=end,
            reason="subscription_cycle",
            period=(start, end),
            items=items,
            item_periods=(end, cycle.end_of(cycle.periods + 1)),
            invoice_id=invoice_id,
        )
