from dataclasses import dataclass

from application.ports import Clock, PasswordHasher, UnitOfWork
from domain.email import EmailAddress
from domain.errors import EmailAlreadyRegistered
from domain.password_policy import check_password
from domain.user import User


@dataclass(frozen=True)
class RegisterUserCommand:
    email: str
    password: str


class RegisterUser:
    """Open an account.

    Rules: the email must be a valid address and not registered yet, in any letter
    case; the password must pass the password policy (length, not common, not the
    email). Only the argon2 hash is stored. Nothing is stored when a rule fails.
    """

    def __init__(self, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock

    def execute(self, command: RegisterUserCommand) -> User:
        email = EmailAddress(command.email)
        check_password(command.password, email)
        with self._uow as uow:
            if uow.users.get_by_email(email) is not None:
                raise EmailAlreadyRegistered()
            user = User.register(email, self._hasher.hash(command.password), self._clock.now())
            uow.users.add(user)
            uow.commit()
        return user
