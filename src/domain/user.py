"""The user: an account that may hold subscriptions."""

import enum
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from domain.email import EmailAddress
from domain.subscription import DEFAULT_PAST_DUE_GRACE, Subscription


class SnapshotOutcome(enum.StrEnum):
    APPLIED = "applied"
    STALE = "stale"  # older than what is stored: ignored
    UNDECIDED = "undecided"  # same timestamp, other state: ask the provider


def new_user_id() -> str:
    return uuid.uuid4().hex


@dataclass
class User:
    """An account. Its subscriptions are part of it: one aggregate, saved as a whole.

    A user holds every subscription the provider reported for them, keyed by the
    provider's id, so that a late event about an old subscription cannot overwrite a
    newer one.
    """

    id: str
    email: EmailAddress
    password_hash: str
    created_at: datetime
    customer_id: str | None = None
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    # Sessions carry the generation they were opened in; raising it ends them all.
    session_generation: int = 0

    @classmethod
    def register(cls, email: EmailAddress, password_hash: str, now: datetime) -> "User":
        return cls(id=new_user_id(), email=email, password_hash=password_hash, created_at=now)

    @property
    def current_subscription(self) -> Subscription | None:
        """The subscription to show: a live one first, else the most recent."""
        if not self.subscriptions:
            return None
        return max(self.subscriptions.values(), key=lambda s: (s.is_live, s.as_of))

    @property
    def has_live_subscription(self) -> bool:
        return any(s.is_live for s in self.subscriptions.values())

    def has_premium(self, now: datetime, grace: timedelta = DEFAULT_PAST_DUE_GRACE) -> bool:
        return any(s.grants_premium(now, grace) for s in self.subscriptions.values())

    def end_sessions(self) -> None:
        """Log out everywhere: every session opened before now stops working."""
        self.session_generation += 1

    def link_customer(self, customer_id: str) -> None:
        """Remember the provider's customer; the first one linked stays."""
        if self.customer_id is None:
            self.customer_id = customer_id

    def apply_subscription(
        self, snapshot: Subscription, *, authoritative: bool = False
    ) -> SnapshotOutcome:
        """Store `snapshot` unless the stored state is newer.

        Events come late, twice and out of order: a snapshot older than the stored one is
        ignored, so the stored state only moves forward in the provider's time. When the
        timestamps tie and the states differ, the caller must fetch the provider's current
        object and apply it with `authoritative=True`.
        """
        stored = self.subscriptions.get(snapshot.id)
        if stored is not None and not authoritative:
            newer = snapshot.is_newer_than(stored)
            if newer is None:
                return SnapshotOutcome.UNDECIDED
            if not newer:
                return SnapshotOutcome.STALE
        if stored is not None and snapshot.as_of < stored.as_of:
            snapshot = replace(snapshot, as_of=stored.as_of)
        self.subscriptions[snapshot.id] = snapshot
        if snapshot.customer_id:
            self.link_customer(snapshot.customer_id)
        return SnapshotOutcome.APPLIED
