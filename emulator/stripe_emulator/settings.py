"""The emulator's billing settings, and how the control endpoint and the state file set them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import StripeError

AFTER_RETRIES = ("canceled", "unpaid", "past_due")


@dataclass
class Settings:
    """Billing behaviour that tests may change (under the store's lock)."""

    retry_days: tuple[int, ...] = (3, 5, 7)
    """Payment retries after the first failure, in days after that failure."""
    after_retries: str = "canceled"
    """What a subscription becomes when the last retry fails: ``canceled``, ``unpaid``, or
    ``past_due`` (Stripe's "leave the subscription past due": it renews and bills on)."""
    incomplete_expiry_seconds: int = 23 * 3600

    def to_json(self) -> dict[str, Any]:
        return {
            "retry_days": list(self.retry_days),
            "after_retries": self.after_retries,
            "incomplete_expiry_seconds": self.incomplete_expiry_seconds,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        settings = cls()
        settings.update(data)
        return settings

    def update(self, data: dict[str, Any]) -> None:
        """Apply ``{"after_retries": ..., "retry_days": [...], ...}``; StripeError if invalid.

        Nothing changes unless every given value is valid.
        """
        after_retries = data.get("after_retries", self.after_retries)
        if after_retries not in AFTER_RETRIES:
            raise StripeError(
                "after_retries must be 'canceled', 'unpaid' or 'past_due'.",
                param="after_retries",
            )
        days = data.get("retry_days", list(self.retry_days))
        if not isinstance(days, list | tuple) or not all(_positive(day) for day in days):
            raise StripeError("retry_days must be a list of positive integers.", param="retry_days")
        seconds = data.get("incomplete_expiry_seconds", self.incomplete_expiry_seconds)
        if not _positive(seconds):
            raise StripeError(
                "incomplete_expiry_seconds must be a positive integer.",
                param="incomplete_expiry_seconds",
            )
        self.after_retries = after_retries
        self.retry_days = tuple(days)
        self.incomplete_expiry_seconds = seconds


def _positive(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
