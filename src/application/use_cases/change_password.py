from dataclasses import dataclass
from datetime import datetime
from functools import partial

from application.account_mail import queue_password_changed
from application.mail import Mailer
from application.ports import Clock, PasswordHasher, UnitOfWork
from application.retry import write
from domain.errors import CurrentPasswordWrong
from domain.password_policy import MAX_LENGTH, check_password


@dataclass(frozen=True)
class ChangePasswordCommand:
    user_id: str
    current_password: str
    new_password: str


@dataclass(frozen=True)
class ChangePasswordResult:
    session_generation: int  # the caller's session goes on in this generation


class ChangePassword:
    """The signed-in user sets a new password.

    Rules:
    - the current password is needed (`CurrentPasswordWrong`): a session left open on
      a shared computer must not be enough to take the account;
    - the new one passes the password policy (`WeakPassword`);
    - every other session ends (the session generation rises; the caller carries its
      own session on in the new generation); a reset link sent before stops working;
    - the address is told (the outbox, same transaction).
    """

    def __init__(
        self, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock, mailer: Mailer
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._mailer = mailer

    def execute(self, command: ChangePasswordCommand) -> ChangePasswordResult:
        with self._uow.reading() as uow:
            user = uow.users.require(command.user_id)
        current = command.current_password if len(command.current_password) <= MAX_LENGTH else ""
        if not self._hasher.verify(user.password_hash, current):
            raise CurrentPasswordWrong()
        check_password(command.new_password, user.email)
        new_hash = self._hasher.hash(command.new_password)
        work = partial(self._change, command.user_id, user.password_hash, new_hash)
        return write(self._uow, partial(work, self._clock.now()))

    def _change(
        self, user_id: str, verified_hash: str, new_hash: str, now: datetime, uow: UnitOfWork
    ) -> ChangePasswordResult:
        user = uow.users.require(user_id)
        if user.password_hash != verified_hash:  # changed meanwhile: that password is gone
            raise CurrentPasswordWrong()
        user.set_password(new_hash)
        uow.users.save(user)
        queue_password_changed(self._mailer, uow, user, now)
        return ChangePasswordResult(user.session_generation)
