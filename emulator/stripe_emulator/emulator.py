"""The :class:`Emulator`: serve the app on a background thread, with delivery and clock threads."""

from __future__ import annotations

import logging
import os
import socket
import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import (
    BaseWSGIServer,
    WSGIRequestHandler,
    get_sockaddr,
    make_server,
    select_address_family,
)

from .delivery import DeliveryController
from .errors import StripeError
from .objects import Json
from .server import create_app
from .services import Services
from .settings import Settings
from .state_file import StateFile
from .store import Store

log = logging.getLogger("stripe_emulator")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 12111
_POLL_INTERVAL = 0.05  # how quickly serve_forever notices stop()


class _RequestLog(WSGIRequestHandler):
    """Werkzeug's request handler, logging to ``stripe_emulator.http`` at DEBUG level."""

    def log(self, type: str, message: str, *args: Any) -> None:
        level = logging.WARNING if type == "error" else logging.DEBUG
        logging.getLogger("stripe_emulator.http").log(level, message, *args)

    def send_response(self, code: int, message: str | None = None) -> None:
        """As http.server's, without its own `Date`: the app sends the emulator clock's
        (two Date headers would read as the machine's time to a client)."""
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket; raises OSError (werkzeug would exit the process instead)."""
    family = select_address_family(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(get_sockaddr(host, port, family))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


class Emulator:
    """A stand-alone Stripe emulator served over HTTP from background threads.

    >>> with Emulator(port=0) as emu:            # port 0: any free port
    ...     client = stripe.StripeClient("sk_test_x", base_addresses={"api": emu.url})

    ``delivery_backoff`` (seconds, doubling), ``delivery_max_attempts`` and
    ``delivery_timeout`` tune webhook retries; ``tick_interval`` is how often
    the billing engine runs on the default clock as real time passes (None:
    only on :meth:`advance`).

    ``state_file`` (a path) keeps the state between runs: it is read here when it
    exists (:class:`~.state_file.StateFileError` if it cannot be), and rewritten
    after every change and at :meth:`stop`. Without it the state lives in memory
    only. Explicit ``settings`` win over the ones in the file.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        delivery_backoff: float = 1.0,
        delivery_max_attempts: int = 8,
        delivery_timeout: float = 5.0,
        tick_interval: float | None = 1.0,
        settings: Settings | None = None,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.tick_interval = tick_interval
        self._store = Store(settings=settings or Settings())
        self._delivery = DeliveryController(
            backoff=delivery_backoff,
            max_attempts=delivery_max_attempts,
            timeout=delivery_timeout,
            on_delivered=self._store.mark_delivered,
        )
        kept = StateFile(state_file) if state_file is not None else None
        self._services = Services(self._store, self._delivery, state_file=kept)
        if kept is not None and kept.load(self._store, self._services.idempotency):
            if settings is not None:
                self._store.settings = settings
            log.info("Stripe emulator state read from %s", kept.path)
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> Emulator:
        """Start serving; returns once the socket listens. Raises OSError if the port is taken."""
        if self._server is not None:
            return self
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("Stripe emulator bound to %s: reachable beyond this machine", self.host)
        listening = _listen(self.host, self.port)
        try:
            server = make_server(
                self.host,
                self.port,
                create_app(self._services),
                threaded=True,
                request_handler=_RequestLog,
                fd=listening.fileno(),
            )
        finally:
            listening.close()  # the server works on its own duplicate of the socket
        self._server = server
        self.port = server.port
        self._store.base_url = self.url
        self._stopping.clear()
        self._delivery.start()
        self._threads = [
            threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": _POLL_INTERVAL},
                name="stripe-emulator-http",
                daemon=True,
            )
        ]
        if self.tick_interval:
            self._threads.append(
                threading.Thread(target=self._tick, name="stripe-emulator-clock", daemon=True)
            )
        for thread in self._threads:
            thread.start()
        log.info("Stripe emulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop the server, the clock and the delivery thread, and join them."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        for thread in self._threads:
            thread.join(10)
        self._threads = []
        self._delivery.stop()
        self._services.persist()
        log.info("Stripe emulator on %s stopped", self.url)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _tick(self) -> None:
        assert self.tick_interval
        while not self._stopping.wait(self.tick_interval):
            try:
                with self._store.lock:
                    if self._services.engine.run_due(None, self._store.now()):
                        self._services.persist()
            except Exception:  # the clock thread must keep running
                log.exception("billing engine failed on the default clock")

    # -- access ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the real port once started)."""
        host = self.host
        if host in ("0.0.0.0", ""):  # noqa: S104 - a comparison, not a bind
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def state(self) -> Store:
        """The store, for assertions in tests. Hold ``state.lock`` and do not modify."""
        return self._store

    @property
    def delivery(self) -> DeliveryController:
        """Webhook delivery: ``set_mode``, ``flush``, ``wait_idle``, ``attempts``."""
        return self._delivery

    @property
    def settings(self) -> Settings:
        """Billing settings (``after_retries``, ``retry_days``); change under ``state.lock``."""
        return self._store.settings

    # -- time -----------------------------------------------------------------

    def now(self) -> int:
        """The time on the default clock (real time plus every :meth:`advance`)."""
        return self._store.now()

    def advance(self, seconds: float) -> int:
        """Move the default clock forward and run the billing engine; returns the new time.

        Customers created without a test clock live on the default clock. Raises
        ValueError for a negative or absurd (over 100 years) ``seconds``.
        """
        with self._store.lock:
            try:
                now = self._services.engine.advance_default_clock(seconds)
            except StripeError as error:
                raise ValueError(error.message) from None
            self._services.persist()
            return now

    # -- set-up helpers -------------------------------------------------------

    def add_webhook_endpoint(
        self,
        url: str,
        *,
        enabled_events: list[str] | tuple[str, ...] = ("*",),
        secret: str | None = None,
    ) -> Json:
        """Register a webhook endpoint, optionally with a chosen ``whsec_`` secret.

        Returns the endpoint object including its ``secret``. Useful to start the
        emulator with a secret the application is already configured with.
        """
        endpoint = self._services.add_webhook_endpoint(
            url=url, enabled_events=list(enabled_events), secret=secret
        )
        self._services.persist()
        return endpoint
