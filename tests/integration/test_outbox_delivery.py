"""The outbox on a real database, delivered over real SMTP to the local mail server."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapters.mail import SmtpEmailSender, SmtpServer
from adapters.memory import InMemoryEmailSender, ManualClock
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.email_message import EmailMessage
from application.ports import OutboxEntry, OutboxStatus
from application.use_cases.deliver_outbox import (
    RETRY_DELAYS,
    DeliverOutbox,
    DeliverOutboxCommand,
)
from domain.email import EmailAddress
from local_mail import MailServer
from tests.support.local_inbox import LocalInbox
from tests.support.local_run import free_port

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
FROM = "Premium Notes <notes@example.com>"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def session_factory(request: pytest.FixtureRequest) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.getfixturevalue(f"{request.param}_session_factory")
    return factory


def _add(factory: sessionmaker[Session], *causes: str) -> None:
    with SqlAlchemyUnitOfWork(factory) as uow:
        for cause in causes:
            message = EmailMessage(
                EmailAddress("ann@example.com"),
                f"Notice {cause}",
                f"Open https://notes.example/{cause}",
                f'<a href="https://notes.example/{cause}">Open</a>',
            )
            uow.outbox.add(OutboxEntry(cause, message, T0))
        uow.commit()


def _deliverer(factory: sessionmaker[Session], url: str, clock: ManualClock) -> DeliverOutbox:
    sender = SmtpEmailSender(SmtpServer.from_url(url), FROM, timeout=5)
    return DeliverOutbox(
        SqlAlchemyUnitOfWork(factory), sender, clock, message_id_domain="example.com"
    )


def test_an_entry_reaches_the_inbox_once_even_after_an_outage(
    session_factory: sessionmaker[Session], mail_server: MailServer, local_inbox: LocalInbox
) -> None:
    clock = ManualClock(T0)
    _add(session_factory, "payment-failed:evt_1")
    down = _deliverer(session_factory, f"smtp://127.0.0.1:{free_port()}", clock)
    assert list(down.execute(DeliverOutboxCommand()).retrying) == ["payment-failed:evt_1"]
    assert local_inbox.messages() == []

    up = _deliverer(session_factory, mail_server.smtp_url, clock)
    assert up.execute(DeliverOutboxCommand()).sent == []  # its next attempt is later
    clock.advance(RETRY_DELAYS[0])
    assert up.execute(DeliverOutboxCommand()).sent == ["payment-failed:evt_1"]
    assert up.execute(DeliverOutboxCommand()).sent == []
    [message] = local_inbox.wait_for(1)
    assert message["subject"] == "Notice payment-failed:evt_1"
    assert message["links"] == ["https://notes.example/payment-failed:evt_1"]
    assert dict(message["headers"])["Message-ID"].startswith("<outbox.")
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        [entry] = uow.outbox.list()
    assert (entry.status, entry.attempts, entry.sent_at) == (
        OutboxStatus.SENT,
        2,
        T0 + RETRY_DELAYS[0],
    )
    assert entry.last_error is None


def test_deliverers_at_once_send_each_entry_once(
    session_factory: sessionmaker[Session], mail_server: MailServer, local_inbox: LocalInbox
) -> None:
    causes = [f"welcome:{n:02}" for n in range(12)]
    _add(session_factory, *causes)
    clock = ManualClock(T0 + timedelta(seconds=1))
    start = threading.Barrier(3, timeout=10)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            _deliverer(session_factory, mail_server.smtp_url, clock).execute(DeliverOutboxCommand())
        except BaseException as error:  # reported below, not lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    subjects = sorted(m["subject"] for m in local_inbox.wait_for(len(causes)))
    assert subjects == [f"Notice {cause}" for cause in causes]


class _OwnerGoneWhileSending(InMemoryEmailSender):
    """The first message's owner deletes the account (its entries discarded, in a
    transaction of its own) while the server takes that message."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        super().__init__()
        self._factory = factory
        self._done = False

    def send(self, message: EmailMessage) -> None:
        super().send(message)
        if not self._done:
            self._done = True
            with SqlAlchemyUnitOfWork(self._factory) as uow:
                assert uow.outbox.discard_of("u_ann") == 1
                uow.commit()


def test_an_entry_discarded_while_it_is_sent_does_not_stop_the_others(
    session_factory: sessionmaker[Session],
) -> None:
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        for cause, owner in (("welcome:ann", "u_ann"), ("welcome:bob", "u_bob")):
            message = EmailMessage(EmailAddress(f"{owner[2:]}@example.com"), cause, cause)
            uow.outbox.add(OutboxEntry(cause, message, T0, owner=owner))
        uow.commit()
    sender = _OwnerGoneWhileSending(session_factory)
    deliverer = DeliverOutbox(SqlAlchemyUnitOfWork(session_factory), sender, ManualClock(T0))

    report = deliverer.execute(DeliverOutboxCommand())

    assert (report.discarded, report.sent) == (["welcome:ann"], ["welcome:ann", "welcome:bob"])
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        assert [(e.id, e.status) for e in uow.outbox.list()] == [("welcome:bob", OutboxStatus.SENT)]
