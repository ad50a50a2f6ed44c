"""Dates and money as a person reads them: the one place pages format either (Babel).

The pages are written in English, so a date or an amount follows the conventions of the
reader's region *in English*: CLDR's English for that region (`en_DE`: "30 December
2026", "12,00 €"; `en_US`: "December 30, 2026", "$12.00"), never a German month name in
an English sentence. The region comes from the request's Accept-Language, best first:
an entry's own region (`de-AT`), else the region its language is most spoken in (`de`:
Germany). The first entry whose region CLDR has an English locale for wins; with none
(no header, `*`, a region without one, or junk), the default: `en`, whose money is the
US form ("$12.00"), with the day-first long date ("30 December 2026") that reads
unambiguously to any reader of English.

Amounts arrive in the payment provider's minor units, counted as Stripe counts them
(zero-decimal and three-decimal currencies below), which is not always ISO 4217's
count (Stripe keeps ISK and HUF in hundredths, for instance); an amount is shown with
exactly Stripe's decimals (HUF 123.45, never CLDR's rounding to "HUF 123"), ISK whole.
Dates arrive as UTC datetimes and are shown as UTC dates (the reader's time zone is not
known).
"""

from datetime import datetime

from flask import g, has_request_context, request

from adapters.formats import (
    DEFAULT,
    DEFAULT_DATE_PATTERN,
    STRIPE_THREE_DECIMAL,
    STRIPE_ZERO_DECIMAL,
    Formats,
    formats_for,
    major_units,
)

__all__ = [
    "DEFAULT",
    "DEFAULT_DATE_PATTERN",
    "STRIPE_THREE_DECIMAL",
    "STRIPE_ZERO_DECIMAL",
    "Formats",
    "formats",
    "formats_for",
    "long_date",
    "major_units",
    "money",
    "month_and_year",
]


def formats() -> Formats:
    """The current request's reader's formats (once per request); outside a request,
    the default."""
    if not has_request_context():
        return DEFAULT
    if "formats" not in g:
        g.formats = formats_for(list(request.accept_languages.values()))
    return g.formats  # type: ignore[no-any-return]


def money(amount: int, currency: str) -> str:
    return formats().money(amount, currency)


def long_date(moment: datetime) -> str:
    return formats().date(moment)


def month_and_year(year: int, month: int) -> str:
    return formats().month(year, month)
