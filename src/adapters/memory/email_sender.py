from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from itertools import count

from application.email_message import EmailMessage
from application.ports import Clock, EmailSender
from domain.errors import EmailDeliveryFailed


@dataclass(frozen=True)
class SentEmail:
    """What the fake's mail server took: the message, as the SMTP adapter would send it."""

    message: EmailMessage
    mail_from: str
    message_id: str
    sent_at: datetime | None


class InMemoryEmailSender(EmailSender):
    """Keeps every message it is given, in order, in `sent`.

    Plays the mail server's failures too: `available = False` is an outage (every send
    fails, not permanently, until it is True again); `refuse(address)` makes the server
    refuse that recipient for good (a permanent failure), as a 5xx would.
    """

    def __init__(
        self, mail_from: str = "Premium Notes <notes@example.com>", clock: Clock | None = None
    ) -> None:
        self.mail_from = mail_from
        self.clock = clock
        self.sent: list[SentEmail] = []
        self.available = True
        self.attempts = 0
        self._refused: set[str] = set()
        self._ids = count(1)
        self._domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"

    def refuse(self, address: str) -> None:
        self._refused.add(address.lower())

    def send(self, message: EmailMessage) -> None:
        self.attempts += 1
        if not self.available:
            raise EmailDeliveryFailed("the in-memory mail server is down")
        if str(message.to) in self._refused:
            raise EmailDeliveryFailed("the recipient was refused: 550", permanent=True)
        message_id = message.header("Message-ID") or f"<{next(self._ids)}@{self._domain}>"
        sent_at = self.clock.now() if self.clock is not None else None
        self.sent.append(SentEmail(message, self.mail_from, message_id, sent_at))

    def to(self, address: str) -> list[EmailMessage]:
        """The messages sent to `address`, oldest first."""
        return [s.message for s in self.sent if str(s.message.to) == address.lower()]
