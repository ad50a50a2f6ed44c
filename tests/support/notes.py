"""Note files as an author writes them, for the tests that need a folder of notes."""

from pathlib import Path

from domain.notes import Note


def note_file_text(note: Note) -> str:
    requires = f"requires: {note.requires}\n" if note.requires else ""
    return f"---\ntitle: {note.title}\nsummary: {note.summary}\n{requires}---\n{note.body}"


def write_notes(folder: Path, notes: tuple[Note, ...] | list[Note]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for note in notes:
        (folder / f"{note.slug}.md").write_text(note_file_text(note), encoding="utf-8")
    return folder
