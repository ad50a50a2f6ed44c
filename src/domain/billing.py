"""What the payment provider bills a customer and charges them with: their invoices and
the card on file, as the account page shows them. Read from the provider when shown;
nothing of it is stored."""

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from domain.subscription import is_reference

_CURRENCY = re.compile(r"[a-z]{3}")


class InvoiceStatus(enum.StrEnum):
    """The provider's invoice statuses (Stripe's names): never shown as they are."""

    DRAFT = "draft"  # still changing: not shown
    OPEN = "open"  # finalized, not paid yet
    PAID = "paid"
    UNCOLLECTIBLE = "uncollectible"  # given up on after the retries
    VOID = "void"  # canceled: nothing is owed


@dataclass(frozen=True)
class Invoice:
    """One of the customer's invoices: when, how much (minor units of `currency`; a
    negative total is a credit), its status, and the provider's page for it (to see or
    download it, and to pay it while open). `payment_failed`: open, and a charge was
    tried and declined."""

    id: str
    created: datetime
    total: int
    currency: str
    status: InvoiceStatus
    url: str | None = None
    payment_failed: bool = False

    def __post_init__(self) -> None:
        if not is_reference(self.id):
            raise ValueError("an invoice needs an id a provider would send")
        if not _CURRENCY.fullmatch(self.currency):
            raise ValueError(f"not a currency code: {self.currency!r}")
        if self.url is not None and not self.url.startswith(("https://", "http://")):
            raise ValueError("an invoice's page is a web address")
        if self.payment_failed and self.status is not InvoiceStatus.OPEN:
            raise ValueError("only an open invoice has a failed payment pending")


@dataclass(frozen=True)
class PaymentCard:
    """The card the subscription is charged to: its brand in the provider's word
    (`visa`, `mastercard`, `amex`...), its last four digits and its expiry."""

    brand: str
    last4: str
    exp_month: int | None = None
    exp_year: int | None = None

    def __post_init__(self) -> None:
        if not (len(self.last4) == 4 and self.last4.isascii() and self.last4.isdigit()):
            raise ValueError("a card's last four are four digits")
        if self.exp_month is not None and not 1 <= self.exp_month <= 12:
            raise ValueError("a card's expiry month is 1 to 12")
