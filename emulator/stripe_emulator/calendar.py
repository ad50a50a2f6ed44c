"""Billing periods: timestamps moved by calendar months, and a subscription's cycle."""

from __future__ import annotations

from calendar import monthrange  # the standard library's, not this module
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DAY = 86400


def shift(timestamp: int, interval: str, count: int) -> int:
    """``timestamp`` moved by ``count`` intervals, by the calendar for months and years.

    A month after January 31st is the last day of February: the day of month is
    clamped, and the caller counts from a fixed anchor so that March comes back
    to the 31st.
    """
    if interval == "day":
        return timestamp + count * DAY
    if interval == "week":
        return timestamp + count * 7 * DAY
    months = count * (12 if interval == "year" else 1)
    moment = datetime.fromtimestamp(timestamp, UTC)
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    day = min(moment.day, monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


@dataclass
class Cycle:
    """A subscription's billing cycle: periods are counted from ``anchor``."""

    anchor: int
    interval: str
    interval_count: int
    periods: int = 1

    def end_of(self, periods: int) -> int:
        """When period number ``periods`` (counted from 1) ends."""
        return shift(self.anchor, self.interval, self.interval_count * periods)


def current_period_end(subscription: dict[str, Any]) -> int:
    """The end of the current period (kept on the items in the current API)."""
    return int(subscription["items"]["data"][0]["current_period_end"])


def current_period_start(subscription: dict[str, Any]) -> int:
    return int(subscription["items"]["data"][0]["current_period_start"])
