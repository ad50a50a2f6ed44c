"""Who is reading, and which notes that opens: shared by `ReadNote` and `ListNotes`."""

import logging
from dataclasses import dataclass

from application.ports import Clock, UnitOfWork
from domain.access import AccessPolicy
from domain.catalog import Plan
from domain.notes import Note
from domain.user import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reader:
    """A signed-in user (their entitlements now) or a visitor (`user_id` None: none)."""

    user_id: str | None
    entitlements: frozenset[str] = frozenset()
    subscribed: bool = False  # holds a live subscription of ours (changing plan, not buying)

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None


def load_reader(uow: UnitOfWork, clock: Clock, policy: AccessPolicy, user_id: str | None) -> Reader:
    """`UserNotFound` for a stale id."""
    if user_id is None:
        return Reader(None)
    with uow as opened:
        user = opened.users.require(user_id)
    return reader_of(user, clock, policy)


def reader_of(user: User, clock: Clock, policy: AccessPolicy) -> Reader:
    """The reader a user loaded already (for this request) is."""
    return Reader(
        user.id, policy.entitlements(user, clock.now()), policy.has_live_subscription(user)
    )


def plans_opening(note: Note, policy: AccessPolicy) -> tuple[Plan, ...]:
    """The plans whose subscribers may read `note`; () for a free note, and for a note
    asking for an entitlement no plan includes (locked for everyone, and logged)."""
    if note.requires is None:
        return ()
    plans = policy.catalog.plans_including(note.requires)
    if not plans:
        log.warning(
            "note %s requires %s, which no plan includes: it is locked for everyone",
            note.slug,
            note.requires,
        )
    return plans


def may_read(note: Note, reader: Reader, plans: tuple[Plan, ...]) -> bool:
    """A free note: everyone. Otherwise a reader holding its entitlement, and only when
    some plan sells it (an entitlement nobody can buy opens nothing)."""
    if note.requires is None:
        return True
    return bool(plans) and note.requires in reader.entitlements
