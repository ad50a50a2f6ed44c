import hashlib
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial

from application.email_message import EmailMessage
from application.ports import Clock, EmailSender, OutboxEntry, OutboxStatus, UnitOfWork
from application.retry import write
from domain.errors import EmailDeliveryFailed

log = logging.getLogger(__name__)

# After the 1st, 2nd, ... failed attempt: about three and a half days of tries in all,
# so a mail server down over a weekend loses nothing.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
    timedelta(hours=36),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Longer than one send can take (a few 10-second SMTP time-outs).
LEASE = timedelta(minutes=5)
# What a done entry keeps of its text: its links (a password reset's) must not outlive
# the send in the database, where a backup or a replica would hold them in clear.
TEXT_NOT_KEPT = "(Not kept once sent or given up: it may hold a link that works.)"


@dataclass(frozen=True)
class DeliverOutboxCommand:
    limit: int = 100


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    retrying: dict[str, str] = field(default_factory=dict)
    given_up: dict[str, str] = field(default_factory=dict)
    taken: list[str] = field(default_factory=list)  # claimed by another deliverer first
    discarded: list[str] = field(default_factory=list)  # its account deleted meanwhile


class DeliverOutbox:
    """Send the outbox's due emails, each exactly once as far as this side can tell.

    Rules:
    - the due entries (pending, their next attempt reached, unclaimed), oldest first,
      at most `limit`;
    - each is claimed for LEASE in a transaction of its own before it is sent, so two
      deliverers never send one entry; a deliverer that dies leaves a claim that runs
      out, and the entry is sent then;
    - sent: marked sent in a transaction of its own. Were that commit lost after the
      server took the message, the entry goes again when its lease ends (at least once,
      never lost), under the same Message-ID, made from the entry's id, so mail clients
      can tell it is one message;
    - a failure worth retrying: counted, the next attempt scheduled RETRY_DELAYS later,
      the reason kept; a permanent one (the recipient refused), or a failed last
      attempt (MAX_ATTEMPTS): given up, marked failed with the reason, never sent again;
    - one entry's failure does not stop the others;
    - an entry discarded while it is sent (its account deleted: `discard_of`) stays
      gone: nothing is written back for it, and the others go on;
    - an entry done (sent, or given up) keeps who, what and when (recipient, subject,
      headers, times, the reason), never its text or HTML: they may hold a link that
      works (a password reset), which a copy of the database must not open.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        sender: EmailSender,
        clock: Clock,
        *,
        message_id_domain: str = "localhost",
    ) -> None:
        self._uow = uow
        self._sender = sender
        self._clock = clock
        self._domain = message_id_domain

    def execute(self, command: DeliverOutboxCommand) -> DeliveryReport:
        report = DeliveryReport()
        with self._uow.reading() as uow:
            due = [entry.id for entry in uow.outbox.due(self._clock.now(), command.limit)]
        for entry_id in due:
            entry = write(self._uow, partial(self._claim, entry_id, self._clock.now()))
            if entry is None:
                report.taken.append(entry_id)
                continue
            self._deliver(entry, report)
        return report

    @staticmethod
    def _claim(entry_id: str, now: datetime, uow: UnitOfWork) -> OutboxEntry | None:
        return uow.outbox.claim(entry_id, now, now + LEASE)

    def _deliver(self, entry: OutboxEntry, report: DeliveryReport) -> None:
        attempts = entry.attempts + 1
        try:
            self._sender.send(self._with_message_id(entry))
        except EmailDeliveryFailed as error:
            reason = error.detail or error.message
            if error.permanent or attempts >= MAX_ATTEMPTS:
                done = replace(
                    entry,
                    message=_without_body(entry.message),
                    status=OutboxStatus.FAILED,
                    attempts=attempts,
                    claimed_until=None,
                    last_error=reason,
                )
                report.given_up[entry.id] = reason
            else:
                done = replace(
                    entry,
                    attempts=attempts,
                    next_attempt_at=self._clock.now() + RETRY_DELAYS[attempts - 1],
                    claimed_until=None,
                    last_error=reason,
                )
                report.retrying[entry.id] = reason
        else:
            done = replace(
                entry,
                message=_without_body(entry.message),
                status=OutboxStatus.SENT,
                attempts=attempts,
                claimed_until=None,
                sent_at=self._clock.now(),
                last_error=None,
            )
            report.sent.append(entry.id)
        try:
            write(self._uow, partial(_save, done))
        except LookupError:
            if self._still_there(entry.id):
                raise
            log.info("outbox entry %s was discarded while it was sent", entry.id)
            report.discarded.append(entry.id)

    def _still_there(self, entry_id: str) -> bool:
        with self._uow.reading() as uow:
            return uow.outbox.get(entry_id) is not None

    def _with_message_id(self, entry: OutboxEntry) -> EmailMessage:
        message = entry.message
        if message.header("Message-ID") is not None:
            return message
        digest = hashlib.sha256(entry.id.encode()).hexdigest()[:32]
        message_id = f"<outbox.{digest}@{self._domain}>"
        return replace(message, headers=(*message.headers, ("Message-ID", message_id)))


def _without_body(message: EmailMessage) -> EmailMessage:
    return replace(message, text=TEXT_NOT_KEPT, html=None)


def _save(entry: OutboxEntry, uow: UnitOfWork) -> None:
    uow.outbox.save(entry)
