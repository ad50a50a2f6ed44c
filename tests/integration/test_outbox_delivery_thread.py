"""The outbox sent from the web process: woken by commits, in a thread of its own, polling
while a retry waits, gone when idle, and a commit never waits for it."""

import threading
import time
from pathlib import Path

import pytest
from flask import Flask

from adapters.mail import SmtpServer
from application.email_message import EmailMessage
from application.ports import OutboxEntry, OutboxStatus
from application.use_cases.deliver_outbox import DeliveryReport
from domain.email import EmailAddress
from entrypoints.flask_app import create_app
from entrypoints.outbox_delivery import OutboxDeliveryThread
from local_mail import MailServer
from tests.e2e.conftest import sqlite_settings
from tests.support.local_inbox import LocalInbox
from tests.support.local_run import wait_until


class Deliverer:
    """Plays `DeliverOutbox`: `due` entries are sent at the next round; `failing` fail."""

    def __init__(self) -> None:
        self.due: list[str] = []
        self.failing: set[str] = set()
        self.sent: list[str] = []
        self.broken = False
        self.lock = threading.Lock()

    def __call__(self) -> DeliveryReport:
        if self.broken:
            raise RuntimeError("the database is down")
        with self.lock:
            report = DeliveryReport()
            for entry in self.due:
                if entry in self.failing:
                    report.retrying[entry] = "mail server down"
                else:
                    report.sent.append(entry)
                    self.sent.append(entry)
            self.due = [e for e in self.due if e in self.failing]
            return report

    def waiting(self) -> bool:
        return bool(self.due)


@pytest.fixture
def deliverer() -> Deliverer:
    return Deliverer()


def thread_of(deliverer: Deliverer, **timing: float) -> OutboxDeliveryThread:
    return OutboxDeliveryThread(deliverer, deliverer.waiting, **timing)


def test_a_wake_sends_what_is_due_from_another_thread(deliverer: Deliverer) -> None:
    sender = thread_of(deliverer)
    deliverer.due = ["verify-email:ann"]
    started = time.perf_counter()
    sender.wake()
    assert time.perf_counter() - started < 0.05  # the committer does not wait
    assert wait_until(lambda: deliverer.sent == ["verify-email:ann"], 5)
    sender.stop()


def test_a_waiting_retry_is_tried_again_until_it_goes(deliverer: Deliverer) -> None:
    sender = thread_of(deliverer, retry_poll=0.05, idle_exit=5)
    deliverer.due = ["payment-failed:in_1"]
    deliverer.failing = {"payment-failed:in_1"}
    sender.wake()
    assert wait_until(lambda: sender.rounds >= 3, 5)  # polled, unwoken
    assert deliverer.sent == []
    deliverer.failing = set()  # the mail server is back
    assert wait_until(lambda: deliverer.sent == ["payment-failed:in_1"], 5)
    sender.stop()


def test_an_idle_thread_ends_and_the_next_wake_starts_another(deliverer: Deliverer) -> None:
    sender = thread_of(deliverer, idle_exit=0.1)
    sender.wake()
    assert wait_until(lambda: sender._thread is None, 5)
    deliverer.due = ["later"]
    sender.wake()
    assert wait_until(lambda: deliverer.sent == ["later"], 5)
    sender.stop()


def test_a_failure_is_logged_and_the_next_wake_tries_again(
    deliverer: Deliverer, caplog: pytest.LogCaptureFixture
) -> None:
    sender = thread_of(deliverer, retry_poll=0.05)
    deliverer.broken = True
    deliverer.due = ["a"]
    sender.wake()
    assert wait_until(lambda: "outbox delivery failed" in caplog.text, 5)
    deliverer.broken = False
    assert wait_until(lambda: deliverer.sent == ["a"], 5)
    sender.stop()


def test_many_wakes_at_once_are_one_delivery(deliverer: Deliverer) -> None:
    sender = thread_of(deliverer)
    deliverer.due = ["a", "b"]
    with deliverer.lock:  # the first round waits while the wakes pile up
        for _ in range(50):
            sender.wake()
    assert wait_until(lambda: deliverer.sent == ["a", "b"], 5)
    time.sleep(0.1)
    assert sender.rounds <= 4
    sender.stop()


def test_waking_if_waiting_sends_what_waits_and_ends_at_once_when_nothing_does(
    deliverer: Deliverer,
) -> None:
    idle = thread_of(deliverer, idle_exit=5)
    started = time.perf_counter()
    idle.wake_if_waiting()
    assert time.perf_counter() - started < 0.05  # start-up does not wait
    assert wait_until(lambda: idle._thread is None, 1)  # not five idle minutes
    assert idle.rounds == 0

    deliverer.due = ["verify-email:ann"]  # left by a process that died
    sender = thread_of(deliverer, idle_exit=5)
    sender.wake_if_waiting()
    assert wait_until(lambda: deliverer.sent == ["verify-email:ann"], 5)
    sender.stop()


def test_a_wake_while_starting_up_is_not_lost(deliverer: Deliverer) -> None:
    sender = thread_of(deliverer, idle_exit=5)
    with deliverer.lock:
        sender.wake_if_waiting()  # nothing waits yet
        deliverer.due = ["a"]
        sender.wake()  # a commit meanwhile
    assert wait_until(lambda: deliverer.sent == ["a"], 5)
    sender.stop()


def _notice(app: Flask) -> None:
    container = app.extensions["container"]
    message = EmailMessage(EmailAddress("ann@example.com"), "Hello", "Hello there.")
    with container.uow() as uow:
        uow.outbox.add(OutboxEntry("notice:1", message, container.clock().now()))
        uow.commit()


def test_in_the_app_a_commit_that_writes_mail_sends_it_without_a_command(
    tmp_path: Path, mail_server: MailServer, local_inbox: LocalInbox
) -> None:
    smtp = SmtpServer.from_url(mail_server.smtp_url)
    app = create_app(sqlite_settings(tmp_path, smtp_server=smtp))
    _notice(app)
    [message] = local_inbox.wait_for(1)
    assert message["subject"] == "Hello"
    container = app.extensions["container"]
    assert wait_until(lambda: _status(app) is OutboxStatus.SENT, 5)
    container.outbox_delivery().stop()


def test_mail_left_pending_by_a_process_that_died_goes_when_the_app_starts_again(
    tmp_path: Path, mail_server: MailServer, local_inbox: LocalInbox
) -> None:
    """Not at some unrelated later commit: nothing here writes another email. (The process
    that died had no sender at all: that leaves the entry as a killed one does.)"""
    _notice(create_app(sqlite_settings(tmp_path)))
    assert _status(create_app(sqlite_settings(tmp_path))) is OutboxStatus.PENDING

    smtp = SmtpServer.from_url(mail_server.smtp_url)
    app = create_app(sqlite_settings(tmp_path, smtp_server=smtp))
    try:
        [message] = local_inbox.wait_for(1)
        assert message["subject"] == "Hello"
        assert wait_until(lambda: _status(app) is OutboxStatus.SENT, 5)
    finally:
        app.extensions["container"].outbox_delivery().stop()


def test_without_smtp_url_the_mail_waits_in_the_outbox(tmp_path: Path) -> None:
    app = create_app(sqlite_settings(tmp_path))
    _notice(app)
    time.sleep(0.2)
    assert _status(app) is OutboxStatus.PENDING


def _status(app: Flask) -> OutboxStatus | None:
    with app.extensions["container"].uow().reading() as uow:
        entry = uow.outbox.get("notice:1")
    return entry.status if entry else None
