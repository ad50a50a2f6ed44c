"""Dates and money in English, in the conventions of a reader's region (Babel): the
pages' formats (entrypoints.flask_app.formatting, by the request's Accept-Language) and
the emails' (`DEFAULT`: an email is written before anyone reads it).

See entrypoints/flask_app/formatting.py for the conventions.
"""

import copy
import decimal
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError, localedata
from babel.core import get_global
from babel.dates import format_date
from babel.numbers import NumberPattern, format_currency

# Stripe's currencies without minor units, and with thousandths:
# https://docs.stripe.com/currencies#zero-decimal
STRIPE_ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()  # noqa: SIM905
)
STRIPE_THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
# Zero-decimal in fact, but counted in hundredths by Stripe for backwards compatibility
# (the hundredths are always 00): shown whole.
STRIPE_WHOLE_IN_HUNDREDTHS = frozenset({"isk"})
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
        """`$12.00`, `12,00 €`, `¥500`, `HUF 123.45`: `amount` in the provider's minor
        units, shown with exactly the decimals Stripe counts (not CLDR's usual digits,
        which differ for HUF, IDR, COP...: rounding to them would misstate the amount)."""
        digits = _shown_digits(amount, currency)
        pattern = copy.copy(_currency_pattern(self.locale))
        pattern.frac_prec = (digits, digits)
        # Enough precision for any whole number of minor units: with Decimal's default
        # (28 digits), Babel's rounding raises from 10**28 on.
        with decimal.localcontext(prec=max(28, len(str(abs(amount))) + 8)):
            shown = format_currency(
                major_units(amount, currency),
                currency.upper(),
                format=pattern,
                locale=self.locale,
                currency_digits=False,
            )
        return _LETTER_BESIDE_DIGIT.sub("\u00a0", shown)

    def date(self, moment: datetime) -> str:
        """`30 December 2026` (UTC): never an ISO date."""
        return format_date(moment.date(), self.date_pattern, locale=self.locale)

    def month(self, year: int, month: int) -> str:
        """`December 2034` (a card's expiry), in the locale's own order."""
        return format_date(date(year, month, 1), "MMMM y", locale=self.locale)


DEFAULT = Formats(Locale("en"), DEFAULT_DATE_PATTERN)


def stripe_exponent(currency: str) -> int:
    """How many decimals Stripe's minor units of `currency` stand for: 0, 2 or 3."""
    code = currency.lower()
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    return 3 if code in STRIPE_THREE_DECIMAL else 2


def major_units(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-stripe_exponent(currency))


def _shown_digits(amount: int, currency: str) -> int:
    if currency.lower() in STRIPE_WHOLE_IN_HUNDREDTHS and amount % 100 == 0:
        return 0
    return stripe_exponent(currency)


def _currency_pattern(locale: Locale) -> NumberPattern:
    pattern: NumberPattern = locale.currency_formats["standard"]
    return pattern


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
