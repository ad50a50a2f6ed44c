"""DeliverOutbox against the fakes: one email per cause, none lost to an outage."""

import threading
from dataclasses import dataclass
from datetime import timedelta

import pytest

from adapters.memory import InMemoryEmailSender, InMemoryUnitOfWork, ManualClock
from application.email_message import EmailMessage
from application.ports import OutboxEntry, OutboxStatus
from application.use_cases.deliver_outbox import (
    LEASE,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    TEXT_NOT_KEPT,
    DeliverOutbox,
    DeliverOutboxCommand,
    DeliveryReport,
)
from domain.email import EmailAddress
from domain.user import User
from tests.unit.builders import T0


@dataclass
class Post:
    clock: ManualClock
    uow: InMemoryUnitOfWork
    sender: InMemoryEmailSender

    def deliver(self, limit: int = 100) -> DeliveryReport:
        deliverer = DeliverOutbox(self.uow, self.sender, self.clock, message_id_domain="x.io")
        return deliverer.execute(DeliverOutboxCommand(limit))

    def cause(self, cause: str, to: str = "ann@example.com", *, owned: bool = False) -> None:
        """A change and its notice, in one transaction (a registration, say); `owned`:
        the notice is the account's (deleting the account deletes it)."""
        with self.uow as uow:
            user = uow.users.get_by_email(EmailAddress(to))
            if user is None:
                user = User.register(EmailAddress(to), "fake$v1$s$d", self.clock.now())
                uow.users.add(user)
            message = EmailMessage(EmailAddress(to), f"About {cause}", f"Text of {cause}.")
            owner = user.id if owned else None
            uow.outbox.add(OutboxEntry(cause, message, self.clock.now(), owner=owner))
            uow.commit()

    def entry(self, entry_id: str) -> OutboxEntry:
        with self.uow as uow:
            entry = uow.outbox.get(entry_id)
        assert entry is not None
        return entry


@pytest.fixture
def post() -> Post:
    return Post(ManualClock(T0), InMemoryUnitOfWork(), InMemoryEmailSender())


def test_a_due_entry_is_sent_once_and_marked_sent(post: Post) -> None:
    post.cause("welcome:ann")
    assert post.deliver().sent == ["welcome:ann"]
    assert post.deliver() == DeliveryReport()
    [sent] = post.sender.sent
    assert sent.message.subject == "About welcome:ann"
    entry = post.entry("welcome:ann")
    assert (entry.status, entry.attempts, entry.sent_at) == (OutboxStatus.SENT, 1, T0)
    assert entry.claimed_until is None


def test_a_cause_that_runs_twice_sends_one_email(post: Post) -> None:
    post.cause("payment-failed:evt_1")
    post.cause("payment-failed:evt_1")  # the same event, delivered twice
    post.deliver()
    post.cause("payment-failed:evt_1")  # replayed after the email went
    post.deliver()
    assert [s.message.subject for s in post.sender.sent] == ["About payment-failed:evt_1"]


def test_an_outage_loses_nothing_the_email_goes_once_the_server_is_back(post: Post) -> None:
    post.cause("payment-failed:evt_1")
    post.sender.available = False
    report = post.deliver()
    assert report.retrying == {"payment-failed:evt_1": "the in-memory mail server is down"}
    entry = post.entry("payment-failed:evt_1")
    assert (entry.status, entry.attempts) == (OutboxStatus.PENDING, 1)
    assert entry.next_attempt_at == T0 + RETRY_DELAYS[0]
    assert entry.last_error == "the in-memory mail server is down"

    post.sender.available = True
    assert post.deliver() == DeliveryReport()  # not before its next attempt
    post.clock.advance(RETRY_DELAYS[0])
    assert post.deliver().sent == ["payment-failed:evt_1"]
    assert len(post.sender.sent) == 1
    assert post.entry("payment-failed:evt_1").last_error is None


def test_retries_wait_longer_each_time_then_give_up(post: Post) -> None:
    post.cause("welcome:ann")
    post.sender.available = False
    for attempt in range(1, MAX_ATTEMPTS):
        assert post.deliver().retrying
        entry = post.entry("welcome:ann")
        assert entry.attempts == attempt
        assert entry.next_attempt_at == post.clock.now() + RETRY_DELAYS[attempt - 1]
        post.clock.advance(RETRY_DELAYS[attempt - 1])
    assert post.deliver().given_up == {"welcome:ann": "the in-memory mail server is down"}
    assert post.entry("welcome:ann").status is OutboxStatus.FAILED
    assert sum(RETRY_DELAYS, timedelta()) > timedelta(days=3)  # a long weekend's outage
    post.sender.available = True
    post.clock.advance(timedelta(days=30))
    assert post.deliver() == DeliveryReport()
    assert post.sender.attempts == MAX_ATTEMPTS


def test_a_refused_recipient_is_given_up_at_once_and_the_others_still_go(post: Post) -> None:
    post.cause("welcome:bad", to="bad@example.com")
    post.cause("welcome:ann")
    post.sender.refuse("bad@example.com")
    report = post.deliver()
    assert report.given_up == {"welcome:bad": "the recipient was refused: 550"}
    assert report.sent == ["welcome:ann"]
    entry = post.entry("welcome:bad")
    assert (entry.status, entry.attempts) == (OutboxStatus.FAILED, 1)


def test_an_entry_done_keeps_who_what_and_when_but_not_its_text(post: Post) -> None:
    """Its text may hold a link that works (a reset): a copy of the database must not."""
    with post.uow as uow:
        message = EmailMessage(
            EmailAddress("ann@example.com"), "Reset", "Open /reset/secret", html="<a>secret</a>"
        )
        uow.outbox.add(OutboxEntry("password-reset:ann", message, T0, owner="ann"))
        uow.commit()
    post.cause("welcome:bad", to="bad@example.com")
    post.sender.refuse("bad@example.com")
    waiting = post.entry("password-reset:ann")
    assert "secret" in waiting.message.text  # pending: it must still be sent

    post.deliver()

    assert "secret" in post.sender.sent[0].message.text  # sent in full
    for entry_id in ("password-reset:ann", "welcome:bad"):
        done = post.entry(entry_id)
        assert done.status in (OutboxStatus.SENT, OutboxStatus.FAILED)
        assert done.message.text == TEXT_NOT_KEPT and done.message.html is None
    sent = post.entry("password-reset:ann")
    assert (str(sent.message.to), sent.message.subject, sent.owner) == (
        "ann@example.com",
        "Reset",
        "ann",
    )
    assert sent.sent_at == T0


def test_each_entry_carries_a_message_id_of_its_own_that_retries_keep(post: Post) -> None:
    post.cause("a")
    post.cause("b")
    post.deliver()
    ids = [s.message_id for s in post.sender.sent]
    assert len(set(ids)) == 2
    assert all(i.startswith("<outbox.") and i.endswith("@x.io>") for i in ids)
    # The same entry sent again (a lost "sent" mark) has the same id.
    again = Post(post.clock, InMemoryUnitOfWork(), InMemoryEmailSender())
    again.cause("a")
    again.deliver()
    assert again.sender.sent[0].message_id == ids[0]


def test_an_entry_claimed_by_a_deliverer_that_died_goes_when_its_lease_ends(post: Post) -> None:
    post.cause("welcome:ann")
    with post.uow as uow:
        assert uow.outbox.claim("welcome:ann", T0, T0 + LEASE) is not None
        uow.commit()  # ...and the deliverer died before sending
    assert post.deliver() == DeliveryReport()
    post.clock.advance(LEASE)
    assert post.deliver().sent == ["welcome:ann"]


def test_the_limit_bounds_one_run_oldest_first(post: Post) -> None:
    for n in range(5):
        post.cause(f"n{n}")
        post.clock.advance(timedelta(seconds=1))
    assert post.deliver(limit=2).sent == ["n0", "n1"]
    assert post.deliver().sent == ["n2", "n3", "n4"]


def test_deliverers_running_at_once_send_every_email_once(post: Post) -> None:
    for n in range(30):
        post.cause(f"n{n:02}", to=f"u{n}@example.com")
    reports: list[DeliveryReport] = []
    start = threading.Barrier(3, timeout=5)

    def deliverer() -> None:
        start.wait()
        reports.append(post.deliver())

    threads = [threading.Thread(target=deliverer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    sent = sorted(s.message.subject for s in post.sender.sent)
    assert sent == sorted(f"About n{n:02}" for n in range(30))
    assert sorted(i for r in reports for i in r.sent) == [f"n{n:02}" for n in range(30)]


class _AccountDeletedWhileSending(InMemoryEmailSender):
    """The first recipient's account is deleted (DeleteAccount discards its outbox
    entries, `discard_of`) while the mail server takes its message."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        super().__init__()
        self._uow = uow
        self._done = False

    def send(self, message: EmailMessage) -> None:
        super().send(message)
        if not self._done:
            self._done = True
            with self._uow as uow:
                user = uow.users.get_by_email(message.to)
                assert user is not None
                uow.outbox.discard_of(user.id)
                uow.commit()


def test_an_account_deleted_while_its_email_is_sent_does_not_stop_the_others() -> None:
    uow = InMemoryUnitOfWork()
    post = Post(ManualClock(T0), uow, _AccountDeletedWhileSending(uow))
    post.cause("welcome:ann", to="ann@example.com", owned=True)
    post.cause("welcome:bob", to="bob@example.com", owned=True)

    report = post.deliver()  # raised LookupError (save() of ann's entry) before

    assert report.discarded == ["welcome:ann"]
    assert "welcome:bob" in report.sent
    assert post.entry("welcome:bob").status is OutboxStatus.SENT
    assert [s.message.to for s in post.sender.sent] == [
        EmailAddress("ann@example.com"),
        EmailAddress("bob@example.com"),
    ]
    with uow as reading:
        assert reading.outbox.get("welcome:ann") is None  # not written back
