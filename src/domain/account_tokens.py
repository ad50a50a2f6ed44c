"""Links sent by email that prove something: a password reset, an address.

A link carries `<user id>.<secret>`; only a digest of the secret is stored (with the
user), so a copy of the database opens no account. Each purpose has at most one live
token per user: issuing another replaces it, using it removes it (single use), and it
expires. Comparing digests takes the same time whatever they hold.
"""

import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.email import EmailAddress
from domain.errors import InvalidLink

SECRET_BYTES = 32  # 256 bits: guessing one is hopeless, so the links need no rate limit
_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")  # token_urlsafe(32): 43 characters
_USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class TokenPurpose(enum.StrEnum):
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a name, not a password)
    VERIFY_EMAIL = "verify_email"  # proves the account's own address
    CHANGE_EMAIL = "change_email"  # proves the new address of a change of email


# How long each kind of link works once sent.
LIFETIME = {
    TokenPurpose.RESET_PASSWORD: timedelta(hours=1),
    TokenPurpose.VERIFY_EMAIL: timedelta(days=2),
    TokenPurpose.CHANGE_EMAIL: timedelta(days=1),
}


@dataclass(frozen=True)
class AccountToken:
    """A token as stored: what it is for, the digest of its secret, when it stops
    working, and (a change of email) the address it proves."""

    purpose: TokenPurpose
    digest: str
    expires_at: datetime
    address: EmailAddress | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9a-f]{64}", self.digest):
            raise ValueError("a token's digest is 64 hexadecimal digits")
        if (self.purpose is TokenPurpose.CHANGE_EMAIL) != (self.address is not None):
            raise ValueError("a change of email, and only it, names an address")

    def opens_with(self, secret: str, now: datetime) -> bool:
        """Whether `secret` is this token's and it has not expired at `now`."""
        return self.has_digest(digest_of(secret), now)

    def has_digest(self, digest: str, now: datetime) -> bool:
        """Whether `digest` is this token's and it has not expired at `now` (a link
        opened before, see `OpenedLink`)."""
        return hmac.compare_digest(self.digest, digest) and now < self.expires_at


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: the stored part, and the text the emailed link carries."""

    token: AccountToken
    link_token: str

    @property
    def short_id(self) -> str:
        """A prefix of the digest: names the token in outbox keys, reveals nothing."""
        return self.token.digest[:16]


def issue(
    purpose: TokenPurpose, user_id: str, now: datetime, address: EmailAddress | None = None
) -> IssuedToken:
    """A new token for `user_id`, working from `now` for its purpose's LIFETIME."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    token = AccountToken(purpose, digest_of(secret), now + LIFETIME[purpose], address)
    return IssuedToken(token, f"{user_id}.{secret}")


def parse_link_token(text: str) -> tuple[str, str]:
    """The user id and the secret of a link's token; `InvalidLink` for anything that is
    not one (cut short, altered, too long, other characters)."""
    if not isinstance(text, str) or len(text) > 128:
        raise InvalidLink()
    user_id, dot, secret = text.partition(".")
    if not dot or not _USER_ID.fullmatch(user_id) or not _SECRET.fullmatch(secret):
        raise InvalidLink()
    return user_id, secret


@dataclass(frozen=True)
class OpenedLink:
    """A link already opened, kept between two pages (the reset link's form) without its
    secret: the user id and the digest of the secret. Whoever reads where it is kept (a
    signed but readable session cookie) learns no link that opens anything.

    It proves what the link did only because it is kept where only this server can
    write (a signed session): made from a link's text (`of`), never from a request's.
    """

    user_id: str
    digest: str

    def __post_init__(self) -> None:
        if not _USER_ID.fullmatch(self.user_id) or not re.fullmatch(r"[0-9a-f]{64}", self.digest):
            raise InvalidLink()

    @classmethod
    def of(cls, link_token: "str | OpenedLink") -> "OpenedLink":
        """The link `link_token` as kept once opened (itself if it is one already);
        `InvalidLink` for a malformed one."""
        if isinstance(link_token, OpenedLink):
            return link_token
        user_id, secret = parse_link_token(link_token)
        return cls(user_id, digest_of(secret))

    @property
    def text(self) -> str:
        return f"{self.user_id}:{self.digest}"

    @classmethod
    def parse(cls, text: object) -> "OpenedLink":
        """The `text` of an opened link; `InvalidLink` for anything else."""
        if not isinstance(text, str) or len(text) > 140:
            raise InvalidLink()
        user_id, colon, digest = text.partition(":")
        if not colon:
            raise InvalidLink()
        return cls(user_id, digest)


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
