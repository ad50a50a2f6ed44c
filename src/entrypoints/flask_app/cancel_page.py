"""Cancelling and resuming from the account page, in words: the confirmation page, and
what the account page says after each."""

from dataclasses import dataclass

from application.use_cases.get_account import AccountView
from domain.subscription import Subscription, SubscriptionStatus
from entrypoints.flask_app.account_page import long_date
from entrypoints.flask_app.pricing_page import price_name


@dataclass(frozen=True)
class CancelPage:
    """ "Cancel your subscription?": what happens, and when."""

    plan_name: str
    lines: tuple[str, ...]

    @classmethod
    def of(cls, view: AccountView) -> "CancelPage":
        plan = view.plan_name or "your plan"
        ends = view.cancel_takes_effect
        lines = []
        if ends is None:
            lines.append("Your subscription ends when its current period does.")
        elif view.status is SubscriptionStatus.TRIALING:
            lines.append(
                f"Your free trial goes on until {long_date(ends)}. Then the subscription "
                "ends, and nothing is charged."
            )
        else:
            lines.append(
                f"You keep {plan} until {long_date(ends)}. Then the subscription ends, and "
                "nothing more is charged."
            )
        pending = view.pending
        if pending is not None:
            target = (
                f" to {price_name(pending.plan, pending.price)}"
                if pending.plan and pending.price
                else ""
            )
            lines.append(f"The change{target} planned for {long_date(pending.at)} is dropped.")
        lines.append("Until then you can change your mind: Resume is on your account page.")
        return cls(plan, tuple(lines))


def canceled_message(subscription: Subscription) -> str:
    ends = subscription.ends_at
    if ends is None:
        return "Your subscription is canceled."
    return (
        f"Your subscription is canceled: it ends on {long_date(ends)}, and you keep "
        "access until then."
    )


def resumed_message(subscription: Subscription) -> str:
    end = subscription.current_period_end
    if end is None:
        return "Your subscription goes on."
    if subscription.status is SubscriptionStatus.TRIALING:
        return f"Your subscription goes on: your trial ends on {long_date(end)}."
    return f"Your subscription goes on: it renews on {long_date(end)}."
