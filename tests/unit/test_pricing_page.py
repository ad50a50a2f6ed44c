"""The pricing page's words and money, from a catalog as the provider resolved it."""

import pytest

from domain.catalog import Catalog, Interval, Plan, PlanPrice
from entrypoints.flask_app.pricing_page import PricingPage, chosen, money, price_label


def plan(monthly: PlanPrice | None, yearly: PlanPrice | None, **extra: object) -> Plan:
    prices = tuple(p for p in (monthly, yearly) if p)
    return Plan("pro", "Pro", frozenset({"notes.pro", "notes.custom"}), prices, **extra)  # type: ignore[arg-type]


MONTHLY = PlanPrice("pro_monthly", Interval.MONTH, 1200, "usd", "price_m")
YEARLY = PlanPrice("pro_yearly", Interval.YEAR, 12000, "usd", "price_y")


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (500, "usd", "$5.00"),
        (123456, "eur", "€1,234.56"),
        (5, "gbp", "£0.05"),
        (500, "jpy", "¥500"),
        (1250, "CHF", "CHF\u00a012.50"),
    ],
)
def test_money_is_shown_in_the_prices_currency(amount: int, currency: str, shown: str) -> None:
    assert money(amount, currency) == shown


def test_a_price_reads_per_interval() -> None:
    assert price_label(MONTHLY) == "$12.00 / month"
    assert price_label(YEARLY) == "$120.00 / year"


def test_yearly_shows_what_it_saves_against_twelve_monthly_payments() -> None:
    catalog = Catalog((plan(MONTHLY, YEARLY, trial_days=14),), from_provider=True)
    [card] = PricingPage.of(catalog).plans
    monthly, yearly = card.options
    assert (monthly.label, monthly.saving) == ("$12.00 / month", None)
    assert yearly.saving == "Save $24.00 a year against paying monthly"
    assert card.trial == "14-day free trial"
    assert "The Pro notes: from notes to drafts, deep-work routines" in card.includes
    assert "notes.custom" in card.includes  # no label: its name
    assert chosen(catalog, "pro_yearly") == (card, yearly)
    assert chosen(catalog, "pro_weekly") is None


@pytest.mark.parametrize(
    "yearly",
    [
        PlanPrice("pro_yearly", Interval.YEAR, 14400, "usd", "price_y"),  # no saving
        PlanPrice("pro_yearly", Interval.YEAR, 10000, "eur", "price_y"),  # other currency
        None,
    ],
)
def test_no_saving_is_claimed_when_there_is_none_to_compare(yearly: PlanPrice | None) -> None:
    catalog = Catalog((plan(MONTHLY, yearly),), from_provider=True)
    [card] = PricingPage.of(catalog).plans
    assert all(option.saving is None for option in card.options)


def test_a_no_card_trial_says_so_and_an_unresolved_catalog_is_not_on_sale() -> None:
    unresolved = PlanPrice("pro_monthly", Interval.MONTH, 1200, "usd")
    catalog = Catalog((plan(unresolved, None, trial_days=7, trial_without_card=True),))
    page = PricingPage.of(catalog)
    assert not page.on_sale
    assert page.plans[0].trial == "7-day free trial, no card needed"
    assert page.plans[0].options[0].label == "Pro"  # no amount that is not the provider's
