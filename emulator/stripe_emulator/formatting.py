"""Amounts, intervals and dates as the hosted pages and invoice PDFs show them."""

from __future__ import annotations

from datetime import UTC, datetime

_ZERO_DECIMAL = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf",
                           "ugx", "vnd", "vuv", "xaf", "xof", "xpf"})  # fmt: skip
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}


def money(amount: int, currency: str) -> str:
    """``2000, "usd"`` -> ``$20.00``."""
    currency = currency.lower()
    value = f"{amount:,}" if currency in _ZERO_DECIMAL else f"{amount / 100:,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


def interval(recurring: dict[str, object] | None) -> str:
    """``{"interval": "month", "interval_count": 3}`` -> ``every 3 months``."""
    if not recurring:
        return ""
    count = recurring.get("interval_count") or 1
    unit = recurring.get("interval")
    return f"per {unit}" if count == 1 else f"every {count} {unit}s"


def date(timestamp: int | None) -> str:
    """``1767225600`` -> ``January 1, 2026`` (UTC)."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%B %-d, %Y")
