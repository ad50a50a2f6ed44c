"""The fake provider's invoice arithmetic for a change of price, as Stripe's classic
billing mode does it: prorated by the second, a discount on the positive lines, the
customer's credit balance used first and a negative total credited to it."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.plan_change import Discount

YEAR = timedelta(days=365)


@dataclass(frozen=True)
class FakeInvoice:
    lines: tuple[int, ...]  # amounts, credits negative
    discount: int
    total: int
    amount_due: int
    balance_after: int  # the customer's balance once finalized (negative: a credit)
    renews_at: datetime


def share(amount: int, at: datetime, start: datetime, end: datetime) -> int:
    """`amount` for the time from `at` to `end` of the period `start`..`end`."""
    whole = (end - start).total_seconds()
    return round(amount * (end - at).total_seconds() / whole) if whole > 0 else 0


def change_invoice(
    *,
    old_amount: int,
    new_amount: int,
    new_cycle: timedelta | None,
    at: datetime,
    now: datetime,
    start: datetime,
    end: datetime,
    discount: Discount | None,
    balance: int,
) -> FakeInvoice:
    """The invoice of a price change billed now: a credit for the old price's unused time,
    and the new price's remaining time, or its whole new period (`new_cycle`: the billing
    interval changes, a new period starts now)."""
    credit = -share(old_amount, at, start, end)
    if new_cycle is None:
        lines, renews_at = (credit, share(new_amount, at, start, end)), end
    else:
        lines, renews_at = (credit, new_amount), now + new_cycle
    base = sum(line for line in lines if line > 0)
    taken = min(discount_amount(discount, base), base) if discount else 0
    total = sum(lines) - taken
    after = total + balance
    return FakeInvoice(lines, taken, total, max(0, after), min(0, after), renews_at)


def discount_amount(discount: Discount, base: int) -> int:
    if discount.percent_off is not None:
        return round(base * discount.percent_off / 100)
    return discount.amount_off or 0
