"""The :class:`MailServer`: SMTP and the web inbox on loopback, from background threads."""

from __future__ import annotations

import logging
import os
import socket
import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .mailbox import Mailbox
from .smtp import SmtpListener
from .web import create_inbox_app

log = logging.getLogger("local_mail")

HOST = "127.0.0.1"  # on purpose the only choice: mail holds password-reset links
DEFAULT_SMTP_PORT = 1025
DEFAULT_WEB_PORT = 8025
DEFAULT_MAX_MESSAGE_SIZE = 10 * 1024 * 1024
_POLL_INTERVAL = 0.05


class PortUnavailable(OSError):
    """A port cannot be listened on; `role` says which ("smtp" or "web")."""

    def __init__(self, role: str, port: int, error: OSError) -> None:
        super().__init__(error.errno, error.strerror or str(error))
        self.role = role
        self.port = port


class _RequestLog(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        level = logging.WARNING if type == "error" else logging.DEBUG
        logging.getLogger("local_mail.http").log(level, message, *args)


def _listen(role: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise PortUnavailable(role, port, error) from None
    return sock


class MailServer:
    """A local SMTP server that keeps every message, and a web inbox to read them.

    >>> with MailServer(smtp_port=0, web_port=0) as mail:   # 0: any free port
    ...     smtplib.SMTP(mail.host, mail.smtp_port).sendmail(...)
    ...     requests.get(f"{mail.web_url}/api/messages")

    Both listen on 127.0.0.1 only. `state_dir` keeps the messages across restarts
    (:class:`~.mailbox.MailStateError` if it cannot be used); without it they live in
    memory. Messages over `max_message_size` bytes are refused (552).
    """

    host = HOST

    def __init__(
        self,
        *,
        smtp_port: int = DEFAULT_SMTP_PORT,
        web_port: int = DEFAULT_WEB_PORT,
        state_dir: str | os.PathLike[str] | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        if max_message_size < 1024:
            raise ValueError("max_message_size must be at least 1024 bytes")
        self.smtp_port = smtp_port
        self.web_port = web_port
        self.max_message_size = max_message_size
        self.mailbox = Mailbox(state_dir)
        self._smtp: SmtpListener | None = None
        self._web: BaseWSGIServer | None = None
        self._web_thread: threading.Thread | None = None

    def start(self) -> MailServer:
        """Listen and serve; returns once both ports listen. `PortUnavailable` if one is
        taken (nothing is left running)."""
        if self._smtp is not None:
            return self
        smtp_socket = _listen("smtp", self.smtp_port)
        try:
            web_socket = _listen("web", self.web_port)
        except BaseException:
            smtp_socket.close()
            raise
        self.smtp_port = smtp_socket.getsockname()[1]
        self.web_port = web_socket.getsockname()[1]
        smtp = SmtpListener(self.mailbox, smtp_socket, max_message_size=self.max_message_size)
        try:
            web = make_server(
                HOST,
                self.web_port,
                create_inbox_app(self.mailbox, self.smtp_address),
                threaded=True,
                request_handler=_RequestLog,
                fd=web_socket.fileno(),
            )
        finally:
            web_socket.close()  # the server works on its own duplicate
        smtp.start()
        self._smtp, self._web = smtp, web
        self._web_thread = threading.Thread(
            target=web.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name="local-mail-web",
            daemon=True,
        )
        self._web_thread.start()
        log.info("Local mail: SMTP on %s, inbox at %s", self.smtp_address, self.web_url)
        return self

    def stop(self) -> None:
        smtp, web, thread = self._smtp, self._web, self._web_thread
        self._smtp = self._web = self._web_thread = None
        if smtp is not None:
            smtp.stop()
        if web is not None:
            web.shutdown()
            web.server_close()
        if thread is not None:
            thread.join(10)

    def __enter__(self) -> MailServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def smtp_address(self) -> str:
        return f"{HOST}:{self.smtp_port}"

    @property
    def smtp_url(self) -> str:
        """`smtp://127.0.0.1:PORT`: what an SMTP_URL setting names it by."""
        return f"smtp://{self.smtp_address}"

    @property
    def web_url(self) -> str:
        return f"http://{HOST}:{self.web_port}"
