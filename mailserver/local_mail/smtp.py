"""The SMTP side: aiosmtpd on an asyncio loop of its own thread, keeping what it accepts.

Anyone may send to any address without logging in, as a local catcher should. A message
over the size limit is refused with 552 while it is read (never held whole in memory);
a line over 1000 octets with 500 (RFC 5321); a message the mailbox cannot write
(a full disk) with 451, and the client may try again.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

from aiosmtpd.smtp import SMTP, Envelope, Session

from .mailbox import Mailbox

log = logging.getLogger("local_mail")

IDLE_TIMEOUT = 60.0  # seconds a connection may stay silent


class _KeepEverything:
    """The aiosmtpd handler: every message DATA delivers goes to the mailbox."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            message = self.mailbox.add(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        except OSError as error:
            log.error("a message could not be kept: %s", error)
            return "451 Requested action aborted: the message could not be kept"
        log.info("message %s kept (%d bytes, to %s)", message.id, message.size, message.rcpt_tos)
        return f"250 OK: kept as {message.id}"


class SmtpListener:
    """Serves SMTP on an already listening socket until `stop`."""

    def __init__(self, mailbox: Mailbox, sock: socket.socket, *, max_message_size: int) -> None:
        self._handler = _KeepEverything(mailbox)
        self._socket = sock
        self._max_message_size = max_message_size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="local-mail-smtp", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)
        if self._failure is not None:
            raise self._failure

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)

    def _protocol(self) -> SMTP:
        assert self._loop is not None
        return SMTP(
            self._handler,
            data_size_limit=self._max_message_size,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname="localhost",  # not socket.getfqdn(), which may wait on DNS
            ident="local_mail",
            timeout=IDLE_TIMEOUT,
            loop=self._loop,
        )

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            server = loop.run_until_complete(loop.create_server(self._protocol, sock=self._socket))
        except BaseException as error:
            self._failure = error
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(server.wait_closed())
            loop.close()
