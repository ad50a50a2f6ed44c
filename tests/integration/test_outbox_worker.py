"""The outbox sent by the Celery worker (BROKER_URL set): the app served over HTTP on
PostgreSQL, a real worker (and later beat) on a Redis of the test's own, and the local
mail server on a port of the test's own, stopped and started again.

- A registration writes its email in the outbox; the commit sends the delivery task; the
  worker sends the email: exactly one in the mail server, the web process's own delivery
  thread never woken.
- The mail server down: the worker's try fails and is scheduled for a retry; the server
  back, beat's scheduled delivery sends it, once.
"""

import json
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from adapters.mail import SmtpServer
from adapters.sqlalchemy.tables import OutboxRow
from application.ports import OutboxEntry
from entrypoints.container import Container
from local_mail import MailServer
from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import Browser, serve
from tests.integration.test_outbox_tasks import RecordedWakes
from tests.integration.test_webhook_queue_worker import SECRET, settings_env, worker_command
from tests.support.local_inbox import LocalInbox
from tests.support.local_run import free_port, wait_until
from tests.support.processes import make_command, process
from tests.support.redis_server import redis_server

pytestmark = pytest.mark.postgres

PASSWORD = "a passphrase for mail"


@pytest.fixture
def database_url(postgres_session_factory: Any, postgres_schema_url: str) -> str:
    return postgres_schema_url  # empty tables (the session factory fixture truncates)


def entries_to(container: Container, address: str) -> list[OutboxEntry]:
    with container.uow().reading() as uow:
        return [e for e in uow.outbox.list() if str(e.message.to) == address]


def delivery_lines(log: Path) -> list[dict[str, Any]]:
    """The worker's JSON lines for runs of the delivery task."""
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("task") == "premium_notes.deliver_outbox"]


def test_the_worker_sends_a_registrations_email_once_and_beat_sends_it_after_an_outage(
    tmp_path: Path, database_url: str
) -> None:
    folder = tmp_path / "processes"
    folder.mkdir()
    mail = MailServer(smtp_port=free_port(), web_port=0)
    inbox = LocalInbox("")
    with ExitStack() as stack:
        stack.callback(mail.stop)
        mail.start()
        inbox.url = mail.web_url
        broker = stack.enter_context(redis_server(tmp_path / "redis"))
        app = offline_stripe_app(
            tmp_path,
            (SECRET,),
            database_url=database_url,
            broker_url=broker,
            webhook_processing="queue",
            smtp_server=SmtpServer.from_url(mail.smtp_url),
        )
        container: Container = app.extensions["container"]
        web_thread = RecordedWakes()
        container.outbox_delivery.override(web_thread)
        live = stack.enter_context(serve(app))
        env = settings_env(
            tmp_path,
            database_url,
            broker,
            SMTP_URL=mail.smtp_url,
            OUTBOX_DELIVERY_INTERVAL_SECONDS="1",
        )
        _, worker_log = stack.enter_context(process(worker_command(), folder, env, "worker"))

        # The worker sends the registration's email; the web process sends nothing.
        assert Browser(live.url).register("ann@example.com", PASSWORD).status_code == 303
        [message] = inbox.wait_for(1, timeout=60)
        assert message["rcpt_tos"] == ["ann@example.com"]
        assert len(entries_to(container, "ann@example.com")) == 1
        assert wait_until(lambda: entries_to(container, "ann@example.com")[0].sent_at, 10)
        assert web_thread.wakes == 0
        assert wait_until(lambda: delivery_lines(worker_log), 10), worker_log.read_text()[-2000:]
        assert {line["state"] for line in delivery_lines(worker_log)} == {"SUCCESS"}

        # The mail server down: the worker's try fails, a retry is scheduled.
        mail.stop()
        assert Browser(live.url).register("bob@example.com", PASSWORD).status_code == 303
        assert wait_until(
            lambda: [e.attempts for e in entries_to(container, "bob@example.com")] == [1], 60
        ), worker_log.read_text()[-2000:]
        [waiting] = entries_to(container, "bob@example.com")
        assert waiting.sent_at is None and waiting.last_error

        # Back up; the retry's minute passes (moved to now); beat's delivery sends it.
        mail.start()
        with container.engine().begin() as connection:
            connection.execute(
                update(OutboxRow)
                .where(OutboxRow.id == waiting.id)
                .values(next_attempt_at=datetime.now(UTC))
            )
        stack.enter_context(process(make_command("beat"), folder, env, "beat"))
        assert wait_until(
            lambda: [m for m in inbox.messages() if "bob@example.com" in m["rcpt_tos"]], 60
        ), worker_log.read_text()[-2000:]
        time.sleep(3)  # three more scheduled deliveries: none sends it again

        assert sorted(m["rcpt_tos"][0] for m in inbox.everything()) == [
            "ann@example.com",
            "bob@example.com",
        ]
        [sent] = entries_to(container, "bob@example.com")
        assert (sent.attempts, sent.last_error) == (2, None) and sent.sent_at is not None
        assert web_thread.wakes == 0
