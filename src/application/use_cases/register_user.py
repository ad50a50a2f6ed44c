from dataclasses import dataclass
from datetime import datetime
from functools import partial

from application.mail import Mailer
from application.ports import Clock, PasswordHasher, UnitOfWork
from application.retry import write
from domain.account_tokens import TokenPurpose, issue
from domain.email import EmailAddress
from domain.errors import EmailAlreadyRegistered
from domain.password_policy import check_password
from domain.user import User


@dataclass(frozen=True)
class RegisterUserCommand:
    email: str
    password: str


class RegisterUser:
    """Open an account, without telling anyone whether the address had one.

    Rules:
    - the email must be a valid address and the password must pass the password policy
      (length, not common, not the email); these refusals depend on what was typed
      only, never on who is registered;
    - a new address: the account is stored (only the password's argon2 hash), its
      address unverified, and an email with a link that verifies it (two days) goes to
      the outbox in the same transaction;
    - an address already registered (in any letter case, or registered meanwhile by a
      racing request): nothing is stored but an email to it saying it has an account
      already, with a way to reset the password (at most one an hour per account, so
      that nobody can flood an inbox through this form);
    - both ways do the same work (the password is hashed, one email is made from a
      template, one transaction commits) and answer the same: nothing is returned.
    """

    def __init__(
        self, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock, mailer: Mailer
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._mailer = mailer

    def execute(self, command: RegisterUserCommand) -> None:
        email = EmailAddress(command.email)
        check_password(command.password, email)
        password_hash = self._hasher.hash(command.password)  # for a known address too
        now = self._clock.now()
        try:
            write(self._uow, partial(self._register, email, password_hash, now))
        except EmailAlreadyRegistered:  # registered by another request meanwhile
            write(self._uow, partial(self._register, email, password_hash, now))

    def _register(
        self, email: EmailAddress, password_hash: str, now: datetime, uow: UnitOfWork
    ) -> None:
        existing = uow.users.get_by_email(email)
        if existing is not None:
            message = self._mailer.compose("already_registered", email, {"email": email.value})
            key = f"already-registered:{existing.id}:{now:%Y%m%d%H}"
            self._mailer.queue(uow, key, message, now, owner=existing.id)
            return
        user = User.register(email, password_hash, now)
        issued = issue(TokenPurpose.VERIFY_EMAIL, user.id, now)
        user.hold_token(issued.token)
        uow.users.add(user)
        message = self._mailer.compose(
            "verify_email",
            email,
            {"link": self._mailer.links.verify_email(issued.link_token), "welcome": True},
        )
        self._mailer.queue(
            uow, f"verify-email:{user.id}:{issued.short_id}", message, now, owner=user.id
        )
