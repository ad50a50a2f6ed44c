"""Emails the use cases write: made from templates, added to the outbox in the caller's
transaction, and the links they carry."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from application.email_message import EmailMessage
from application.ports import EmailRenderer, OutboxEntry, UnitOfWork
from domain.email import EmailAddress


@dataclass(frozen=True)
class SiteLinks:
    """Absolute links to the site's pages, for emails (which have no request to be
    relative to). `base_url` is the public address (BASE_URL), never a request's Host
    header, which anyone can set: a reset link must not point elsewhere.

    The paths are the web entrypoint's routes (tests/e2e check each one resolves).
    """

    base_url: str

    def _url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def verify_email(self, link_token: str) -> str:
        return self._url(f"/verify-email/{link_token}")

    def reset_password(self, link_token: str) -> str:
        return self._url(f"/reset-password/{link_token}")

    def forgot_password(self) -> str:
        return self._url("/reset-password")

    def log_in(self) -> str:
        return self._url("/login")

    def account(self) -> str:
        return self._url("/account")

    def settings(self) -> str:
        return self._url("/account/settings")

    def fix_payment(self) -> str:
        """Opens the billing portal after log-in."""
        return self._url("/billing-portal")

    def pricing(self) -> str:
        return self._url("/pricing")

    def home(self) -> str:
        return self._url("/")


@dataclass(frozen=True)
class Mailer:
    """Writes emails to the outbox.

    `compose` makes a message from its template (`EmailRenderer`), with `links` and
    `site_url` in every template's context; `queue` adds one under the key of its cause
    to the caller's unit of work: it is sent only if that transaction commits, once
    however often the cause runs (`Outbox.add`); `owner` is the user whose email it is
    (deleting the account deletes it).
    """

    renderer: EmailRenderer
    links: SiteLinks

    def compose(
        self, template: str, to: EmailAddress, context: Mapping[str, object]
    ) -> EmailMessage:
        values = {"links": self.links, "site_url": self.links.home(), **context}
        return self.renderer.render(template, to, values)

    @staticmethod
    def queue(
        uow: UnitOfWork, key: str, message: EmailMessage, now: datetime, *, owner: str | None
    ) -> None:
        uow.outbox.add(OutboxEntry(key, message, now, owner=owner))
