"""The NoteLibrary contract, for InMemoryNoteLibrary and FolderNoteLibrary."""

import pytest

from domain.notes import Note
from tests.contract.conftest import NewNoteLibrary

NOTES = [
    Note("zebra-crossing", "Zebra", "Last by slug.", "Stripes.\n\nMore stripes."),
    Note(
        "a-paid-note",
        "Paid: with a colon",
        "It asks for 'notes.pro'.",
        "# Heading\n\nText with *emphasis*, a [link](https://example.com) and `code`.\n",
        requires="notes.pro",
    ),
    Note("unicode-2", "Ünïcödé ✓", "Résumé, naïve, 日本語.", "Body ✓ 🔑\n"),
]


def test_list_gives_every_note_ordered_by_slug(new_note_library: NewNoteLibrary) -> None:
    library = new_note_library(NOTES)
    assert [n.slug for n in library.list()] == ["a-paid-note", "unicode-2", "zebra-crossing"]
    assert [n.slug for n in library.list()] == [n.slug for n in library.list()]


def test_a_note_comes_back_as_it_was_written(new_note_library: NewNoteLibrary) -> None:
    library = new_note_library(NOTES)
    for note in NOTES:
        got = library.get(note.slug)
        assert got is not None
        assert (got.slug, got.title, got.summary, got.requires) == (
            note.slug,
            note.title,
            note.summary,
            note.requires,
        )
        assert got.body.strip() == note.body.strip()
        assert got in library.list()


def test_get_finds_what_list_gives(new_note_library: NewNoteLibrary) -> None:
    library = new_note_library(NOTES)
    for note in library.list():
        assert library.get(note.slug) == note


@pytest.mark.parametrize(
    "slug",
    ["no-such-note", "", "A-PAID-NOTE", "a-paid-note.md", "../a-paid-note", "a-paid-note/", " "],
)
def test_any_other_slug_is_none(new_note_library: NewNoteLibrary, slug: str) -> None:
    assert new_note_library(NOTES).get(slug) is None


def test_an_empty_library_lists_nothing(new_note_library: NewNoteLibrary) -> None:
    library = new_note_library([])
    assert list(library.list()) == []
    assert library.get("anything") is None
