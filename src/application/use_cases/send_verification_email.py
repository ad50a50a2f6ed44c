from dataclasses import dataclass
from datetime import datetime
from functools import partial

from application.mail import Mailer
from application.ports import Clock, UnitOfWork
from application.retry import write
from domain.account_tokens import TokenPurpose, issue


@dataclass(frozen=True)
class SendVerificationEmailCommand:
    user_id: str


class SendVerificationEmail:
    """Send the signed-in user a new link that verifies their address ("resend").

    Rules: an address verified already gets nothing (returns False); otherwise a new
    link (two days) replaces the one sent before, and its email goes to the outbox in
    the same transaction (returns True). How often one may ask is the web's rate limit.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, mailer: Mailer) -> None:
        self._uow = uow
        self._clock = clock
        self._mailer = mailer

    def execute(self, command: SendVerificationEmailCommand) -> bool:
        return write(self._uow, partial(self._send, command.user_id, self._clock.now()))

    def _send(self, user_id: str, now: datetime, uow: UnitOfWork) -> bool:
        user = uow.users.require(user_id)
        if user.email_verified:
            return False
        issued = issue(TokenPurpose.VERIFY_EMAIL, user.id, now)
        user.hold_token(issued.token)
        uow.users.save(user)
        link = self._mailer.links.verify_email(issued.link_token)
        message = self._mailer.compose("verify_email", user.email, {"link": link, "welcome": False})
        self._mailer.queue(
            uow, f"verify-email:{user.id}:{issued.short_id}", message, now, owner=user.id
        )
        return True
