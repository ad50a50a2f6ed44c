"""Notes people read: Markdown text, free or for those holding an entitlement."""

import re
from dataclasses import dataclass

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""A note's address (`/notes/<slug>`): lowercase letters, digits, single hyphens."""
ENTITLEMENT = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)+")
"""What a note may ask for: dotted names such as `notes.pro` (so `requires: no` or
`requires: yes` is a mistake at start-up, not a note nobody can open)."""
FREE = "free"
"""What a note's header says for "everyone may read it" (the same as saying nothing)."""

# A block that opens with one of these is not prose: a heading, a list, a quote, code,
# a rule, a table or raw HTML (which the renderer shows as text).
_NOT_PROSE = re.compile(r"(#{1,6}(\s|$)|[-*+](\s|$)|\d+[.)](\s|$)|>|```|~~~|\||<|---|\*\*\*|___)")
_SETEXT_UNDERLINE = re.compile(r"\s{0,3}(=+|-+)\s*")
# A fenced code block, blank lines inside it included (an unclosed fence runs to the end).
_FENCED = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?(^ {0,3}\1[^\n]*$|\Z)", re.M | re.S)


class NoteError(ValueError):
    """A note is malformed; the message names the note (its file, when it has one)."""


@dataclass(frozen=True)
class Note:
    """One note. `requires` is the entitlement a reader must hold; None: free.

    `body` is Markdown, shown only once rendered and sanitized (it may hold anything).
    """

    slug: str
    title: str
    summary: str
    body: str
    requires: str | None = None

    def __post_init__(self) -> None:
        if not SLUG.fullmatch(self.slug):
            raise NoteError(
                f"{self.slug!r} is no note address: lowercase letters, digits and hyphens"
            )
        for name, value in (("title", self.title), ("summary", self.summary)):
            if not value.strip() or "\n" in value:
                raise NoteError(f"note {self.slug}: {name} must be one line of text")
        if not self.body.strip():
            raise NoteError(f"note {self.slug}: the note has no text")
        if self.requires is not None and (
            self.requires == FREE or not ENTITLEMENT.fullmatch(self.requires)
        ):
            raise NoteError(
                f"note {self.slug}: requires must be an entitlement such as notes.basic, "
                f"or free, not {self.requires!r}"
            )

    @property
    def is_free(self) -> bool:
        return self.requires is None

    @property
    def opening(self) -> str:
        """The first paragraph of prose (Markdown), what a locked note shows of itself.

        Blocks are separated by blank lines; headings, lists, quotes, code, tables and
        rules are skipped. Never more than that one block: the rest is what is sold.
        """
        prose = _FENCED.sub("", self.body).strip()
        for block in re.split(r"\n[ \t]*\n", prose):
            lines = block.strip("\n").splitlines()
            if not block.strip():
                continue
            first = lines[0].lstrip()
            if _NOT_PROSE.match(first) or lines[0].startswith(("    ", "\t")):
                continue
            if len(lines) > 1 and _SETEXT_UNDERLINE.fullmatch(lines[1]):
                continue
            return "\n".join(line.strip() for line in lines)
        return ""
