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
count (Stripe keeps ISK and HUF in hundredths, for instance); Babel then shows the
currency's usual digits. Dates arrive as UTC datetimes and are shown as UTC dates (the
reader's time zone is not known).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError, localedata
from babel.core import get_global
from babel.dates import format_date
from babel.numbers import format_currency
from flask import g, has_request_context, request

# Stripe's currencies without minor units, and with thousandths:
# https://docs.stripe.com/currencies#zero-decimal
STRIPE_ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()  # noqa: SIM905
)
STRIPE_THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
DEFAULT_DATE_PATTERN = "d MMMM y"
# CLDR's currency spacing, which Babel does not apply: a currency written in letters
# keeps a no-break space from its number ("CHF 12.50", not "CHF12.50").
_LETTER_BESIDE_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


@dataclass(frozen=True)
class Formats:
    """How one reader is shown dates and money."""

    locale: Locale
    date_pattern: str = "long"  # the locale's own long date, or a CLDR pattern

    def money(self, amount: int, currency: str) -> str:
        """`$12.00`, `12,00 €`, `¥500`: `amount` in the provider's minor units."""
        shown = format_currency(major_units(amount, currency), currency.upper(), locale=self.locale)
        return _LETTER_BESIDE_DIGIT.sub("\u00a0", shown)

    def date(self, moment: datetime) -> str:
        """`30 December 2026` (UTC): never an ISO date."""
        return format_date(moment.date(), self.date_pattern, locale=self.locale)

    def month(self, year: int, month: int) -> str:
        """`December 2034` (a card's expiry), in the locale's own order."""
        return format_date(date(year, month, 1), "MMMM y", locale=self.locale)


DEFAULT = Formats(Locale("en"), DEFAULT_DATE_PATTERN)


def major_units(amount: int, currency: str) -> Decimal:
    code = currency.lower()
    if code in STRIPE_ZERO_DECIMAL:
        return Decimal(amount)
    return Decimal(amount).scaleb(-3 if code in STRIPE_THREE_DECIMAL else -2)


def formats_for(accept_language: list[str]) -> Formats:
    """The formats for an Accept-Language's entries, best first (see the module)."""
    for entry in accept_language[:8]:  # a reader names a few; a header of 500 is noise
        found = _english_for(entry)
        if found is not None:
            return Formats(found)
    return DEFAULT


@lru_cache(maxsize=256)
def _english_for(entry: str) -> Locale | None:
    try:
        wanted = Locale.parse(entry.strip(), sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    region = wanted.territory or _likely_region(wanted.language)
    english = f"en_{region}"
    if region and localedata.exists(english):
        return Locale.parse(english)
    return None


def _likely_region(language: str) -> str | None:
    likely = get_global("likely_subtags").get(language)  # "de" -> "de_Latn_DE"
    return likely.split("_")[-1] if likely else None


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
