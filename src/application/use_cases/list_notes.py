from collections.abc import Sequence
from dataclasses import dataclass

from application.note_access import Reader, load_reader, may_read, plans_opening, reader_of
from application.ports import Clock, NoteLibrary, UnitOfWork
from domain.access import AccessPolicy
from domain.catalog import Plan
from domain.user import User


@dataclass(frozen=True)
class ListNotesCommand:
    user_id: str | None = None  # None: a signed-out visitor
    user: User | None = None  # the user as loaded for this request already: no read


@dataclass(frozen=True)
class NoteListing:
    """One line of the index: never the note's body."""

    slug: str
    title: str
    summary: str
    requires: str | None
    plans: tuple[Plan, ...]  # that open it; () for a free note
    readable: bool  # by this reader, now

    @property
    def is_free(self) -> bool:
        return self.requires is None


@dataclass(frozen=True)
class NoteIndex:
    notes: Sequence[NoteListing]
    signed_in: bool


class ListNotes:
    """Every note, with what opens it and whether this reader may read it.

    Rules: the same access rule as `ReadNote` (free for everyone; else the entitlement,
    and only when some plan includes it); free notes first, then by title. The user is
    read only when some note is not free. A stale user id raises `UserNotFound`.
    """

    def __init__(
        self, notes: NoteLibrary, uow: UnitOfWork, clock: Clock, policy: AccessPolicy
    ) -> None:
        self._notes = notes
        self._uow = uow
        self._clock = clock
        self._policy = policy

    def execute(self, command: ListNotesCommand) -> NoteIndex:
        notes = self._notes.list()
        if command.user is not None:
            reader = reader_of(command.user, self._clock, self._policy)
        elif all(note.is_free for note in notes):
            reader = Reader(command.user_id)
        else:
            reader = load_reader(self._uow, self._clock, self._policy, command.user_id)
        listings = []
        for note in notes:
            plans = plans_opening(note, self._policy)
            listings.append(
                NoteListing(
                    slug=note.slug,
                    title=note.title,
                    summary=note.summary,
                    requires=note.requires,
                    plans=plans,
                    readable=may_read(note, reader, plans),
                )
            )
        listings.sort(key=lambda listing: (not listing.is_free, listing.title.casefold()))
        return NoteIndex(listings, reader.signed_in)
