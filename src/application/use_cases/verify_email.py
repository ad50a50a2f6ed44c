import enum
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from application.mail import Mailer
from application.ports import Clock, PaymentGateway, UnitOfWork
from application.retry import write
from domain.account_tokens import AccountToken, TokenPurpose, parse_link_token
from domain.email import EmailAddress
from domain.errors import (
    CustomerMissing,
    EmailAlreadyRegistered,
    InvalidLink,
    PaymentProviderError,
)
from domain.user import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifyEmailCommand:
    link_token: str


class Verified(enum.StrEnum):
    ADDRESS = "address"  # the account's own address is proven
    NEW_ADDRESS = "new_address"  # a change of email took effect


@dataclass(frozen=True)
class VerifyEmailResult:
    what: Verified
    email: str  # the account's address now
    user_id: str


class VerifyEmail:
    """Open an emailed link that proves an address: the account's own (sent at
    registration, or on request), or the new one of a change of email.

    Rules:
    - the link works once, until it expires, and only the latest of its kind
      (`InvalidLink` otherwise, one answer for every reason);
    - the account's own address: it is verified;
    - a new address: the account moves to it, verified, unless another account holds
      it by now (`EmailAlreadyRegistered`, and the link is used up). The billing
      customer's email at the payment provider follows first: if the provider cannot be
      reached nothing changes (`PaymentProviderError`) and the link still works; a
      customer the provider no longer knows is unlinked and the change goes on. The old
      address is told, in the same transaction (someone who took over the session
      cannot move the account away quietly);
    - a link works whoever opens it: it carries its own proof, no session is needed.
    """

    def __init__(
        self, uow: UnitOfWork, gateway: PaymentGateway | None, clock: Clock, mailer: Mailer
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._mailer = mailer

    def execute(self, command: VerifyEmailCommand) -> VerifyEmailResult:
        user_id, secret = parse_link_token(command.link_token)
        try:
            return write(self._uow, partial(self._open, user_id, secret, self._clock.now()))
        except _Taken as taken:
            write(self._uow, partial(self._drop_change, user_id, taken.token))
        except EmailAlreadyRegistered:  # registered in the same instant: undo at the provider
            self._restore_provider_email(user_id)
        raise EmailAlreadyRegistered(
            "Another account uses that address now, so your email address was not changed."
        )

    def _open(self, user_id: str, secret: str, now: datetime, uow: UnitOfWork) -> VerifyEmailResult:
        user = uow.users.get(user_id)
        if user is None:
            raise InvalidLink()
        for purpose in (TokenPurpose.VERIFY_EMAIL, TokenPurpose.CHANGE_EMAIL):
            try:
                token = user.use_token(purpose, secret, now)
            except InvalidLink:
                continue
            if token.address is None:
                user.verify_email(now)
                uow.users.save(user)
                return VerifyEmailResult(Verified.ADDRESS, user.email.value, user.id)
            self._move(uow, user, token, token.address, now)
            return VerifyEmailResult(Verified.NEW_ADDRESS, user.email.value, user.id)
        raise InvalidLink()

    def _move(
        self, uow: UnitOfWork, user: User, token: AccountToken, new: EmailAddress, now: datetime
    ) -> None:
        holder = uow.users.get_by_email(new)
        if holder is not None and holder.id != user.id:
            raise _Taken(token)
        if user.customer_id is not None:
            if self._gateway is None:
                raise PaymentProviderError()
            try:  # idempotent: a retried transaction sets the same address again
                self._gateway.update_customer_email(user.customer_id, new)
            except CustomerMissing:  # nothing left there to keep in step: unlink it
                log.warning(
                    "user %s: the provider does not know customer %s; unlinked",
                    user.id,
                    user.customer_id,
                )
                user.forget_customer(user.customer_id)
        old = user.email
        user.change_email(new, now)
        uow.users.save(user)
        message = self._mailer.compose(
            "email_changed", old, {"old_email": old.value, "new_email": new.value}
        )
        self._mailer.queue(
            uow, f"email-changed:{user.id}:{token.digest[:16]}", message, now, owner=user.id
        )
        log.info("user %s changed their email address", user.id)

    def _restore_provider_email(self, user_id: str) -> None:
        with self._uow.reading() as uow:
            user = uow.users.get(user_id)
        if user is None or user.customer_id is None or self._gateway is None:
            return
        try:
            self._gateway.update_customer_email(user.customer_id, user.email)
        except PaymentProviderError as error:
            log.warning("user %s: the provider keeps another email: %s", user_id, error)

    @staticmethod
    def _drop_change(user_id: str, token: AccountToken, uow: UnitOfWork) -> None:
        user = uow.users.get(user_id)
        if user is not None and user.tokens.get(TokenPurpose.CHANGE_EMAIL) == token:
            del user.tokens[TokenPurpose.CHANGE_EMAIL]
            uow.users.save(user)


class _Taken(Exception):
    def __init__(self, token: AccountToken) -> None:
        super().__init__("the new address is taken")
        self.token = token
