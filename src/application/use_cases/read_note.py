from dataclasses import dataclass

from application.note_access import load_reader, may_read, plans_opening
from application.ports import Clock, NoteLibrary, UnitOfWork
from domain.access import AccessPolicy
from domain.catalog import Plan
from domain.errors import NoteNotFound
from domain.notes import Note


@dataclass(frozen=True)
class ReadNoteCommand:
    slug: str
    user_id: str | None = None  # None: a signed-out visitor


@dataclass(frozen=True)
class OpenNote:
    note: Note


@dataclass(frozen=True)
class LockedNote:
    """What a locked note shows of itself, and what would open it. Never the body."""

    slug: str
    title: str
    summary: str
    opening: str  # the first paragraph, Markdown
    plans: tuple[Plan, ...]  # that open it; () when nothing sold does
    signed_in: bool
    subscribed: bool  # the reader has a plan, just not one that opens this note


class ReadNote:
    """Open a note, or say what it takes to open it.

    Rules:
    - a free note is open to everyone, signed in or not;
    - a note requiring entitlement X is open to a user whose entitlements (the access
      policy's, now) include X;
    - otherwise it is locked: its title, summary and first paragraph, and the plans of
      the catalog that include X; a note asking for an X that no plan includes is
      locked for everyone (and logged), never open;
    - an unknown slug raises `NoteNotFound`; a stale user id `UserNotFound`.
    """

    def __init__(
        self, notes: NoteLibrary, uow: UnitOfWork, clock: Clock, policy: AccessPolicy
    ) -> None:
        self._notes = notes
        self._uow = uow
        self._clock = clock
        self._policy = policy

    def execute(self, command: ReadNoteCommand) -> OpenNote | LockedNote:
        note = self._notes.get(command.slug)
        if note is None:
            raise NoteNotFound()
        if note.is_free:
            return OpenNote(note)
        reader = load_reader(self._uow, self._clock, self._policy, command.user_id)
        plans = plans_opening(note, self._policy)
        if may_read(note, reader, plans):
            return OpenNote(note)
        return LockedNote(
            slug=note.slug,
            title=note.title,
            summary=note.summary,
            opening=note.opening,
            plans=plans,
            signed_in=reader.signed_in,
            subscribed=reader.subscribed,
        )
