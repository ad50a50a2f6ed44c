"""The outbox with a worker (BROKER_URL set): a commit that wrote an email sends the
workers the delivery task instead of waking a thread of the web process; with the broker
down the commit stands and the email waits for the scheduled delivery, which is the same
job (beat sends it every OUTBOX_DELIVERY_INTERVAL_SECONDS)."""

import json
import threading
import time
from pathlib import Path

import redis
from flask import Flask

from adapters.celery_queue import DELIVER_OUTBOX_TASK
from adapters.mail import SmtpServer
from application.email_message import EmailMessage
from application.ports import OutboxEntry, OutboxStatus
from domain.email import EmailAddress
from entrypoints.celery_app import create_celery
from entrypoints.container import Container
from entrypoints.flask_app import create_app
from entrypoints.jobs import scheduled_jobs
from local_mail import MailServer
from tests.e2e.conftest import sqlite_settings
from tests.support.local_inbox import LocalInbox
from tests.support.local_run import free_port, wait_until
from tests.support.redis_server import redis_server


class RecordedWakes:
    """Stands for the web process's delivery thread: counts its wakes."""

    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


def app_with_broker(tmp_path: Path, broker_url: str, mail_server: MailServer) -> Flask:
    settings = sqlite_settings(
        tmp_path, broker_url=broker_url, smtp_server=SmtpServer.from_url(mail_server.smtp_url)
    )
    return create_app(settings)


def write_notice(container: Container, key: str = "notice:1") -> None:
    message = EmailMessage(EmailAddress("ann@example.com"), f"Hello {key}", "Hello there.")
    with container.uow() as uow:
        uow.outbox.add(OutboxEntry(key, message, container.clock().now()))
        uow.commit()


def status(container: Container, key: str = "notice:1") -> OutboxStatus | None:
    with container.uow().reading() as uow:
        entry = uow.outbox.get(key)
    return entry.status if entry else None


def queued_tasks(broker_url: str) -> list[str]:
    """The names of the tasks waiting in the broker's default queue."""
    messages: list[bytes] = redis.Redis.from_url(broker_url).lrange("celery", 0, -1)  # type: ignore[assignment]
    return [json.loads(message)["headers"]["task"] for message in messages]


def test_a_commit_that_writes_mail_sends_the_delivery_task_and_wakes_no_thread(
    tmp_path: Path, mail_server: MailServer, local_inbox: LocalInbox
) -> None:
    with redis_server(tmp_path / "redis") as broker:
        app = app_with_broker(tmp_path, broker, mail_server)
        container: Container = app.extensions["container"]
        thread = RecordedWakes()
        container.outbox_delivery.override(thread)

        write_notice(container)

        assert wait_until(lambda: queued_tasks(broker) == [DELIVER_OUTBOX_TASK], 10)
        assert thread.wakes == 0
        assert status(container) is OutboxStatus.PENDING
        assert local_inbox.messages() == []

        # The task (run here, as a worker would) sends it.
        celery = create_celery(container.settings(), container)
        celery.conf.task_always_eager = True
        celery.tasks[DELIVER_OUTBOX_TASK].apply()
        [message] = local_inbox.wait_for(1)
        assert message["subject"] == "Hello notice:1"
        assert status(container) is OutboxStatus.SENT


def test_a_commit_without_mail_sends_no_task(tmp_path: Path, mail_server: MailServer) -> None:
    with redis_server(tmp_path / "redis") as broker:
        container: Container = app_with_broker(tmp_path, broker, mail_server).extensions[
            "container"
        ]
        with container.uow() as uow:
            uow.commit()
        time.sleep(0.5)  # a task sent would be there by now
        assert queued_tasks(broker) == []


def test_with_the_broker_down_the_commit_stands_and_the_scheduled_delivery_sends_it(
    tmp_path: Path, mail_server: MailServer, local_inbox: LocalInbox
) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    container: Container = app_with_broker(tmp_path, down, mail_server).extensions["container"]

    sender = container.outbox_task_sender()
    tried_on: list[threading.Thread] = []
    send = sender._send

    def recorded_send() -> None:
        tried_on.append(threading.current_thread())
        send()

    sender._send = recorded_send
    write_notice(container)  # raises nothing
    # The request does not wait for the broker (a refused connection alone takes ~2 s):
    # the send was tried, and failed, on the sender's thread, not the committer's.
    assert wait_until(lambda: bool(tried_on), 30)
    assert tried_on[0] is not threading.current_thread()
    time.sleep(0.5)
    assert sender.sends == 0  # tried, failed, logged

    assert status(container) is OutboxStatus.PENDING
    assert local_inbox.messages() == []

    [delivery] = [job for job in scheduled_jobs(container.settings()) if "outbox" in job.name]
    delivery.run(container)
    [message] = local_inbox.wait_for(1)
    assert message["subject"] == "Hello notice:1"
    assert status(container) is OutboxStatus.SENT


def test_the_scheduled_delivery_sends_more_than_one_rounds_worth(
    tmp_path: Path, mail_server: MailServer, local_inbox: LocalInbox
) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"
    container: Container = app_with_broker(tmp_path, down, mail_server).extensions["container"]
    keys = [f"notice:{n}" for n in range(105)]  # a round takes 100
    for key in keys:
        write_notice(container, key)

    [delivery] = [job for job in scheduled_jobs(container.settings()) if "outbox" in job.name]
    delivery.run(container)

    assert {status(container, key) for key in keys} == {OutboxStatus.SENT}
    assert len(local_inbox.wait_for(len(keys), timeout=30)) == len(keys)


def test_with_a_worker_the_web_process_sends_no_mail_left_from_before_it_started(
    tmp_path: Path, mail_server: MailServer, local_inbox: LocalInbox
) -> None:
    # Without a worker, start-up sends what a stopped process left; with one, that is
    # the workers' task (beat's scheduled delivery), never the web's.
    down = f"redis://127.0.0.1:{free_port()}/0"
    first: Container = app_with_broker(tmp_path, down, mail_server).extensions["container"]
    write_notice(first)

    second: Container = app_with_broker(tmp_path, down, mail_server).extensions["container"]
    time.sleep(1.5)  # a start-up delivery would have sent it by now

    assert status(second) is OutboxStatus.PENDING
    assert local_inbox.messages() == []
