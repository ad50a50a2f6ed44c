"""Webhook delivery: signed POSTs to registered endpoints, retries, and misbehaviour on purpose.

One background thread delivers jobs (one event to one endpoint) in the order
they fall due. A failed attempt (non-2xx answer or no answer) is retried after
``backoff * 2 ** (attempt - 1)`` seconds, up to ``max_attempts`` attempts; other
jobs go ahead meanwhile, so one failing event never blocks the rest.

Modes, for tests (:meth:`DeliveryController.set_mode`):

``normal``
    every event is delivered once, as soon as possible;
``duplicate``
    every event is delivered twice;
``reorder``
    events are held, then released newest first by :meth:`DeliveryController.flush`;
``delay``
    events are held until :meth:`DeliveryController.flush`, or for ``seconds``;
``drop``
    events stay in ``/v1/events`` but are never delivered.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import http.client
import itertools
import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

MODES = ("normal", "duplicate", "reorder", "delay", "drop")
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign(payload: str, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header for ``payload``, as Stripe computes it."""
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(frozen=True)
class Target:
    """A webhook endpoint as it was when the event happened."""

    endpoint_id: str
    url: str
    secret: str


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST of one event to one endpoint."""

    event_id: str
    event_type: str
    endpoint_id: str
    url: str
    attempt: int
    status_code: int | None
    error: str | None
    at: float
    succeeded: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Job:
    event_id: str
    event_type: str
    payload: str
    target: Target
    attempt: int = 0


@dataclass(order=True)
class _Scheduled:
    due: float
    seq: int
    job: _Job = field(compare=False)


class DeliveryController:
    """Delivers events to webhook endpoints from a background thread.

    ``on_delivered(event_id)`` is called after the first successful delivery of an
    event to each endpoint (later copies, in ``duplicate`` mode, are not counted).
    """

    def __init__(
        self,
        *,
        backoff: float = 1.0,
        max_attempts: int = 8,
        timeout: float = 5.0,
        on_delivered: Callable[[str], None] | None = None,
    ) -> None:
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.timeout = timeout
        self._on_delivered = on_delivered
        self._cond = threading.Condition()
        self._queue: list[_Scheduled] = []
        self._held: list[_Job] = []
        self._dropped: list[str] = []
        self._attempts: list[DeliveryAttempt] = []
        self._delivered: set[tuple[str, str]] = set()
        self._in_flight = 0
        self._seq = itertools.count()
        self._mode = "normal"
        self._delay_seconds: float | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- control --------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str, seconds: float | None = None) -> None:
        """Choose how later events are delivered (see the module docstring).

        ``seconds`` applies to ``delay`` only: hold each event that long instead
        of until :meth:`flush`. Events already held stay held until :meth:`flush`.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if seconds is not None and (mode != "delay" or seconds < 0):
            raise ValueError("seconds is only for mode 'delay' and must not be negative")
        with self._cond:
            self._mode = mode
            self._delay_seconds = seconds

    def flush(self) -> int:
        """Release held events (newest first in ``reorder`` mode); returns how many jobs."""
        with self._cond:
            held, self._held = self._held, []
            if self._mode == "reorder":
                held.reverse()
            now = time.monotonic()
            for job in held:
                heapq.heappush(self._queue, _Scheduled(now, next(self._seq), job))
            self._cond.notify_all()
            return len(held)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until no delivery is queued, waiting to retry, or in flight.

        Held events (``reorder``/``delay`` before :meth:`flush`) do not count.
        Returns False if ``timeout`` seconds passed first.
        """
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._queue and self._in_flight == 0, timeout=timeout
            )

    @property
    def attempts(self) -> list[DeliveryAttempt]:
        """Every delivery attempt so far, oldest first."""
        with self._cond:
            return list(self._attempts)

    @property
    def held(self) -> int:
        with self._cond:
            return len(self._held)

    @property
    def dropped(self) -> list[str]:
        """Ids of the events not delivered because of ``drop`` mode."""
        with self._cond:
            return list(self._dropped)

    def status(self) -> dict[str, Any]:
        with self._cond:
            return {
                "mode": self._mode,
                "seconds": self._delay_seconds,
                "queued": len(self._queue),
                "in_flight": self._in_flight,
                "held": len(self._held),
                "dropped": len(self._dropped),
                "attempts": len(self._attempts),
            }

    # -- publishing -----------------------------------------------------------

    def publish(self, event_id: str, event_type: str, payload: str, targets: list[Target]) -> None:
        """Deliver ``payload`` (the event's JSON) to ``targets`` according to the mode."""
        if not targets:
            return
        with self._cond:
            if self._mode == "drop":
                self._dropped.append(event_id)
                return
            copies = 2 if self._mode == "duplicate" else 1
            jobs = [
                _Job(event_id, event_type, payload, target)
                for target in targets
                for _ in range(copies)
            ]
            if self._mode == "reorder" or (self._mode == "delay" and self._delay_seconds is None):
                self._held.extend(jobs)
                return
            due = time.monotonic() + (self._delay_seconds or 0.0)
            for job in jobs:
                heapq.heappush(self._queue, _Scheduled(due, next(self._seq), job))
            self._cond.notify_all()

    # -- the worker -----------------------------------------------------------

    def start(self) -> None:
        with self._cond:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(
                target=self._run, name="stripe-emulator-delivery", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def _next_job(self) -> _Job | None:
        with self._cond:
            while not self._stopping:
                if self._queue:
                    wait = self._queue[0].due - time.monotonic()
                    if wait <= 0:
                        self._in_flight += 1
                        return heapq.heappop(self._queue).job
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None

    def _run(self) -> None:
        while (job := self._next_job()) is not None:
            try:
                self._deliver(job)
            except Exception:  # the worker must survive anything
                log.exception("webhook delivery of %s failed unexpectedly", job.event_id)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _deliver(self, job: _Job) -> None:
        job.attempt += 1
        status, error = self._post(job)
        succeeded = status is not None and 200 <= status < 300
        attempt = DeliveryAttempt(
            event_id=job.event_id,
            event_type=job.event_type,
            endpoint_id=job.target.endpoint_id,
            url=job.target.url,
            attempt=job.attempt,
            status_code=status,
            error=error,
            at=time.time(),
            succeeded=succeeded,
        )
        log.debug("webhook %s %s -> %s", job.event_type, job.target.url, status or error)
        with self._cond:
            self._attempts.append(attempt)
            if not succeeded and job.attempt < self.max_attempts and not self._stopping:
                due = time.monotonic() + self.backoff * 2 ** (job.attempt - 1)
                heapq.heappush(self._queue, _Scheduled(due, next(self._seq), job))
            # Once per event and endpoint, however many copies the mode sent: each
            # endpoint counts once in the event's pending_webhooks.
            first = (job.event_id, job.target.endpoint_id) not in self._delivered
            if succeeded:
                self._delivered.add((job.event_id, job.target.endpoint_id))
        if succeeded and first and self._on_delivered is not None:
            self._on_delivered(job.event_id)

    def _post(self, job: _Job) -> tuple[int | None, str | None]:
        """POST one event; returns (status code, None) or (None, error)."""
        url = urlsplit(job.target.url)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": sign(job.payload, job.target.secret, timestamp),
            "Cache-Control": "no-cache",
            "Accept": "*/*; q=0.5, application/xml",
        }
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        connection: http.client.HTTPConnection
        try:
            if url.scheme == "https":
                connection = http.client.HTTPSConnection(
                    url.hostname or "",
                    url.port,
                    timeout=self.timeout,
                    context=ssl.create_default_context(),
                )
            elif url.scheme == "http":
                connection = http.client.HTTPConnection(
                    url.hostname or "", url.port, timeout=self.timeout
                )
            else:
                return None, f"unsupported URL scheme {url.scheme!r}"
            try:
                connection.request("POST", path, body=job.payload.encode(), headers=headers)
                response = connection.getresponse()
                response.read(65536)
                return response.status, None
            finally:
                connection.close()
        except (OSError, http.client.HTTPException, ValueError) as error:
            return None, f"{type(error).__name__}: {error}"
