"""The plan-change preview page's words: what is charged or credited now, and from when
the new price is paid. Amounts are the provider's (its invoice preview, the catalog's
prices as resolved at start-up)."""

from dataclasses import dataclass

from application.use_cases.change_plan import ChangePlanResult
from application.use_cases.preview_plan_change import PlanChangeQuote
from domain.plan_change import ChangeKind
from entrypoints.flask_app.account_page import discount_text, long_date
from entrypoints.flask_app.pricing_page import money, per_interval, price_name


@dataclass(frozen=True)
class PlanChangePage:
    title: str  # "Change to Pro (yearly)"
    lookup_key: str
    headline: str  # "You pay $58.06 now" / "You pay nothing now"
    details: tuple[str, ...]
    confirm_label: str
    proration_date: int  # sent back with the confirmation (seconds since the epoch)

    @classmethod
    def of(cls, quote: PlanChangeQuote) -> "PlanChangePage":
        change = quote.change
        target = price_name(change.target_plan, change.target_price)
        then = per_interval(change.target_price)
        current = change.current_plan.name
        details: list[str] = []
        if change.kind is ChangeKind.UPGRADE and quote.preview is not None:
            preview = quote.preview
            due = money(preview.due_now, preview.currency)
            headline = f"You pay {due} now"
            if preview.credit:
                details.append(
                    f"The unused time on {current} is taken off: "
                    f"{money(preview.credit, preview.currency)}."
                )
            if preview.discount:
                details.append(
                    f"Your discount takes off {money(preview.discount, preview.currency)}."
                )
            if preview.to_balance:
                details.append(
                    f"{money(preview.to_balance, preview.currency)} stays in your favour "
                    "and is taken off your next invoices."
                )
            details.append(f"{change.target_plan.name} starts now.")
            if preview.renews_at is not None:
                details.append(f"From {long_date(preview.renews_at)} you pay {then}.")
            label = f"Confirm and pay {due}"
        elif change.kind is ChangeKind.DOWNGRADE:
            headline = "You pay nothing now"
            details.append(
                f"From {long_date(change.takes_effect)} you pay {then}; "
                f"you keep {current} until then."
            )
            label = f"Change to {target} on {long_date(change.takes_effect)}"
        else:
            headline = "You pay nothing now"
            ends = change.trial_ends
            details.append(f"{change.target_plan.name} starts now, in your free trial.")
            if ends is not None:
                details.append(f"When the trial ends on {long_date(ends)}, you pay {then}.")
            label = f"Change to {target}"
        if quote.discount is not None and change.kind is not ChangeKind.UPGRADE:
            details.append(f"Your discount stays: {discount_text(quote.discount)}.")
        return cls(
            title=f"Change to {target}",
            lookup_key=change.target_price.lookup_key,
            headline=headline,
            details=tuple(details),
            confirm_label=label,
            proration_date=int(quote.proration_date.timestamp()),
        )


def done_message(result: ChangePlanResult) -> str:
    """What the account page says after a confirmation."""
    name = price_name(result.plan, result.price)
    if result.kind is None:
        return f"You are on {name}."
    if result.kind is ChangeKind.DOWNGRADE:
        return f"You change to {name} on {long_date(result.takes_effect)}."
    return f"You are now on {name}."
