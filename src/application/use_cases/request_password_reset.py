from dataclasses import dataclass
from datetime import datetime
from functools import partial

from application.email_message import EmailMessage
from application.mail import Mailer
from application.ports import Clock, UnitOfWork
from application.retry import write
from domain.account_tokens import IssuedToken, TokenPurpose, issue
from domain.email import EmailAddress
from domain.user import new_user_id


@dataclass(frozen=True)
class RequestPasswordResetCommand:
    email: str


class RequestPasswordReset:
    """Email a link that sets a new password, to an address that has an account.

    Rules:
    - the answer is the same whether or not the address has an account (nothing is
      returned; only a malformed address is refused, `InvalidEmail`), and so is the
      work: a token is made, the email is made from its template and one transaction
      commits either way; only with an account is anything written;
    - the link works once, for an hour, and only the latest one sent works (a new
      request replaces it); setting a new password by any way ends it too;
    - the email goes to the account's address through the outbox, written in the same
      transaction as the token.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, mailer: Mailer) -> None:
        self._uow = uow
        self._clock = clock
        self._mailer = mailer

    def execute(self, command: RequestPasswordResetCommand) -> None:
        email = EmailAddress(command.email)
        write(self._uow, partial(self._request, email, self._clock.now()))

    def _request(self, email: EmailAddress, now: datetime, uow: UnitOfWork) -> None:
        user = uow.users.get_by_email(email)
        # Made for an address without an account too (a made-up user id), then dropped.
        issued = issue(TokenPurpose.RESET_PASSWORD, user.id if user else new_user_id(), now)
        message = self._message(email, issued)
        if user is None:
            return
        user.hold_token(issued.token)
        uow.users.save(user)
        self._mailer.queue(
            uow, f"password-reset:{user.id}:{issued.short_id}", message, now, owner=user.id
        )

    def _message(self, email: EmailAddress, issued: IssuedToken) -> EmailMessage:
        link = self._mailer.links.reset_password(issued.link_token)
        return self._mailer.compose("password_reset", email, {"link": link})
