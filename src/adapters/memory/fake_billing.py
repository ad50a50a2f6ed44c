"""The fake provider's invoices and cards, as the account page reads them: one invoice
per charge (paid) or failed renewal (open until paid), and the card each customer paid
with, by the test card it behaves as."""

from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.billing import Invoice, InvoiceStatus, PaymentCard

# How the fake's cards behave (FakeProvider.cards) -> the Stripe test card that does so.
LAST4_OF = {"pays": "4242", "first_only": "0341", "declines": "0002"}


@dataclass
class FakeInvoiceBook:
    """Every customer's invoices, oldest first."""

    invoices: dict[str, list[Invoice]] = field(default_factory=dict)

    def issue(
        self,
        customer_id: str,
        invoice_id: str,
        *,
        at: datetime,
        total: int,
        currency: str,
        paid: bool,
    ) -> Invoice:
        """An invoice finalized at `at`: paid, or open after a declined charge."""
        invoice = Invoice(
            id=invoice_id,
            created=at,
            total=total,
            currency=currency,
            status=InvoiceStatus.PAID if paid else InvoiceStatus.OPEN,
            url=f"https://invoice.fake/{invoice_id}",
            payment_failed=not paid,
        )
        self.invoices.setdefault(customer_id, []).append(invoice)
        return invoice

    def settle(self, customer_id: str) -> list[Invoice]:
        """Every open invoice of the customer paid (a card that works again); returns
        those, oldest first."""
        settled = []
        kept = []
        for invoice in self.invoices.get(customer_id, []):
            if invoice.status is InvoiceStatus.OPEN:
                invoice = replace(invoice, status=InvoiceStatus.PAID, payment_failed=False)
                settled.append(invoice)
            kept.append(invoice)
        self.invoices[customer_id] = kept
        return settled

    def number(self, customer_id: str) -> str:
        """The next invoice's number for the customer, as Stripe numbers them (a prefix
        per customer, then a sequence)."""
        prefix = customer_id.removeprefix("cus_").upper()
        return f"{prefix}-{len(self.invoices.get(customer_id, [])) + 1:04d}"

    def latest(self, customer_id: str, count: int) -> tuple[Invoice, ...]:
        return tuple(reversed(self.invoices.get(customer_id, [])))[:count]


def card_on_file(behaviour: str | None) -> PaymentCard | None:
    """The card a customer's behaviour stands for (None: no card given)."""
    last4 = LAST4_OF.get(behaviour or "")
    return PaymentCard("visa", last4, 12, 2034) if last4 else None
