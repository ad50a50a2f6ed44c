"""Notes as Markdown files in a folder, each with a small header (front matter).

    ---
    title: Capture first, sort later
    summary: One line shown on the index and on the locked page.
    requires: notes.basic
    ---
    The note, in Markdown.

The header is read by a strict parser of our own rather than YAML: its three keys take
one line of text each, and YAML's guesses (`requires: no` read as false, a typo'd key
ignored) could publish a paid note for free. So an unknown or repeated key, a missing
title or summary, an empty `requires` or a file without the header refuses the whole
library, naming the file. `requires` absent or `free`: everyone may read the note.
"""

from collections.abc import Sequence
from pathlib import Path

from application.ports import NoteLibrary
from domain.notes import FREE, SLUG, Note, NoteError

DELIMITER = "---"
KEYS = ("title", "summary", "requires")
REQUIRED = ("title", "summary")


class FolderNoteLibrary(NoteLibrary):
    """Every `*.md` file of `folder` (not its subfolders), read and checked once, when
    built: a file changed later is seen after a restart."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise NoteError(f"the notes folder {folder} does not exist (NOTES_DIR)")
        self._notes = {
            note.slug: note for note in (read_note(path) for path in sorted(folder.glob("*.md")))
        }

    def list(self) -> Sequence[Note]:
        return [self._notes[slug] for slug in sorted(self._notes)]

    def get(self, slug: str) -> Note | None:
        return self._notes.get(slug)


def read_note(path: Path) -> Note:
    """One note file; any mistake is a `NoteError` naming the file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise NoteError(f"note {path}: not UTF-8 text") from None
    except OSError as error:
        raise NoteError(f"note {path}: cannot be read ({error.strerror})") from None
    if not SLUG.fullmatch(path.stem):
        raise NoteError(
            f"note {path}: its file name is its address, so it must be lowercase letters, "
            "digits and hyphens, ending in .md"
        )
    try:
        header, body = _split(text)
        return Note(
            slug=path.stem,
            title=header["title"],
            summary=header["summary"],
            body=body,
            requires=None if header.get("requires", FREE) == FREE else header["requires"],
        )
    except NoteError as error:
        raise NoteError(f"note {path}: {_without_slug(str(error), path.stem)}") from None


def _split(text: str) -> tuple[dict[str, str], str]:
    lines = text.replace("\r\n", "\n").split("\n")
    if lines[0].rstrip() != DELIMITER:
        raise NoteError(f"the file must start with a {DELIMITER} line, then the header")
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.rstrip() == DELIMITER)
    except StopIteration:
        raise NoteError(f"the header has no closing {DELIMITER} line") from None
    header: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], 2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, colon, value = line.partition(":")
        key, value = key.strip(), _unquote(value.strip())
        if not colon or key not in KEYS:
            raise NoteError(
                f"line {number}: expected one of {', '.join(KEYS)} as `key: value`, "
                f"not {line.strip()[:60]!r}"
            )
        if key in header:
            raise NoteError(f"line {number}: {key} is given twice")
        if not value:
            raise NoteError(f"line {number}: {key} is empty")
        header[key] = value
    missing = [key for key in REQUIRED if key not in header]
    if missing:
        raise NoteError(f"the header has no {' and no '.join(missing)}")
    return header, "\n".join(lines[end + 1 :])


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def _without_slug(message: str, slug: str) -> str:
    """The domain's message names the note by slug; the file's path names it already."""
    return message.removeprefix(f"note {slug}: ")
