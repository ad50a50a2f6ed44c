"""Provider-neutral description of what the payment provider told us."""

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from domain.subscription import Subscription, is_reference

_CURRENCY = re.compile(r"[a-z]{3}")


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
    # Invoice events: the invoice, and what it asks for (minor units of `currency`).
    invoice_id: str | None = None
    amount_due: int | None = None
    currency: str | None = None

    def __post_init__(self) -> None:
        names = ("id", "provider_type", "user_ref", "customer_id", "subscription_id", "invoice_id")
        for name in names:
            value = getattr(self, name)
            if value is not None and not is_reference(value):
                raise ValueError(f"{name} is not an identifier a provider would send")
        if self.amount_due is not None and (
            isinstance(self.amount_due, bool) or not isinstance(self.amount_due, int)
        ):
            raise ValueError("amount_due is a whole number of minor units")
        if self.currency is not None and not _CURRENCY.fullmatch(self.currency):
            raise ValueError("currency is a three-letter code")


@dataclass(frozen=True)
class CheckoutSession:
    """A checkout as the provider reports it, and when (`as_of`, by the provider's clock)."""

    id: str
    user_ref: str | None
    customer_id: str | None
    subscription_id: str | None
    paid: bool
    as_of: datetime | None = None
