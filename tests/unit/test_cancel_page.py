"""Cancelling and resuming in words: until when access lasts, what is dropped."""

from dataclasses import replace
from datetime import UTC, datetime

from application.use_cases.get_account import AccountView, PendingPlan
from domain.catalog import Interval, Plan, PlanPrice
from domain.subscription import SubscriptionStatus
from entrypoints.flask_app.cancel_page import CancelPage, canceled_message, resumed_message
from tests.unit.builders import a_subscription

END = datetime(2026, 12, 30, 9, 15, tzinfo=UTC)
VIEW = AccountView(
    email="ann@example.com",
    has_premium=True,
    has_billing_account=True,
    status=SubscriptionStatus.ACTIVE,
    subscription_id="sub_1",
    past_due=False,
    can_subscribe=False,
    key_date=None,
    plan_name="Pro",
    can_cancel=True,
    cancel_takes_effect=END,
)


def test_the_confirmation_says_until_when_the_plan_is_kept() -> None:
    page = CancelPage.of(VIEW)
    assert page.lines[0] == (
        "You keep Pro until 30 December 2026. Then the subscription ends, and nothing more "
        "is charged."
    )
    assert page.plan_name == "Pro"


def test_in_a_trial_it_says_nothing_is_charged_and_a_pending_change_is_dropped() -> None:
    monthly = PlanPrice("basic_monthly", Interval.MONTH, 500, "usd", "price_b")
    basic = Plan("basic", "Basic", frozenset({"notes.basic"}), (monthly,))
    view = replace(
        VIEW, status=SubscriptionStatus.TRIALING, pending=PendingPlan(END, basic, monthly)
    )
    lines = CancelPage.of(view).lines
    assert lines[0].startswith("Your free trial goes on until 30 December 2026.")
    assert "nothing is charged" in lines[0]
    assert lines[1] == "The change to Basic (monthly) planned for 30 December 2026 is dropped."


def test_after_cancelling_and_resuming_the_page_says_what_follows() -> None:
    canceling = a_subscription(cancel_at_period_end=True, current_period_end=END)
    assert canceled_message(canceling) == (
        "Your subscription is canceled: it ends on 30 December 2026, and you keep access "
        "until then."
    )
    assert resumed_message(a_subscription(current_period_end=END)) == (
        "Your subscription goes on: it renews on 30 December 2026."
    )
    trial = a_subscription(status=SubscriptionStatus.TRIALING, current_period_end=END)
    assert (
        resumed_message(trial) == "Your subscription goes on: your trial ends on 30 December 2026."
    )
