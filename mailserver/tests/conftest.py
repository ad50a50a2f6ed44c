"""One mail server for the mail server's tests, emptied before each test that uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_mail import MailServer
from mail_support import Inbox


@pytest.fixture(scope="session")
def shared_server() -> Iterator[MailServer]:
    with MailServer(smtp_port=0, web_port=0, max_message_size=64 * 1024) as server:
        yield server


@pytest.fixture
def inbox(shared_server: MailServer) -> Inbox:
    inbox = Inbox(shared_server)
    inbox.clear()
    return inbox
