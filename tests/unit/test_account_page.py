"""The account page's words: never a raw provider status, never an ISO date."""

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from application.use_cases.get_account import AccountView, DateMeaning, KeyDate, PendingPlan
from domain.billing import Invoice, InvoiceStatus
from domain.catalog import Interval, Plan, PlanPrice
from domain.plan_change import Discount
from domain.subscription import SubscriptionStatus
from entrypoints.flask_app.account_page import AccountPage, Primary, discount_text

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


@pytest.mark.parametrize(
    ("brand", "shown"),
    [
        ("visa", "Visa"),
        ("amex", "American Express"),
        ("cartes_bancaires", "Cartes Bancaires"),
        ("unknown", "Card"),
        ("a_brand_from_later", "A Brand From Later"),
    ],
)
def test_a_card_reads_as_its_brand_and_last_four(brand: str, shown: str) -> None:
    from domain.billing import PaymentCard
    from entrypoints.flask_app.account_page import card_text

    assert card_text(PaymentCard(brand, "4242", 12, 2034)) == f"{shown} ending in 4242"


@pytest.mark.parametrize("status", list(InvoiceStatus))
@pytest.mark.parametrize("failed", [False, True])
def test_every_invoice_status_reads_as_words(status: InvoiceStatus, failed: bool) -> None:
    from entrypoints.flask_app.account_page import invoice_line

    if failed and status is not InvoiceStatus.OPEN:
        return
    invoice = Invoice("in_1", MOMENT, 1200, "usd", status, "https://pay.example/i/1", failed)
    line = invoice_line(invoice)
    assert line.status_text != status.value  # never as Stripe says it
    assert line.status_text[0].isupper() and "_" not in line.status_text
    assert (line.date_text, line.amount_text) == ("30 December 2026", "$12.00")
    assert line.link_label == ("Pay" if status is InvoiceStatus.OPEN else "View")
    assert (line.status_text == "Payment failed") is failed


def a_view(**changes: object) -> AccountView:
    base = AccountView(
        email="ann@example.com",
        has_premium=True,
        has_billing_account=True,
        status=SubscriptionStatus.ACTIVE,
        subscription_id="sub_1",
        past_due=False,
        can_subscribe=False,
        key_date=KeyDate(DateMeaning.RENEWS, MOMENT),
        can_cancel=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "primary", "portal_label"),
    [
        ({}, Primary.MANAGE, "Manage billing"),
        ({"can_cancel": False, "can_resume": True}, Primary.RESUME, "Manage billing"),
        ({"status": SubscriptionStatus.PAST_DUE, "past_due": True}, Primary.FIX_CARD, "Fix card"),
        (
            {"status": SubscriptionStatus.PAST_DUE, "can_cancel": False, "can_resume": True},
            Primary.FIX_CARD,
            "Fix card",
        ),
        ({"status": SubscriptionStatus.UNPAID}, Primary.FIX_CARD, "Fix card"),
        (
            {"status": SubscriptionStatus.CANCELED, "can_cancel": False, "can_subscribe": True},
            Primary.SUBSCRIBE,
            "Manage billing",
        ),
        (
            {"status": None, "has_billing_account": False, "can_subscribe": True},
            Primary.SUBSCRIBE,
            "Manage billing",
        ),
    ],
)
def test_one_action_is_primary_the_one_the_reader_most_likely_came_for(
    changes: dict[str, object], primary: Primary, portal_label: str
) -> None:
    page = AccountPage.of(a_view(**changes))
    assert page.primary is primary
    assert page.portal_label == portal_label


def test_a_card_and_invoices_the_provider_could_not_give_leave_a_note() -> None:
    page = AccountPage.of(a_view(billing_unknown=True))
    assert page.billing_note is not None and "could not be loaded" in page.billing_note
    assert page.card_text is None and page.invoices == ()
    assert AccountPage.of(a_view()).billing_note is None
