"""Invoices: drafted from a subscription's items, finalized, charged, paid or closed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from . import discounts, objects
from .calendar import DAY
from .cards import PaymentMethod
from .ids import new_id
from .objects import Json
from .outbox import Outbox
from .store import Store

PAGE_PATH = "/i/"
"""Where the hosted invoice pages are served (:mod:`.invoice_page`), by token."""


def page_urls(store: Store) -> tuple[str, str]:
    """A new invoice's (``hosted_invoice_url``, ``invoice_pdf``), as Stripe sets them on
    finalization: an unguessable token, so the page needs no account."""
    page = f"{store.base_url}{PAGE_PATH}{new_id('test_')}"
    return page, f"{page}/pdf"


class Invoicing:
    """Every change to an invoice, with the events Stripe records. Callers hold ``store.lock``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def of_subscription(self, subscription_id: str) -> Iterator[Json]:
        for invoice in self.store.invoices.values():
            if invoice["parent"]["subscription_details"]["subscription"] == subscription_id:
                yield invoice

    def open_ones(self, subscription_id: str) -> list[Json]:
        return [i for i in self.of_subscription(subscription_id) if i["status"] == "open"]

    def draft(
        self,
        subscription: Json,
        *,
        now: int,
        reason: str,
        period: tuple[int, int],
        free: bool = False,
        items: Iterable[Json] = (),
        item_periods: tuple[int, int] | None = None,
        bill_items: bool = True,
        invoice_id: str | None = None,
    ) -> Json:
        """An invoice for the subscription's items (unless not ``bill_items``), over
        ``item_periods`` (default: their current period), and for the pending
        ``items`` (prorations); not stored (:meth:`create` stores it)."""
        customer = self.store.customers[subscription["customer"]]
        invoice_id = invoice_id or new_id("in_")
        lines = []
        for pending in items:
            lines.append(
                objects.invoice_line(
                    invoice_id=invoice_id,
                    subscription_id=subscription["id"],
                    item=pending["item"],
                    period_start=pending["period"][0],
                    period_end=pending["period"][1],
                    amount=pending["amount"],
                    description=pending["description"],
                    invoice_item=pending["id"],
                )
            )
        for item in subscription["items"]["data"] if bill_items else []:
            price = item["price"]
            amount = 0 if free else price["unit_amount"] * item["quantity"]
            start, end = item_periods or (item["current_period_start"], item["current_period_end"])
            lines.append(
                objects.invoice_line(
                    invoice_id=invoice_id,
                    subscription_id=subscription["id"],
                    item=item,
                    period_start=start,
                    period_end=end,
                    amount=amount,
                    description=f"{item['quantity']} \u00d7 {self.label(price)}"
                    + (" (trial)" if free else ""),
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
            period_start=period[0],
            period_end=period[1],
            default_payment_method=subscription["default_payment_method"],
        )
        discounts.apply(self.store, invoice, subscription, now)
        self.apply_balance(invoice, customer["balance"])
        return invoice

    def label(self, price: Json) -> str:
        """What a line calls a price: its product's name."""
        product = self.store.products.get(price["product"])
        return str(product["name"]) if product else str(price["product"])

    @staticmethod
    def apply_balance(invoice: Json, balance: int) -> int:
        """The customer's credit (a negative balance) pays part of the invoice, and a
        negative total is credited to it, as Stripe does; returns the balance after."""
        after = int(invoice["total"]) + balance
        invoice["starting_balance"] = balance
        invoice["amount_due"] = invoice["amount_remaining"] = max(0, after)
        return min(0, after)

    def create(
        self,
        subscription: Json,
        *,
        now: int,
        reason: str,
        period: tuple[int, int],
        free: bool,
        outbox: Outbox,
        items: Iterable[Json] = (),
        bill_items: bool = True,
    ) -> Json:
        """A stored draft invoice (:meth:`draft`); it becomes the ``latest_invoice``."""
        invoice = self.draft(
            subscription,
            now=now,
            reason=reason,
            period=period,
            free=free,
            items=items,
            bill_items=bill_items,
        )
        self.store.invoices[invoice["id"]] = invoice
        subscription["latest_invoice"] = invoice["id"]
        discounts.use_once(self.store, subscription, invoice)
        outbox.add("invoice.created", invoice)
        return invoice

    def finalize(self, invoice: Json, now: int, outbox: Outbox) -> None:
        """Number the invoice, open it for payment and give it its hosted page and PDF."""
        customer = self.store.customers[invoice["customer"]]
        sequence = customer["next_invoice_sequence"]
        customer["next_invoice_sequence"] = sequence + 1
        invoice["number"] = f"{customer['invoice_prefix']}-{sequence:04d}"
        invoice["status"] = "open"
        invoice["effective_at"] = now
        customer["balance"] = self.apply_balance(invoice, customer["balance"])
        invoice["ending_balance"] = customer["balance"]
        invoice["webhooks_delivered_at"] = now
        invoice["status_transitions"]["finalized_at"] = now
        invoice["hosted_invoice_url"], invoice["invoice_pdf"] = page_urls(self.store)
        outbox.add("invoice.finalized", invoice)

    def attempt(
        self, invoice: Json, method: PaymentMethod | None, now: int, outbox: Outbox, *, retry: bool
    ) -> bool:
        """Charge an open invoice once; schedule the next retry when it fails (``retry``)."""
        invoice["attempt_count"] += 1
        invoice["attempted"] = True
        if method is not None:
            invoice["default_payment_method"] = method.id
        paid = invoice["amount_due"] == 0 or (method is not None and method.charge())
        if paid:
            self.mark_paid(invoice, now, outbox)
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

    def mark_paid(self, invoice: Json, now: int, outbox: Outbox) -> None:
        invoice["status"] = "paid"
        invoice["amount_paid"] = invoice["amount_due"]
        invoice["amount_remaining"] = 0
        invoice["next_payment_attempt"] = None
        invoice["status_transitions"]["paid_at"] = now
        self.store.first_failure.pop(invoice["id"], None)
        outbox.add("invoice.paid", invoice)
        outbox.add("invoice.payment_succeeded", invoice)

    def close(self, invoice: Json, status: str, now: int, outbox: Outbox) -> None:
        """Void an invoice (``void``) or mark it ``uncollectible``."""
        invoice["status"] = status
        invoice["next_payment_attempt"] = None
        invoice["auto_advance"] = False
        if status == "void":
            invoice["status_transitions"]["voided_at"] = now
            outbox.add("invoice.voided", invoice)
        else:
            invoice["status_transitions"]["marked_uncollectible_at"] = now
            outbox.add("invoice.marked_uncollectible", invoice)

    def stop_retrying(self, subscription_id: str) -> None:
        """No more payment attempts on the subscription's open invoices (it ended)."""
        for invoice in self.open_ones(subscription_id):
            invoice["next_payment_attempt"] = None
