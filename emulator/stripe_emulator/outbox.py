"""Events collected during one change, recorded together when the change is done."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

from . import statuses
from .objects import Json
from .store import Store


def changed_attributes(before: Json, after: Json) -> Json:
    """The top-level fields of ``before`` that differ in ``after`` (``previous_attributes``)."""
    return {key: copy.deepcopy(value) for key, value in before.items() if after.get(key) != value}


class Outbox:
    """Events collected during one change, recorded together at the end.

    Each entry keeps a snapshot taken when it was added, so an event shows the
    object as it was at that step even when the events are recorded in another
    order (as for a paid checkout).
    """

    def __init__(self) -> None:
        self.entries: list[tuple[str, Json, Json | None]] = []

    def add(self, event_type: str, obj: Json, previous: Json | None = None) -> None:
        self.entries.append((event_type, copy.deepcopy(obj), copy.deepcopy(previous)))

    def extend(self, other: Outbox) -> None:
        """Append the entries of ``other``, in their order, and empty it."""
        self.entries.extend(other.entries)
        other.entries.clear()

    def send(self, store: Store, created: int) -> None:
        """Record every entry as an event created at ``created``, oldest first."""
        for event_type, snapshot, previous in self.entries:
            store.record_event(event_type, snapshot, created=created, previous_attributes=previous)
        self.entries.clear()


@contextmanager
def recording_update(subscription: Json, outbox: Outbox) -> Iterator[None]:
    """Add ``customer.subscription.updated`` to ``outbox`` if the block changed it.

    A block that ended the subscription adds nothing: the cancellation added
    ``customer.subscription.deleted`` instead.
    """
    before = copy.deepcopy(subscription)
    yield
    if subscription["status"] in statuses.ENDED and before["status"] not in statuses.ENDED:
        return
    previous = changed_attributes(before, subscription)
    if previous:
        outbox.add("customer.subscription.updated", subscription, previous)
