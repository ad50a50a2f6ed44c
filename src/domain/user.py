"""The user: an account that may hold subscriptions."""

import enum
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.email import EmailAddress
from domain.subscription import Subscription


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

    def end_sessions(self) -> None:
        """Log out everywhere: every session opened before now stops working."""
        self.session_generation += 1

    def link_customer(self, customer_id: str) -> None:
        """Remember the provider's customer; the first one linked stays."""
        if self.customer_id is None:
            self.customer_id = customer_id

    def forget_customer(self, customer_id: str) -> bool:
        """The provider no longer knows `customer_id`: unlink it, so that a new one can be
        made. Its subscriptions stay as stored (they still name it): only the provider
        says when one ends. Returns whether it was the linked customer."""
        if self.customer_id != customer_id:
            return False
        self.customer_id = None
        return True

    def observe(self, snapshot: Subscription) -> SnapshotOutcome:
        """Store a snapshot an event carried, unless the stored state is newer.

        Events come late, twice and out of order: a snapshot older than the stored one is
        ignored, so the stored state only moves forward in the provider's time. When the
        timestamps tie and the states differ, the caller fetches the provider's current
        object and stores it with `record_fetched`.
        """
        stored = self.subscriptions.get(snapshot.id)
        if stored is not None:
            snapshot = _still_owing_since(stored, snapshot)
            newer = snapshot.is_newer_than(stored)
            if newer is None:
                return SnapshotOutcome.UNDECIDED
            if not newer:
                return SnapshotOutcome.STALE
        self.subscriptions[snapshot.id] = snapshot
        return SnapshotOutcome.APPLIED

    def record_fetched(self, current: Subscription) -> SnapshotOutcome:
        """Store the provider's current state, fetched at `current.as_of`.

        A fetch is the truth at its moment, so it settles a tie with a stored event's
        state; but a state stored since (an event of a later second, or the end of the
        subscription in the same second) is newer than the fetch and is kept.
        """
        stored = self.subscriptions.get(current.id)
        if stored is not None:
            current = _still_owing_since(stored, current)
            if current.is_newer_than(stored) is False:
                return SnapshotOutcome.STALE
            if current.as_of < stored.as_of:  # same second: never move as_of backwards
                current = replace(current, as_of=stored.as_of)
        self.subscriptions[current.id] = current
        return SnapshotOutcome.APPLIED


def _still_owing_since(stored: Subscription, new: Subscription) -> Subscription:
    """`new`, knowing since when it owes when it does not say and the stored state did:
    a state that still owes is the same unpaid debt until a state that owes nothing comes
    between (a copy that omits it, or a fetch that failed, never starts the grace again;
    a fetch that says since when is believed)."""
    if new.lacks_unpaid_since and stored.owes and stored.unpaid_since is not None:
        return replace(new, unpaid_since=stored.unpaid_since)
    return new
