from dataclasses import dataclass
from datetime import datetime
from functools import partial

from application.account_mail import queue_password_changed
from application.mail import Mailer
from application.ports import Clock, PasswordHasher, UnitOfWork
from application.retry import write
from application.use_cases.check_reset_link import reset_link_user
from domain.account_tokens import OpenedLink
from domain.password_policy import check_password


@dataclass(frozen=True)
class ResetPasswordCommand:
    link_token: str | OpenedLink  # the emailed link's token, or that link once opened
    new_password: str


@dataclass(frozen=True)
class ResetPasswordResult:
    email: str


class ResetPassword:
    """Set a new password with an emailed reset link.

    Rules:
    - the link must work (`InvalidLink` otherwise: used, expired, replaced, altered);
      it is used up in the same transaction as the new password, so two requests with
      one link cannot both succeed;
    - the new password passes the password policy (`WeakPassword`: the link still
      works, to try another);
    - every session of the account ends, those of whoever knew the old password too;
    - opening a link sent to the address proves it: an unverified address is verified;
    - the address is told its password changed (the outbox, same transaction).
    """

    def __init__(
        self, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock, mailer: Mailer
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._mailer = mailer

    def execute(self, command: ResetPasswordCommand) -> ResetPasswordResult:
        link = OpenedLink.of(command.link_token)
        with self._uow.reading() as uow:
            user = reset_link_user(uow, link, self._clock.now())
        check_password(command.new_password, user.email)
        password_hash = self._hasher.hash(command.new_password)  # before the lock: 30 ms
        work = partial(self._reset, link, password_hash, self._clock.now())
        return write(self._uow, work)

    def _reset(
        self, link: OpenedLink, password_hash: str, now: datetime, uow: UnitOfWork
    ) -> ResetPasswordResult:
        user = reset_link_user(uow, link, now)
        user.set_password(password_hash)  # uses the reset link up
        user.verify_email(now)
        uow.users.save(user)
        queue_password_changed(self._mailer, uow, user, now)
        return ResetPasswordResult(user.email.value)
