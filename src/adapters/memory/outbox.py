from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from application.ports import Outbox, OutboxEntry, OutboxStatus


class _Store(Protocol):
    outbox: dict[str, OutboxEntry]


class InMemoryOutbox(Outbox):
    """The outbox of one in-memory transaction: changes stay private until commit.

    `added` are new entries (dropped at commit when the id was committed meanwhile, as
    the database's ON CONFLICT DO NOTHING would); `seen` are entries as first read, so
    that commit refuses to store a change to one another transaction changed since
    (`ConcurrentUpdate`): of two claims of one entry, one commit fails.
    """

    def __init__(self, store: _Store) -> None:
        self._store = store
        self.pending: dict[str, OutboxEntry] = {}
        self.added: set[str] = set()
        self.seen: dict[str, OutboxEntry | None] = {}
        self.discarded: set[str] = set()

    def _read(self, entry_id: str) -> OutboxEntry | None:
        if entry_id in self.discarded:
            return None
        if entry_id in self.pending:
            return self.pending[entry_id]
        entry = self._store.outbox.get(entry_id)
        self.seen.setdefault(entry_id, entry)
        return entry

    def _all(self) -> list[OutboxEntry]:
        merged = {**self._store.outbox, **self.pending}
        kept = (e for e in merged.values() if e.id not in self.discarded)
        return sorted(kept, key=lambda e: (e.created_at, e.id))

    def add(self, entry: OutboxEntry) -> None:
        if entry.id in self.pending or entry.id in self._store.outbox:
            return
        self.discarded.discard(entry.id)
        self.pending[entry.id] = entry
        self.added.add(entry.id)

    def get(self, entry_id: str) -> OutboxEntry | None:
        return self._read(entry_id)

    def due(self, now: datetime, limit: int) -> Sequence[OutboxEntry]:
        return [e for e in self._all() if e.due(now)][:limit]

    def claim(self, entry_id: str, now: datetime, until: datetime) -> OutboxEntry | None:
        entry = self._read(entry_id)
        if entry is None or not entry.due(now):
            return None
        claimed = replace(entry, claimed_until=until)
        self.pending[entry_id] = claimed
        return claimed

    def save(self, entry: OutboxEntry) -> None:
        if self._read(entry.id) is None:
            raise LookupError(f"save() of an outbox entry that was never added: {entry.id}")
        self.pending[entry.id] = entry

    def discard_of(self, owner: str) -> int:
        gone = [e.id for e in self._all() if e.owner == owner]
        for entry_id in gone:
            self.pending.pop(entry_id, None)
            self.added.discard(entry_id)
            self.discarded.add(entry_id)
        return len(gone)

    def list(self, status: OutboxStatus | None = None) -> Sequence[OutboxEntry]:
        return [e for e in self._all() if status is None or e.status is status]

    def conflicts(self) -> Sequence[str]:
        """Entries changed here that another transaction changed since they were read."""
        return [
            entry_id
            for entry_id in self.pending
            if entry_id not in self.added
            and self._store.outbox.get(entry_id) != self.seen[entry_id]
        ]

    def to_store(self) -> dict[str, OutboxEntry]:
        """What commit writes: every change, but no entry whose id was committed meanwhile."""
        return {
            entry_id: entry
            for entry_id, entry in self.pending.items()
            if entry_id not in self.added or entry_id not in self._store.outbox
        }
