"""Dates and money in the reader's conventions, in English (entrypoints.flask_app.formatting)."""

from datetime import UTC, datetime

import pytest
from flask import Flask

from entrypoints.flask_app.formatting import DEFAULT, formats, formats_for, long_date, money

MOMENT = datetime(2026, 12, 30, 23, 59, tzinfo=UTC)
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("accept_language", "date", "dollars", "euros"),
    [
        ([], "30 December 2026", "$12.00", "€12.00"),  # nothing known: en, day first
        (["en-US", "en"], "December 30, 2026", "$12.00", "€12.00"),
        (["en"], "December 30, 2026", "$12.00", "€12.00"),  # en is CLDR's US English
        (["en-GB"], "30 December 2026", "US$12.00", "€12.00"),
        (["de-DE", "de"], "30 December 2026", f"12,00{NBSP}US$", f"12,00{NBSP}€"),
        (["de"], "30 December 2026", f"12,00{NBSP}US$", f"12,00{NBSP}€"),  # Germany
        (["fr"], "30 December 2026", f"12,00{NBSP}US$", f"12,00{NBSP}€"),
        (["pt-BR", "en-US"], "December 30, 2026", "$12.00", "€12.00"),  # no en_BR: next
    ],
)
def test_the_readers_region_sets_the_conventions_and_english_the_words(
    accept_language: list[str], date: str, dollars: str, euros: str
) -> None:
    shown = formats_for(accept_language)
    assert shown.date(MOMENT) == date
    assert shown.money(1200, "usd") == dollars
    assert shown.money(1200, "EUR") == euros


@pytest.mark.parametrize(
    "accept_language",
    [["*"], ["xx-!!"], [""], ["pt-BR"], ["zz"], ["es-419"], ["a" * 300], ["en-US\x00"]],
)
def test_what_names_no_known_region_falls_back_to_the_default(accept_language: list[str]) -> None:
    assert formats_for(accept_language) == DEFAULT
    assert DEFAULT.date(MOMENT) == "30 December 2026"


def test_only_the_first_few_preferences_are_read() -> None:
    assert formats_for(["zz"] * 8 + ["en-US"]) == DEFAULT
    assert formats_for(["zz"] * 7 + ["en-US"]).locale.territory == "US"


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (500, "usd", "$5.00"),
        (5, "gbp", "£0.05"),
        (123456, "eur", "€1,234.56"),
        (500, "jpy", "¥500"),  # zero-decimal at Stripe: 500 yen, not 5
        (1500, "kwd", f"KWD{NBSP}1.500"),  # three-decimal at Stripe
        (10000, "isk", f"ISK{NBSP}100"),  # Stripe counts ISK in hundredths; shown whole
        (1250, "CHF", f"CHF{NBSP}12.50"),  # a currency in letters keeps a space
    ],
)
def test_amounts_are_read_in_stripes_minor_units(amount: int, currency: str, shown: str) -> None:
    assert DEFAULT.money(amount, currency) == shown


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        # Stripe's exponent where CLDR's usual digits differ: never rounded away.
        (12345, "huf", f"HUF{NBSP}123.45"),  # CLDR: 0 digits; Stripe: hundredths
        (12300, "huf", f"HUF{NBSP}123.00"),
        (1234550, "idr", f"IDR{NBSP}12,345.50"),
        (99, "cop", f"COP{NBSP}0.99"),
        (1001, "twd", "NT$10.01"),
        (1234, "iqd", f"IQD{NBSP}12.34"),  # CLDR: 0 digits
        (12345, "jpy", "¥12,345"),  # zero-decimal at Stripe
        (1234, "ugx", f"UGX{NBSP}1,234"),  # zero-decimal at Stripe (CLDR: 0 too)
        (12345, "kwd", f"KWD{NBSP}12.345"),  # three-decimal at Stripe
        (5, "bhd", f"BHD{NBSP}0.005"),
        (1, "usd", "$0.01"),
        (123456789, "usd", "$1,234,567.89"),
        (10050, "isk", f"ISK{NBSP}100.50"),  # not whole: shown as Stripe counts it
    ],
)
def test_amounts_show_exactly_the_decimals_stripe_counts(
    amount: int, currency: str, shown: str
) -> None:
    assert DEFAULT.money(amount, currency) == shown


def test_a_readers_conventions_keep_stripes_decimals() -> None:
    german = formats_for(["de-DE"])
    assert german.money(12345, "huf") == f"123,45{NBSP}HUF"
    assert german.money(500, "jpy") == f"500{NBSP}JP¥"
    assert german.money(12345, "kwd") == f"12,345{NBSP}KWD"


def test_the_date_is_the_utc_day_never_an_iso_date() -> None:
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert DEFAULT.date(late) == "31 December 2026"
    assert "-" not in formats_for(["en-US"]).date(late)


def test_a_request_is_formatted_by_its_accept_language_best_quality_first() -> None:
    app = Flask(__name__)
    header = {"Accept-Language": "fr;q=0.5, en-GB;q=0.9, de;q=0.1"}
    with app.test_request_context(headers=header):
        assert formats().locale.territory == "GB"
        assert money(1200, "usd") == "US$12.00"
        assert long_date(MOMENT) == "30 December 2026"
    with app.test_request_context(headers={"Accept-Language": "en-US"}):
        assert long_date(MOMENT) == "December 30, 2026"
    with app.test_request_context():
        assert formats() == DEFAULT


def test_outside_a_request_the_default() -> None:
    assert formats() == DEFAULT
    assert money(1200, "usd") == "$12.00"


def test_an_amount_of_any_size_is_formatted_never_an_error() -> None:
    # Decimal's default precision (28 digits) would make Babel's rounding raise.
    assert DEFAULT.money(10**30, "usd") == "$" + f"{10**28:,}" + ".00"
    assert DEFAULT.money(10**30, "jpy") == "¥" + f"{10**30:,}"
