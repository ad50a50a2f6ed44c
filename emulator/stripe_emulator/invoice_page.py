"""Hosted invoice pages: ``hosted_invoice_url`` (view and pay) and ``invoice_pdf``.

Stripe gives every finalized invoice a page its customer can open without an
account, to see and pay it, and a PDF. The emulator serves both from an unguessable
token in the URL, set when the invoice is finalized (drafts have neither, as on
Stripe). The URLs hold the emulator's address: they stay valid while it is served
there. The methods take ``store.lock`` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import invoice_pdf
from .hosted_forms import CardEntry, NotFound, PageError, checked_card
from .invoicing import PAGE_PATH, Invoicing
from .lifecycle import SubscriptionLifecycle
from .objects import Json
from .outbox import Outbox, recording_update
from .payment_methods import PaymentMethods
from .store import Store


@dataclass(frozen=True)
class InvoiceView:
    """What the invoice page shows: copies taken under the store's lock."""

    invoice: Json
    token: str


class InvoicePages:
    """Finding an invoice by the token of its page, showing it, paying it."""

    def __init__(
        self,
        store: Store,
        cards: PaymentMethods,
        invoicing: Invoicing,
        lifecycle: SubscriptionLifecycle,
    ) -> None:
        self.store = store
        self.cards = cards
        self.invoicing = invoicing
        self.lifecycle = lifecycle

    def view(self, token: str) -> InvoiceView:
        with self.store.lock:
            return InvoiceView(dict(self._invoice(token)), token)

    def pdf(self, token: str) -> tuple[str, bytes]:
        """The PDF's file name and content."""
        with self.store.lock:
            invoice = self._invoice(token)
            name = f"Invoice-{invoice['number']}.pdf"
            return name, invoice_pdf.render(invoice_pdf.invoice_lines(invoice))

    def pay(self, token: str, card: CardEntry) -> None:
        """Pay an open invoice with a card typed on its page.

        The card is saved on the customer; it becomes the subscription's default only
        with ``payment_settings.save_default_payment_method=on_subscription``, as on
        Stripe. A subscription that owed only this invoice is ``active`` again.
        """
        with self.store.lock:
            invoice = self._invoice(token)
            if invoice["status"] != "open":
                raise PageError(f"This invoice is {invoice['status']}: nothing to pay.", 409)
            customer = self.store.customers[invoice["customer"]]
            now = self.store.now(customer["test_clock"])
            method = self.cards.add_card(customer["id"], checked_card(card, now))
            subscription_id = invoice["parent"]["subscription_details"]["subscription"]
            subscription = self.store.subscriptions[subscription_id]
            outbox = Outbox()
            with recording_update(subscription, outbox):
                if self.invoicing.attempt(invoice, method, now, outbox, retry=True):
                    self.lifecycle.reactivate_if_settled(subscription)
                    settings = subscription["payment_settings"]
                    if settings["save_default_payment_method"] == "on_subscription":
                        subscription["default_payment_method"] = method.id
            outbox.send(self.store, now)
            if invoice["status"] != "paid":
                raise PageError("Your card was declined.", 402)

    def _invoice(self, token: str) -> Json:
        suffix = f"{PAGE_PATH}{token}"
        for invoice in self.store.invoices.values():
            url = invoice["hosted_invoice_url"]
            if url is not None and url.endswith(suffix):
                return invoice
        raise NotFound("This invoice does not exist.")
