"""The email a use case asks the `EmailSender` port to send (application layer: a message
is how the service talks to people, not a business rule)."""

import re
from dataclasses import dataclass

from domain.email import EmailAddress

MAX_SUBJECT_LENGTH = 200
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 field name: printable, no colon
# Headers the sender writes itself: a message may not set them.
SENDER_HEADERS = frozenset(
    {
        "from",
        "sender",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "return-path",
    }
)


@dataclass(frozen=True)
class EmailMessage:
    """One email to one person: a subject, a plain-text body, and optionally HTML.

    Rules (checked when it is made, so no adapter ever sends a malformed one):
    - `subject` is one line (no CR or LF: nothing can be injected into the headers),
      not blank, at most 200 characters;
    - `text` is not blank: every message reads without HTML; `html`, when given, is the
      same message as HTML;
    - `headers` are extra headers (Reply-To, List-Unsubscribe, a Message-ID that stays
      the same when the message is sent again); names are header names, values one
      line; those the sender writes (From, To, Subject, Date, MIME...) are refused.
    Breaking a rule is a programming error: `ValueError`.
    """

    to: EmailAddress
    subject: str
    text: str
    html: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.to, EmailAddress):
            raise ValueError("an email goes to an EmailAddress")
        if not self.subject.strip() or len(self.subject) > MAX_SUBJECT_LENGTH:
            raise ValueError(f"a subject is 1 to {MAX_SUBJECT_LENGTH} characters")
        if _breaks_line(self.subject):
            raise ValueError("a subject is one line")
        if not self.text.strip():
            raise ValueError("an email has a plain-text body")
        if self.html is not None and not self.html.strip():
            raise ValueError("an HTML body, when given, is not blank")
        for name, value in self.headers:
            if not _HEADER_NAME.match(name):
                raise ValueError(f"not a header name: {name!r}")
            if name.lower() in SENDER_HEADERS:
                raise ValueError(f"the sender writes the {name} header")
            if _breaks_line(value):
                raise ValueError(f"the {name} header is one line")

    def header(self, name: str) -> str | None:
        """The value of an extra header (any letter case), or None."""
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)


def _breaks_line(value: str) -> bool:
    return any(c in value for c in "\r\n\x00") or "\u2028" in value or "\u2029" in value
