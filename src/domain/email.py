"""The email address value object."""

import re
from dataclasses import dataclass

from domain.errors import InvalidEmail

MAX_LENGTH = 254  # RFC 5321 path limit
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PATTERN = re.compile(rf"{_LOCAL}@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")


@dataclass(frozen=True)
class EmailAddress:
    """An address as people type it: surrounding blanks trimmed, lower-cased, then checked.

    Lower-casing the whole address (not only the domain) is deliberate: nobody expects
    `Ann@x.io` and `ann@x.io` to be two accounts.
    Accepted: an ASCII dot-atom local part (at most 64 characters), '@', and a domain of
    two or more DNS labels whose last is alphabetic.
    """

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise InvalidEmail()
        normalised = self.value.strip().lower()
        if len(normalised) > MAX_LENGTH or not _PATTERN.fullmatch(normalised):
            raise InvalidEmail()
        if len(normalised.split("@", 1)[0]) > 64:
            raise InvalidEmail()
        object.__setattr__(self, "value", normalised)

    def __str__(self) -> str:
        return self.value
