import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from application.ports import ConcurrentUpdate, PasswordHasher, UnitOfWork
from domain.email import EmailAddress
from domain.errors import InvalidCredentials, InvalidEmail
from domain.password_policy import MAX_LENGTH
from domain.user import User


@dataclass(frozen=True)
class AuthenticateUserCommand:
    email: str
    password: str


class AuthenticateUser:
    """Log in with email and password.

    Rules: an unknown email and a wrong password give the same error after the same
    hashing work (a hash of a dummy password is verified), so neither the answer nor
    its timing tells whether an account exists. A hash made with outdated parameters
    is replaced on a successful log-in; until then it may cost more to verify than the
    dummy, so every refusal takes at least as long as the slowest one seen (`FailureFloor`):
    a dormant account's older, dearer hash cannot be told from an unknown email.
    """

    _DUMMY_PASSWORD = "not-a-real-password-used-to-spend-equal-time"  # noqa: S105

    def __init__(
        self,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        dummy_hash: str | None = None,
        floor: "FailureFloor | None" = None,
    ) -> None:
        """`dummy_hash`: a hash of any password by `hasher`, made once and shared (it costs
        as much as a log-in); made on first need when not given. `floor`: shared by every
        log-in of the process."""
        self._uow = uow
        self._hasher = hasher
        self._dummy_hash = dummy_hash
        self._floor = floor or FailureFloor()

    def execute(self, command: AuthenticateUserCommand) -> User:
        started = self._floor.now()
        try:
            return self._authenticate(command)
        except InvalidCredentials:
            self._floor.pad(started)
            raise

    def _authenticate(self, command: AuthenticateUserCommand) -> User:
        password = command.password if len(command.password) <= MAX_LENGTH else ""
        try:
            email: EmailAddress | None = EmailAddress(command.email)
        except InvalidEmail:
            email = None
        with self._uow as uow:
            user = uow.users.get_by_email(email) if email is not None else None
            if user is None:
                self._hasher.verify(self._dummy(), password)
                raise InvalidCredentials()
            if not self._hasher.verify(user.password_hash, password):
                raise InvalidCredentials()
            if self._hasher.needs_rehash(user.password_hash):
                user.password_hash = self._hasher.hash(password)
                uow.users.save(user)
                # Saved meanwhile by another request? Then the next log-in rehashes.
                with suppress(ConcurrentUpdate):
                    uow.commit()
        return user

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = make_dummy_hash(self._hasher)
        return self._dummy_hash


def make_dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(AuthenticateUser._DUMMY_PASSWORD)


class FailureFloor:
    """Makes every refused log-in last as long as the slowest one this process has seen
    (at most `ceiling` seconds), by waiting, not by working."""

    def __init__(
        self,
        ceiling: float = 2.0,
        *,
        now: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ceiling = ceiling
        self._slowest = 0.0
        self._lock = threading.Lock()
        self.now = now
        self._sleep = sleep

    def pad(self, started: float) -> None:
        took = self.now() - started
        with self._lock:
            self._slowest = min(self._ceiling, max(self._slowest, took))
            wait = self._slowest - took
        if wait > 0:
            self._sleep(wait)
