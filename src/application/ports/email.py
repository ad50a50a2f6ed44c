"""Email: sending one message now, and making messages from templates."""

import abc
from collections.abc import Mapping

from application.email_message import EmailMessage
from domain.email import EmailAddress


class EmailSender(abc.ABC):
    """Sends one email now, from the configured sender.

    - `send` returns once the mail server has taken the message (SMTP: 250 after DATA);
      delivering it further is then the server's job.
    - Every failure raises `EmailDeliveryFailed` (unreachable, timed out, TLS, log-in, a
      refused sender, recipient or content), never another exception; its text holds no
      credential. `permanent` says whether sending the same message again can work.
    - Not idempotent: a message sent twice arrives twice (the outbox sends each once).
    - The message arrives From the configured sender, To its address, with a Date and a
      Message-ID (its own when its headers name one, else a new one), its extra headers,
      and its text and HTML as alternatives of one another.
    """

    @abc.abstractmethod
    def send(self, message: EmailMessage) -> None: ...


class EmailRenderer(abc.ABC):
    """Messages made from templates, one template per kind of message.

    `render(name, to, context)` gives message `name` for `to`: its subject, text and
    (when the template has one) HTML part, filled from `context`. Values are escaped in
    the HTML part, never in the text. An unknown `name`, or a value the template uses
    that `context` lacks, raises `LookupError` naming it: a message never goes out with
    a hole in it.
    """

    @abc.abstractmethod
    def render(
        self, name: str, to: EmailAddress, context: Mapping[str, object]
    ) -> EmailMessage: ...
