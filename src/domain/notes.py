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
# A line that starts another block than a paragraph (or ends one: a table, a rule).
_BLOCK_START = re.compile(r" {0,3}(#{1,6}(\s|$)|[-*+](\s|$)|\d{1,9}[.)](\s|$)|>|```|~~~|\|)")
_RULE = re.compile(r" {0,3}([-*_])([ \t]*\1){2,}[ \t]*")
# Characters some tools read as line breaks and Markdown does not: shown as spaces.
_ODD_BREAKS = re.compile(r"[\u2028\u2029\x85\x0b\x0c]")
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
        """The first paragraph of prose, what a locked note shows of itself, as one line.

        Blocks are separated by blank lines; a block that starts as a heading, list,
        quote, code, table or rule is skipped. Within the paragraph, the first line that
        would start another block (a list, heading, quote, table, rule or setext
        underline right below it, with no blank line) ends it. Joined into one line, the
        opening cannot become anything but that paragraph: the rest is what is sold.
        """
        prose = _FENCED.sub("", self.body.replace("\r\n", "\n").replace("\r", "\n")).strip()
        for block in re.split(r"\n[ \t]*\n", prose):
            lines = block.strip("\n").split("\n")
            while len(lines) > 1 and _SETEXT_UNDERLINE.fullmatch(lines[1]):
                lines = lines[2:]  # an underlined heading: what follows it goes on the block
            first = lines[0] if lines else ""
            if not first.strip() or _starts_block(first) or first.startswith(("    ", "\t")):
                continue
            kept = [first]
            for line in lines[1:]:
                if _starts_block(line) or _SETEXT_UNDERLINE.fullmatch(line):
                    break
                kept.append(line)
            return _ODD_BREAKS.sub(" ", " ".join(line.strip() for line in kept))
        return ""


def _starts_block(line: str) -> bool:
    return bool(_BLOCK_START.match(line) or _RULE.fullmatch(line))
