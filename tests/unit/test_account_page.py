"""The account page's words: never a raw provider status, never an ISO date."""

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from application.use_cases.get_account import AccountView, DateMeaning, KeyDate, PendingPlan
from domain.catalog import Interval, Plan, PlanPrice
from domain.plan_change import Discount
from domain.subscription import SubscriptionStatus
from entrypoints.flask_app.account_page import AccountPage, discount_text

MOMENT = datetime(2026, 12, 30, 9, 15, tzinfo=UTC)


@pytest.mark.parametrize("status", list(SubscriptionStatus))
@pytest.mark.parametrize("meaning", [*DateMeaning, None])
@pytest.mark.parametrize("ending", [False, True])
def test_every_status_and_date_reads_as_words(
    status: SubscriptionStatus, meaning: DateMeaning | None, ending: bool
) -> None:
    view = AccountView(
        email="ann@example.com",
        has_premium=True,
        has_billing_account=True,
        status=status,
        subscription_id="sub_1",
        past_due=status is SubscriptionStatus.PAST_DUE,
        can_subscribe=False,
        key_date=KeyDate(meaning, MOMENT) if meaning else None,
        can_resume=ending and status.is_terminal is False,
    )
    page = AccountPage.of(view)
    shown = " ".join(str(v) for v in (page.status_label, page.status_text, page.premium_text))
    raw = {status.value, status.value.replace("_", " ")}
    assert page.status_label not in raw and page.status_text not in raw  # never as Stripe says it
    assert "_" not in shown
    assert not re.search(r"\d{4}-\d{2}-\d{2}", shown)
    assert page.status_label[0].isupper() and (page.status_text or "x")[0].isupper()
    if meaning in (None, DateMeaning.PERIOD_ENDS):
        assert "2026" not in shown  # no date that means nothing to the reader
    else:
        assert page.status_text is not None and page.status_text.endswith("30 December 2026")


@pytest.mark.parametrize(
    ("meaning", "status", "ending", "sentence", "badge"),
    [
        (DateMeaning.RENEWS, SubscriptionStatus.ACTIVE, False, "Renews on", "Active"),
        (DateMeaning.ACCESS_ENDS, SubscriptionStatus.ACTIVE, True, "Cancels on", "Canceling"),
        (
            DateMeaning.ACCESS_UNTIL,
            SubscriptionStatus.PAST_DUE,
            False,
            "Payment failed: access until",
            "Payment failed",
        ),
        (DateMeaning.TRIAL_ENDS, SubscriptionStatus.TRIALING, False, "Trial ends on", "Trial"),
        (DateMeaning.ENDED, SubscriptionStatus.CANCELED, False, "Ended on", "Ended"),
    ],
)
def test_the_status_is_one_sentence_with_its_date(
    meaning: DateMeaning, status: SubscriptionStatus, ending: bool, sentence: str, badge: str
) -> None:
    view = AccountView(
        email="ann@example.com",
        has_premium=True,
        has_billing_account=True,
        status=status,
        subscription_id="sub_1",
        past_due=status is SubscriptionStatus.PAST_DUE,
        can_subscribe=status.is_terminal,
        key_date=KeyDate(meaning, MOMENT),
        can_resume=ending,
    )
    page = AccountPage.of(view)
    assert page.status_text == f"{sentence} 30 December 2026"
    assert page.status_label == badge


def test_a_discount_reads_as_what_it_takes_off_and_until_when() -> None:
    assert (
        discount_text(Discount(code="SPRING20", percent_off=20.0, ends_at=MOMENT))
        == "20% off with code SPRING20 until 30 December 2026"
    )
    assert discount_text(Discount(name="Launch", amount_off=500, currency="usd")) == (
        "$5.00 off (Launch)"
    )
    assert discount_text(Discount(percent_off=12.5)) == "12.5% off"


def test_a_pending_downgrade_reads_as_the_plan_and_its_date_with_a_keep_button() -> None:
    basic_monthly = PlanPrice("basic_monthly", Interval.MONTH, 500, "usd", "price_b")
    basic = Plan("basic", "Basic", frozenset({"notes.basic"}), (basic_monthly,))
    view = AccountView(
        email="ann@example.com",
        has_premium=True,
        has_billing_account=True,
        status=SubscriptionStatus.ACTIVE,
        subscription_id="sub_1",
        past_due=False,
        can_subscribe=False,
        key_date=KeyDate(DateMeaning.RENEWS, MOMENT),
        plan_name="Pro",
        pending=PendingPlan(MOMENT, basic, basic_monthly),
    )
    page = AccountPage.of(view)
    assert page.pending_text == "Changes to Basic (monthly) on 30 December 2026"
    assert page.keep_label == "Keep Pro"
    unknown = AccountPage.of(replace(view, pending=None, billing_unknown=True))
    assert unknown.pending_text is None and unknown.billing_note
