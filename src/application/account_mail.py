"""Notices about the account itself that several use cases send."""

from datetime import datetime

from application.mail import Mailer
from application.ports import UnitOfWork
from domain.user import User


def queue_password_changed(mailer: Mailer, uow: UnitOfWork, user: User, now: datetime) -> None:
    """The notice that the account's password changed (one per change: the session
    generation names it)."""
    message = mailer.compose(
        "password_changed", user.email, {"reset_link": mailer.links.forgot_password()}
    )
    mailer.queue(
        uow, f"password-changed:{user.id}:{user.session_generation}", message, now, owner=user.id
    )
