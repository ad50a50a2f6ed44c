from dataclasses import dataclass
from datetime import datetime
from functools import partial

from application.mail import Mailer
from application.ports import Clock, PasswordHasher, UnitOfWork
from application.retry import write
from domain.account_tokens import TokenPurpose, issue
from domain.email import EmailAddress
from domain.errors import CurrentPasswordWrong, EmailUnchanged
from domain.password_policy import MAX_LENGTH


@dataclass(frozen=True)
class RequestEmailChangeCommand:
    user_id: str
    password: str
    new_email: str


class RequestEmailChange:
    """The signed-in user asks to move the account to another address.

    Rules:
    - the password is needed (`CurrentPasswordWrong`); the new address must be valid
      (`InvalidEmail`) and not the current one (`EmailUnchanged`);
    - nothing changes yet: a link goes to the new address (a day), and the change takes
      effect when it is opened (`VerifyEmail`); a new request replaces the link;
    - whether another account holds the new address is not told to the asker (that
      would tell who has an account), neither by the answer nor by the account's state:
      the change waits for its link in both cases, but for a taken address the link is
      never sent (the change cannot complete) and that address is told instead (at most
      one such email an hour to each taken address, whoever asks);
    - the email goes through the outbox, in the same transaction as the token.
    """

    def __init__(
        self, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock, mailer: Mailer
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._mailer = mailer

    def execute(self, command: RequestEmailChangeCommand) -> str:
        """Returns the new address, as normalised."""
        new = EmailAddress(command.new_email)
        with self._uow.reading() as uow:
            user = uow.users.require(command.user_id)
        password = command.password if len(command.password) <= MAX_LENGTH else ""
        if not self._hasher.verify(user.password_hash, password):
            raise CurrentPasswordWrong()
        if new == user.email:
            raise EmailUnchanged()
        write(self._uow, partial(self._request, command.user_id, new, self._clock.now()))
        return new.value

    def _request(self, user_id: str, new: EmailAddress, now: datetime, uow: UnitOfWork) -> None:
        user = uow.users.require(user_id)
        # The change waits for its link either way, so the account (its settings page)
        # looks the same whether or not the address is taken.
        issued = issue(TokenPurpose.CHANGE_EMAIL, user.id, now, address=new)
        user.hold_token(issued.token)
        uow.users.save(user)
        holder = uow.users.get_by_email(new)
        if holder is not None:
            # The link is never sent: this change cannot complete (and `VerifyEmail`
            # would refuse it anyway); the address's owner is told instead. Keyed by
            # that account (so by the address) and the hour, whoever asks: each taken
            # address is told at most once an hour, and each one asked for is told.
            # The email is the holder's (it goes with the holder's account).
            message = self._mailer.compose("email_change_taken", new, {"email": new.value})
            key = f"email-change-taken:{holder.id}:{now:%Y%m%d%H}"
            self._mailer.queue(uow, key, message, now, owner=holder.id)
            return
        link = self._mailer.links.verify_email(issued.link_token)
        message = self._mailer.compose(
            "email_change", new, {"link": link, "old_email": user.email.value}
        )
        self._mailer.queue(
            uow, f"email-change:{user.id}:{issued.short_id}", message, now, owner=user.id
        )
