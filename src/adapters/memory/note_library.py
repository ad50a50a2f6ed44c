from collections.abc import Iterable, Sequence

from application.ports import NoteLibrary
from domain.notes import Note, NoteError


class InMemoryNoteLibrary(NoteLibrary):
    """Notes given as objects: for tests, and for a server whose notes come from code."""

    def __init__(self, notes: Iterable[Note] = ()) -> None:
        self._notes: dict[str, Note] = {}
        for note in notes:
            if note.slug in self._notes:
                raise NoteError(f"two notes are called {note.slug}")
            self._notes[note.slug] = note

    def list(self) -> Sequence[Note]:
        return [self._notes[slug] for slug in sorted(self._notes)]

    def get(self, slug: str) -> Note | None:
        return self._notes.get(slug)
