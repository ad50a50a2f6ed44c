"""Provider-neutral description of what the payment provider told us."""

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from domain.subscription import Subscription, is_reference

_CURRENCY = re.compile(r"[a-z]{3}")
# https (Stripe's pages are), or http on this machine's loopback only (the emulator's);
# nothing a link could be broken by (no quote, <, >, space).
_WEB_PAGE = re.compile(
    r"(https://[A-Za-z0-9.-]+|http://(localhost|127(\.[0-9]{1,3}){3}))(:[0-9]{1,5})?(/[!#-;=?-~]*)?"
)
_MAX_NUMBER = 64
_MAX_URL = 2000


class BillingEventKind(enum.StrEnum):
    CHECKOUT_COMPLETED = "checkout_completed"
    SUBSCRIPTION_CHANGED = "subscription_changed"
    SUBSCRIPTION_ENDED = "subscription_ended"
    INVOICE_PAID = "invoice_paid"
    PAYMENT_FAILED = "payment_failed"
    TRIAL_WILL_END = "trial_will_end"  # a notice, days before; the state does not change
    UNHANDLED = "unhandled"


@dataclass(frozen=True)
class BillingEvent:
    """One event: who it is about, when it happened, and the subscription as it then was.

    `snapshot` is set when the event carries the subscription itself; for checkout and
    invoice events only `subscription_id` is known and the current object is fetched.
    `payload` is the provider's raw event, kept so the event can be replayed.
    """

    id: str
    kind: BillingEventKind
    provider_type: str
    occurred_at: datetime
    livemode: bool = False
    user_ref: str | None = None
    customer_id: str | None = None
    subscription_id: str | None = None
    snapshot: Subscription | None = None
    payload: str = ""
    # Invoice events: the invoice, what it asks for and what was paid (minor units of
    # `currency`), the service period it bills, its number and the provider's page for
    # it (to see, download or pay it). Only what the provider said plainly; None else.
    invoice_id: str | None = None
    amount_due: int | None = None
    currency: str | None = None
    amount_paid: int | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    invoice_number: str | None = None
    invoice_url: str | None = None

    def __post_init__(self) -> None:
        names = ("id", "provider_type", "user_ref", "customer_id", "subscription_id", "invoice_id")
        for name in names:
            value = getattr(self, name)
            if value is not None and not is_reference(value):
                raise ValueError(f"{name} is not an identifier a provider would send")
        for name in ("amount_due", "amount_paid"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{name} is a whole number of minor units")
        if self.currency is not None and not _CURRENCY.fullmatch(self.currency):
            raise ValueError("currency is a three-letter code")
        if (self.period_start is None) != (self.period_end is None):
            raise ValueError("an invoice's period has a start and an end")
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValueError("an invoice's period ends after it starts")
        if self.invoice_number is not None and not is_invoice_number(self.invoice_number):
            raise ValueError("invoice_number is not an invoice number a provider would send")
        if self.invoice_url is not None and not is_web_page(self.invoice_url):
            raise ValueError("invoice_url is not a web page's address")


def is_invoice_number(value: object) -> bool:
    """A number a person can read on an invoice ("9A1B2C3D-0001"): short, printable."""
    return isinstance(value, str) and 0 < len(value) <= _MAX_NUMBER and value.isprintable()


def is_web_page(value: object) -> bool:
    """An https address with a host and nothing a link could be broken by (an email
    shows it as a link); plain http only for a loopback host (a local emulator's page),
    never across a network."""
    return (
        isinstance(value, str) and len(value) <= _MAX_URL and _WEB_PAGE.fullmatch(value) is not None
    )


@dataclass(frozen=True)
class CheckoutSession:
    """A checkout as the provider reports it, and when (`as_of`, by the provider's clock)."""

    id: str
    user_ref: str | None
    customer_id: str | None
    subscription_id: str | None
    paid: bool
    as_of: datetime | None = None
