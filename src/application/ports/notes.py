import abc
from collections.abc import Sequence

from domain.notes import Note


class NoteLibrary(abc.ABC):
    """The notes on offer, read-only.

    Rules:
    - `list` gives every note, ordered by slug; listing twice gives the same notes;
    - a note's slug is its name in the library (a file's name without `.md`), unique;
    - `get` returns the note with that slug, equal to the one `list` gives; any other
      string (unknown, empty, a path, another letter case) is None, never an error;
    - a library that holds a malformed note refuses to be built (`NoteError` naming it),
      so a server never starts with a note it would show wrongly.
    """

    @abc.abstractmethod
    def list(self) -> Sequence[Note]: ...

    @abc.abstractmethod
    def get(self, slug: str) -> Note | None: ...
