"""The user: an account that may hold subscriptions."""

import enum
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.account_tokens import AccountToken, TokenPurpose, digest_of
from domain.email import EmailAddress
from domain.errors import EmailNotVerified, InvalidLink
from domain.subscription import Subscription


class SnapshotOutcome(enum.StrEnum):
    APPLIED = "applied"
    STALE = "stale"  # older than what is stored: ignored
    UNDECIDED = "undecided"  # same timestamp, other state: ask the provider


def new_user_id() -> str:
    return uuid.uuid4().hex


def is_user_id(value: str) -> bool:
    """Whether `value` has the shape of an id `new_user_id` makes (a reference written by
    someone else, "42" in the dashboard, does not)."""
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


@dataclass
class User:
    """An account. Its subscriptions are part of it: one aggregate, saved as a whole.

    A user holds every subscription the provider reported for them, keyed by the
    provider's id, so that a late event about an old subscription cannot overwrite a
    newer one.
    """

    id: str
    email: EmailAddress
    password_hash: str
    created_at: datetime
    customer_id: str | None = None
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    # Sessions carry the generation they were opened in; raising it ends them all.
    session_generation: int = 0
    # When the address was proven (a link sent to it was opened); None: not yet.
    email_verified_at: datetime | None = None
    # The live emailed links, at most one per purpose (only digests of their secrets).
    tokens: dict[TokenPurpose, AccountToken] = field(default_factory=dict)

    @classmethod
    def register(cls, email: EmailAddress, password_hash: str, now: datetime) -> "User":
        """A new account, its address not verified yet."""
        return cls(id=new_user_id(), email=email, password_hash=password_hash, created_at=now)

    def end_sessions(self) -> None:
        """Log out everywhere: every session opened before now stops working."""
        self.session_generation += 1

    # -- the address and the password ----------------------------------------------------

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def require_verified_email(self) -> None:
        """Paying needs a verified address: receipts and payment notices must reach the
        payer. `EmailNotVerified` otherwise."""
        if not self.email_verified:
            raise EmailNotVerified()

    def verify_email(self, now: datetime) -> None:
        """The address is proven (a link sent to it was opened); the first time counts."""
        if self.email_verified_at is None:
            self.email_verified_at = now
        self.tokens.pop(TokenPurpose.VERIFY_EMAIL, None)

    def set_password(self, password_hash: str) -> None:
        """A new password: every session ends (the caller opens its own again), and so
        does every link that changes who holds the account, whoever asked for it: a reset
        link sent before, and a change of email asked before (from a session the new
        password is meant to shut out: it would move the account to another address)."""
        self.password_hash = password_hash
        self.tokens.pop(TokenPurpose.RESET_PASSWORD, None)
        self.tokens.pop(TokenPurpose.CHANGE_EMAIL, None)
        self.end_sessions()

    def change_email(self, new: EmailAddress, now: datetime) -> None:
        """Move the account to `new`, proven by a link sent to it: verified at once; every
        link sent to the old address stops working (its verification, and a reset link:
        the account has moved away from whoever reads that mailbox)."""
        self.email = new
        self.email_verified_at = now
        self.tokens.pop(TokenPurpose.VERIFY_EMAIL, None)
        self.tokens.pop(TokenPurpose.RESET_PASSWORD, None)
        self.tokens.pop(TokenPurpose.CHANGE_EMAIL, None)

    @property
    def pending_email(self) -> EmailAddress | None:
        """The address a change of email waits to have proven (expired or not)."""
        token = self.tokens.get(TokenPurpose.CHANGE_EMAIL)
        return token.address if token else None

    # -- emailed links -------------------------------------------------------------------

    def hold_token(self, token: AccountToken) -> None:
        """Keep a new token; the one of the same purpose sent before stops working."""
        self.tokens[token.purpose] = token

    def token_opening(self, purpose: TokenPurpose, secret: str, now: datetime) -> AccountToken:
        """The live token of `purpose` that `secret` opens, left in place (a page that
        shows a form first); `InvalidLink` when there is none."""
        return self.token_with_digest(purpose, digest_of(secret), now)

    def token_with_digest(self, purpose: TokenPurpose, digest: str, now: datetime) -> AccountToken:
        """`token_opening` for a link opened before, known by its secret's digest."""
        token = self.tokens.get(purpose)
        if token is None or not token.has_digest(digest, now):
            raise InvalidLink()
        return token

    def use_token(self, purpose: TokenPurpose, secret: str, now: datetime) -> AccountToken:
        """`token_opening`, then removed: a link works once."""
        token = self.token_opening(purpose, secret, now)
        del self.tokens[purpose]
        return token

    def link_customer(self, customer_id: str) -> None:
        """Remember the provider's customer; the first one linked stays."""
        if self.customer_id is None:
            self.customer_id = customer_id

    def forget_customer(self, customer_id: str) -> bool:
        """The provider no longer knows `customer_id`: unlink it, so that a new one can be
        made. Its subscriptions stay as stored (they still name it): only the provider
        says when one ends. Returns whether it was the linked customer."""
        if self.customer_id != customer_id:
            return False
        self.customer_id = None
        return True

    def observe(self, snapshot: Subscription) -> SnapshotOutcome:
        """Store a snapshot an event carried, unless the stored state is newer.

        Events come late, twice and out of order: a snapshot older than the stored one is
        ignored, so the stored state only moves forward in the provider's time. When the
        timestamps tie and the states differ, the caller fetches the provider's current
        object and stores it with `record_fetched`.
        """
        stored = self.subscriptions.get(snapshot.id)
        if stored is not None:
            snapshot = _still_owing_since(stored, snapshot)
            newer = snapshot.is_newer_than(stored)
            if newer is None:
                return SnapshotOutcome.UNDECIDED
            if not newer:
                return SnapshotOutcome.STALE
        self.subscriptions[snapshot.id] = snapshot
        return SnapshotOutcome.APPLIED

    def record_fetched(self, current: Subscription) -> SnapshotOutcome:
        """Store the provider's current state, fetched at `current.as_of`.

        A fetch is the truth at its moment, so it settles a tie with a stored event's
        state; but a state stored since (an event of a later second, or the end of the
        subscription in the same second) is newer than the fetch and is kept.
        """
        stored = self.subscriptions.get(current.id)
        if stored is not None:
            current = _still_owing_since(stored, current)
            if current.is_newer_than(stored) is False:
                return SnapshotOutcome.STALE
            if current.as_of < stored.as_of:  # same second: never move as_of backwards
                current = replace(current, as_of=stored.as_of)
        self.subscriptions[current.id] = current
        return SnapshotOutcome.APPLIED


def _still_owing_since(stored: Subscription, new: Subscription) -> Subscription:
    """`new`, knowing since when it owes when it does not say and the stored state did:
    a state that still owes is the same unpaid debt until a state that owes nothing comes
    between (a copy that omits it, or a fetch that failed, never starts the grace again;
    a fetch that says since when is believed)."""
    if new.lacks_unpaid_since and stored.owes and stored.unpaid_since is not None:
        return replace(new, unpaid_since=stored.unpaid_since)
    return new
