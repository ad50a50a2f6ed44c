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
@pytest.mark.parametrize("meaning", list(DateMeaning))
def test_every_status_and_date_reads_as_words(
    status: SubscriptionStatus, meaning: DateMeaning
) -> None:
    view = AccountView(
        email="ann@example.com",
        has_premium=True,
        has_billing_account=True,
        status=status,
        subscription_id="sub_1",
        past_due=status is SubscriptionStatus.PAST_DUE,
        can_subscribe=False,
        key_date=KeyDate(meaning, MOMENT),
    )
    page = AccountPage.of(view)
    shown = " ".join(
        str(v) for v in (page.status_label, page.date_label, page.date_text, page.premium_text)
    )
    assert page.status_label not in (status.value, status.value.replace("_", " "))
    assert "_" not in shown
    assert not re.search(r"\d{4}-\d{2}-\d{2}", shown)
    assert page.date_text == "30 December 2026"
    assert page.status_label[0].isupper()


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
