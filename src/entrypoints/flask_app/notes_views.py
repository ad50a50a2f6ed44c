"""The notes: the index, one note, and the `markdown` filter that renders them."""

from flask import Blueprint, render_template
from flask_login import current_user
from markupsafe import Markup

from adapters.markdown_html import render_markdown
from application.use_cases.list_notes import ListNotesCommand
from application.use_cases.read_note import LockedNote, ReadNoteCommand
from entrypoints.flask_app.deps import container

bp = Blueprint("notes", __name__)


@bp.app_template_filter("markdown")
def markdown_filter(text: str) -> Markup:
    """A note's Markdown, rendered and sanitized (adapters.markdown_html): the only way a
    template shows note text as HTML."""
    return Markup(render_markdown(text))  # noqa: S704 - sanitized by nh3 just above


def _reader_id() -> str | None:
    return str(current_user.id) if current_user.is_authenticated else None


@bp.get("/notes")
def index() -> str:
    view = container().list_notes().execute(ListNotesCommand(_reader_id()))
    return render_template("notes_index.html", index=view)


@bp.get("/notes/<slug>")
def read(slug: str) -> str | tuple[str, int]:
    reading = container().read_note().execute(ReadNoteCommand(slug, _reader_id()))
    if isinstance(reading, LockedNote):
        return render_template("note_locked.html", locked=reading), 403
    return render_template("note.html", note=reading.note)
