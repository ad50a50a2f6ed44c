"""The notes folder: a malformed note refuses start-up with one line naming its file; the
shipped notes are all well-formed, and the one-plan setup opens every paid one."""

import subprocess
import sys
from pathlib import Path

import pytest

from adapters.note_files import FolderNoteLibrary, read_note
from domain.access import AccessPolicy
from domain.notes import NoteError
from entrypoints.flask_app import create_app
from entrypoints.settings import DEFAULT_NOTES_DIR, ConfigurationError, Settings
from tests.e2e.conftest import TEST_SECRET_KEY, sqlite_settings

GOOD = "---\ntitle: A title\nsummary: A summary.\nrequires: notes.basic\n---\nThe text.\n"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_a_well_formed_note_is_read(tmp_path: Path) -> None:
    note = read_note(write(tmp_path, "a-note.md", GOOD))
    assert (note.slug, note.title, note.summary, note.requires) == (
        "a-note",
        "A title",
        "A summary.",
        "notes.basic",
    )
    assert note.body.strip() == "The text."


@pytest.mark.parametrize(
    ("header", "requires"),
    [
        ("title: T\nsummary: S\n", None),
        ("title: T\nsummary: S\nrequires: free\n", None),
        ("title: \"T: quoted\"\nsummary: 'S'\n# a comment\n\nrequires: notes.pro\n", "notes.pro"),
    ],
)
def test_requires_absent_or_free_is_free(header: str, requires: str | None, tmp_path: Path) -> None:
    note = read_note(write(tmp_path, "n.md", f"---\n{header}---\nText.\n"))
    assert note.requires == requires


def test_a_windows_file_with_a_bom_is_read(tmp_path: Path) -> None:
    text = "\ufeff" + GOOD.replace("\n", "\r\n")
    assert read_note(write(tmp_path, "n.md", text)).title == "A title"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("title: T\nsummary: S\n\nText.", "must start with a --- line"),
        ("---\ntitle: T\nsummary: S\nText.", "no closing --- line"),
        ("---\ntitle: T\n---\nText.", "no summary"),
        ("---\nsummary: S\n---\nText.", "no title"),
        ("---\ntitle: T\nsummary: S\nrequire: notes.pro\n---\nText.", "'require: notes.pro'"),
        ("---\ntitle: T\nsummary: S\nrequires: notes.pro\nrequires: free\n---\nX", "twice"),
        ("---\ntitle: T\nsummary: S\nrequires:\n---\nText.", "requires is empty"),
        ("---\ntitle: T\nsummary: S\nrequires: no\n---\nText.", "requires must be"),
        ("---\ntitle: T\nsummary: S\njust a line\n---\nText.", "'just a line'"),
        ("---\ntitle: T\nsummary: S\n---\n\n  \n", "no text"),
        (b"---\ntitle: \xff\nsummary: S\n---\nText.", "not UTF-8"),
    ],
)
def test_a_malformed_note_refuses_the_library_naming_its_file(
    text: str | bytes, reason: str, tmp_path: Path
) -> None:
    write(tmp_path, "fine.md", GOOD)
    write(tmp_path, "broken-one.md", text)
    with pytest.raises(NoteError) as raised:
        FolderNoteLibrary(tmp_path)
    message = str(raised.value)
    assert str(tmp_path / "broken-one.md") in message
    assert reason in message
    assert "\n" not in message


@pytest.mark.parametrize("name", ["Capital.md", "two words.md", "under_score.md", "-x.md"])
def test_a_file_name_that_is_no_address_is_refused(name: str, tmp_path: Path) -> None:
    write(tmp_path, name, GOOD)
    with pytest.raises(NoteError, match="file name is its address"):
        FolderNoteLibrary(tmp_path)


def test_other_files_and_subfolders_are_not_notes(tmp_path: Path) -> None:
    write(tmp_path, "a-note.md", GOOD)
    write(tmp_path, "draft.txt", "not a note")
    write(tmp_path / "drafts", "later.md", "not even a header")
    assert [n.slug for n in FolderNoteLibrary(tmp_path).list()] == ["a-note"]


def test_a_missing_folder_is_an_error_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(NoteError, match="NOTES_DIR"):
        FolderNoteLibrary(tmp_path / "nowhere")


def test_create_app_refuses_a_malformed_note_with_a_configuration_error(tmp_path: Path) -> None:
    write(tmp_path / "notes", "broken.md", "no header\n")
    settings = sqlite_settings(tmp_path, notes_dir=tmp_path / "notes")
    with pytest.raises(ConfigurationError, match=r"broken\.md"):
        create_app(settings)


def test_the_flask_cli_says_one_line_for_a_malformed_note(tmp_path: Path) -> None:
    write(tmp_path / "notes", "broken.md", "---\ntitle: T\n---\nText.\n")
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "NOTES_DIR": str(tmp_path / "notes"),
    }
    flask = Path(sys.executable).parent / "flask"
    result = subprocess.run(
        [str(flask), "--app", "entrypoints.flask_app", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"Configuration error: note {tmp_path / 'notes' / 'broken.md'}: the header has no summary"
    ]


def test_settings_read_notes_dir_with_the_shipped_folder_as_default(tmp_path: Path) -> None:
    assert Settings.from_env({"SECRET_KEY": TEST_SECRET_KEY}).notes_dir == DEFAULT_NOTES_DIR
    custom = Settings.from_env({"SECRET_KEY": TEST_SECRET_KEY, "NOTES_DIR": str(tmp_path)})
    assert custom.notes_dir == tmp_path


def test_the_shipped_notes_are_real_short_notes_free_and_paid() -> None:
    notes = FolderNoteLibrary(DEFAULT_NOTES_DIR).list()
    assert 5 <= len(notes) <= 8
    for note in notes:
        words = len(note.body.split())
        assert 150 <= words <= 400, (note.slug, words)
        assert note.opening, note.slug
    asks = {note.requires for note in notes}
    assert asks == {None, "notes.basic", "notes.pro"}


def test_the_one_plan_setup_opens_every_shipped_paid_note() -> None:
    catalog = AccessPolicy.selling("price_1").catalog
    for note in FolderNoteLibrary(DEFAULT_NOTES_DIR).list():
        if note.requires is not None:
            assert catalog.plans_including(note.requires), note.slug
