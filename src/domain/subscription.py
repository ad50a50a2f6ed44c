"""Subscriptions and the rule that says who may read premium content."""

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


class SubscriptionStatus(enum.StrEnum):
    """Stripe's subscription statuses; the names are the provider's own."""

    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    PAUSED = "paused"

    @property
    def is_terminal(self) -> bool:
        """A subscription in a terminal status never comes back to life."""
        return self in (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)


DEFAULT_PAST_DUE_GRACE = timedelta(days=3)
MAX_REFERENCE_LENGTH = 255


def is_reference(value: object) -> bool:
    """An id we can store and show: 1 to 255 printable characters.

    A signed event is refused when its ids could not be stored (too long, a NUL, control
    characters): it could never be recorded, so it could never succeed.
    """
    return isinstance(value, str) and 0 < len(value) <= MAX_REFERENCE_LENGTH and value.isprintable()


@dataclass(frozen=True)
class Subscription:
    """The provider's subscription as last seen, stamped with when it was true (`as_of`)."""

    id: str
    status: SubscriptionStatus
    as_of: datetime
    customer_id: str | None = None
    price_id: str | None = None
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    cancel_at: datetime | None = None
    ended_at: datetime | None = None
    # When the oldest invoice still unpaid first failed (past_due and unpaid only): grace
    # counts from it. Subscription events do not carry it; a fetch from the provider does.
    unpaid_since: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("id", "customer_id", "price_id"):
            value = getattr(self, name)
            if value is not None and not is_reference(value):
                raise ValueError(f"subscription {name} is not an identifier a provider would send")

    @property
    def is_live(self) -> bool:
        """Whether the provider still bills it (the user should manage it, not buy another)."""
        return self.status in (
            SubscriptionStatus.TRIALING,
            SubscriptionStatus.ACTIVE,
            SubscriptionStatus.PAST_DUE,
            SubscriptionStatus.UNPAID,
            SubscriptionStatus.PAUSED,
        )

    @property
    def ends_at(self) -> datetime | None:
        """When access ends by itself: the period end when set to cancel, or `cancel_at`."""
        if self.cancel_at is not None:
            return self.cancel_at
        if self.cancel_at_period_end:
            return self.current_period_end
        return None

    @property
    def owes(self) -> bool:
        """Whether an invoice of it is unpaid (past_due, or unpaid after the retries)."""
        return self.status in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID)

    @property
    def lacks_unpaid_since(self) -> bool:
        """It owes, but nobody told us since when: ask the provider (an event's copy of a
        subscription never says)."""
        return self.owes and self.unpaid_since is None

    def grants_premium(self, now: datetime, grace: timedelta = DEFAULT_PAST_DUE_GRACE) -> bool:
        """The access rule.

        - active and trialing grant access, until the moment a scheduled cancellation ends it;
        - past_due grants it for `grace` after the oldest unpaid invoice failed: a renewal
          that fails while an older invoice is still unpaid (Stripe's "leave the
          subscription past due") opens no new grace;
        - everything else (incomplete, unpaid, paused, canceled, ...) denies.
        """
        ends_at = self.ends_at
        if ends_at is not None and now >= ends_at:
            return False
        if self.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING):
            return True
        if self.status is SubscriptionStatus.PAST_DUE:
            return now < self.grace_ends(grace)
        return False

    def grace_ends(self, grace: timedelta = DEFAULT_PAST_DUE_GRACE) -> datetime:
        """When a past-due subscription's access ends: `grace` after the oldest unpaid
        invoice failed, or its scheduled end if that comes first.

        Without `unpaid_since` (the provider could not say), the start of the unpaid
        period stands in: a renewal that fails opens the new period all the same.
        """
        failed_at = self.unpaid_since or self.current_period_start or self.as_of
        ends = failed_at + grace
        return min(ends, self.ends_at) if self.ends_at else ends

    def is_newer_than(self, other: "Subscription") -> bool | None:
        """True/False when the timestamps decide; None when they tie and the states differ.

        Timestamps are compared in whole seconds, the provider's resolution: a state we
        fetched at 12:00:00.7 and an event stamped 12:00:00 cannot be ordered by time.
        """
        mine, theirs = _whole_seconds(self.as_of), _whole_seconds(other.as_of)
        if mine != theirs:
            return mine > theirs
        if self.same_state_as(other):
            return False
        if other.status.is_terminal and not self.status.is_terminal:
            return False  # nothing follows cancellation
        if self.status.is_terminal and not other.status.is_terminal:
            return True
        return None

    def same_state_as(self, other: "Subscription") -> bool:
        return replace(self, as_of=other.as_of) == other


def _whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)
