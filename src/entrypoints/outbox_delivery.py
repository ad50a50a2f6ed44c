"""Sending the outbox after a commit that wrote to it, without making the request wait.

Without BROKER_URL (`make run`, a deployment without a worker), the web process sends:
a commit that writes to the outbox wakes `OutboxDeliveryThread` (the unit of work's
`after_outbox_commit`); its thread runs the one delivery use case, `DeliverOutbox`, as
`flask outbox deliver` does, so an email leaves a moment after the change that caused
it, and `make run` shows it in the local inbox at once. The request never waits for
SMTP: waking is setting an event, the same cost whether or not there is mail, so no
answer is slower for an address that has an account.

While an entry waits for a retry (the mail server down), the thread looks again every
`retry_poll` seconds; with nothing left to do for `idle_exit` seconds it ends, and the
next wake starts another. Failures are the use case's business (retries with backoff,
given up after the last); anything else it raises is logged and left for the next
wake. `flask outbox deliver` works beside it.

With BROKER_URL, the commit wakes `OutboxTaskSender` instead: its thread sends the
Celery workers the delivery task (`premium_notes.deliver_outbox`, which runs
`DeliverOutbox`), and beat sends the same task every OUTBOX_DELIVERY_INTERVAL_SECONDS,
for retries and for any task the broker lost.

At start-up without BROKER_URL (`create_app`) the app calls `wake_if_waiting`: an email
committed by a process that died before sending it goes out then, not at some unrelated
later commit. The look at the outbox is made in the thread, so start-up does not wait
for it.
"""

import logging
import threading
from collections.abc import Callable

from application.use_cases.deliver_outbox import DeliveryReport

log = logging.getLogger(__name__)

RETRY_POLL_SECONDS = 60.0
IDLE_EXIT_SECONDS = 300.0


class OutboxDeliveryThread:
    """`deliver` sends what is due (`DeliverOutbox`); `waiting` says whether any entry
    still waits to be sent, now or at a later retry."""

    def __init__(
        self,
        deliver: Callable[[], DeliveryReport],
        waiting: Callable[[], bool],
        *,
        retry_poll: float = RETRY_POLL_SECONDS,
        idle_exit: float = IDLE_EXIT_SECONDS,
    ) -> None:
        self._deliver = deliver
        self._waiting = waiting
        self._retry_poll = retry_poll
        self._idle_exit = idle_exit
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.rounds = 0  # deliveries run (for tests)

    def wake(self) -> None:
        """There is mail: send it soon (from the thread, started if it is not running)."""
        with self._lock:
            if self._stopping:
                return
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="outbox-delivery", daemon=True
                )
                self._thread.start()

    def wake_if_waiting(self) -> None:
        """Start the thread if an entry waits (to be sent now or at a later retry); the
        question is asked from the thread, and a thread with nothing to do ends at once."""
        with self._lock:
            if self._stopping or self._thread is not None:
                return  # running already: it sends whatever is due
            self._thread = threading.Thread(
                target=self._start_up, name="outbox-delivery", daemon=True
            )
            self._thread.start()

    def _start_up(self) -> None:
        try:
            waiting = self._waiting()
        except Exception as error:  # a database not migrated yet, or down: the next wake
            log.info("outbox not looked at on start-up: %s", type(error).__name__)
            waiting = False
        with self._lock:
            if not waiting and not self._wake.is_set():
                self._thread = None  # a wake after this starts a new thread
                return
            self._wake.set()
        self._run()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread (tests; a process that exits just drops it: the entries wait)."""
        with self._lock:
            self._stopping = True
            thread = self._thread
            self._wake.set()
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        waiting = False
        while True:
            woken = self._wake.wait(self._retry_poll if waiting else self._idle_exit)
            with self._lock:
                if self._stopping or (not woken and not waiting):
                    self._thread = None  # a wake after this starts a new thread
                    return
                self._wake.clear()
            waiting = self._deliver_due()

    def _deliver_due(self) -> bool:
        """Send what is due; whether an entry still waits (for a retry)."""
        try:
            while True:
                report = self._deliver()
                self.rounds += 1
                if not report.sent and not report.given_up:
                    break
            return self._waiting()
        except Exception:
            log.exception("outbox delivery failed; the emails wait for the next attempt")
            return True


class OutboxTaskSender:
    """With a worker (BROKER_URL): what a commit that wrote to the outbox wakes instead of
    `OutboxDeliveryThread`. Its thread sends the workers the delivery task (`send`, the
    broker's round trip) off the request: a request never waits for Redis, and with Redis
    down it is no slower (the send fails in the thread, is logged, and the email waits for
    beat's scheduled delivery). Wakes that come while a send is under way make one more
    send, not one each: the task sends every due entry."""

    def __init__(self, send: Callable[[], None]) -> None:
        self._send = send
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.sends = 0  # tasks sent (for tests)

    def wake(self) -> None:
        with self._lock:
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="outbox-task-sender", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            if not self._wake.wait(IDLE_EXIT_SECONDS):
                with self._lock:
                    if not self._wake.is_set():
                        self._thread = None  # a wake after this starts a new thread
                        return
            self._wake.clear()
            try:
                self._send()
                self.sends += 1
            except Exception as error:
                log.warning(
                    "the outbox's delivery task was not sent (%s): "
                    "the scheduled delivery sends the email",
                    type(error).__name__,
                )
