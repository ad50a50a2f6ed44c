"""The outbox: emails written in the same transaction as the change that causes them."""

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.email_message import EmailMessage


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up: refused for good, or too many attempts


@dataclass(frozen=True)
class OutboxEntry:
    """One email to send, written in the same transaction as the change that causes it.

    `id` names the cause (`password-reset:<token id>`, `payment-failed:<event id>`): one
    cause, one entry, one email. `owner` is the id of the user whose email it is (None:
    nobody's, a test message): deleting the account deletes it, whatever address it goes
    to. `claimed_until` is a deliverer's lease: while it lasts, no other deliverer takes
    the entry.
    """

    id: str
    message: EmailMessage
    created_at: datetime
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None  # None: at once
    claimed_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    owner: str | None = None

    def __post_init__(self) -> None:
        if not 0 < len(self.id) <= 255 or not self.id.isprintable():
            raise ValueError("an outbox entry's id is 1 to 255 printable characters")
        if self.attempts < 0:
            raise ValueError("attempts cannot be negative")

    def due(self, now: datetime) -> bool:
        """Pending, its next attempt reached, and no live claim on it."""
        return (
            self.status is OutboxStatus.PENDING
            and (self.next_attempt_at is None or self.next_attempt_at <= now)
            and (self.claimed_until is None or self.claimed_until <= now)
        )


class Outbox(abc.ABC):
    """Emails waiting to be sent, inside the unit of work's transaction.

    - `add` writes a new entry, unless one with its id is stored already (committed, or
      by another transaction that commits first): then nothing is added and nothing is
      raised. So a cause that runs twice (a replayed event) still makes one email.
    - `claim` takes a due entry for a deliverer until `until`, in one conditional write:
      of two transactions claiming one entry, one gets None (or, in a fake, its commit
      raises `ConcurrentUpdate`), never both the entry.
    - `save` stores the changes made to an entry read here (status, attempts, ...).
    - `discard_of` deletes every entry of one owner, sent or not, whatever its address
      (an account deleted: its mail is personal data, and nothing more goes out of it).
    - The finders return None or nothing for "not found", never raise.
    """

    @abc.abstractmethod
    def add(self, entry: OutboxEntry) -> None: ...

    @abc.abstractmethod
    def get(self, entry_id: str) -> OutboxEntry | None: ...

    @abc.abstractmethod
    def due(self, now: datetime, limit: int) -> Sequence[OutboxEntry]:
        """At most `limit` entries due at `now`, oldest first (created_at, then id)."""

    @abc.abstractmethod
    def claim(self, entry_id: str, now: datetime, until: datetime) -> OutboxEntry | None:
        """The entry with `claimed_until=until` if it is due at `now`, else None."""

    @abc.abstractmethod
    def save(self, entry: OutboxEntry) -> None: ...

    @abc.abstractmethod
    def discard_of(self, owner: str) -> int:
        """Delete every entry whose `owner` is `owner`; returns how many there were."""

    @abc.abstractmethod
    def list(self, status: OutboxStatus | None = None) -> Sequence[OutboxEntry]:
        """Entries, oldest first, optionally only those with `status`."""
