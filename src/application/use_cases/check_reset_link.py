from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, UnitOfWork
from domain.account_tokens import OpenedLink, TokenPurpose
from domain.errors import InvalidLink
from domain.user import User


@dataclass(frozen=True)
class CheckResetLinkCommand:
    link_token: str | OpenedLink  # the emailed link's token, or that link once opened


class CheckResetLink:
    """Whether a password-reset link works now, before its form is shown; returns the
    account's address (the link was sent to it).

    Rules: nothing changes (the link is used by `ResetPassword`); a link that does not
    work, for whatever reason, is `InvalidLink`, one answer for all.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def execute(self, command: CheckResetLinkCommand) -> str:
        link = OpenedLink.of(command.link_token)
        with self._uow.reading() as uow:
            return reset_link_user(uow, link, self._clock.now()).email.value


def reset_link_user(uow: UnitOfWork, link: OpenedLink, now: datetime) -> User:
    """The account whose reset link `link` is, when the link works at `now`;
    `InvalidLink` otherwise (no such account, or the link used, expired, replaced)."""
    user = uow.users.get(link.user_id)
    if user is None:
        raise InvalidLink()
    user.token_with_digest(TokenPurpose.RESET_PASSWORD, link.digest, now)
    return user
