"""Webhooks in the queue mode (WEBHOOK_PROCESSING=queue): store now, apply later.

- `ReceiveBillingEvent` (what /webhook calls): the verified event is stored in the
  inbox as `received`, in one transaction, and only then sent to the queue. A duplicate
  delivery adds no row. A queue that cannot be reached costs nothing but time: the
  event is in the inbox, and the sweeper sends it later.
- `ApplyReceivedEvent` (what the worker's task calls): the stored event is applied
  through `HandleBillingEvent`, the path inline webhooks and `events replay` take, so
  it is applied once however many times its message arrives. An exception propagates
  (the task retries it); meanwhile the event reads `failed`, with the reason, and
  after the last retry it stays so, for `events replay`.
- `SweepReceivedEvents` (a scheduled job): events left `received` longer than a while
  (a message lost with the broker, a worker killed mid-task) are sent again.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from application.ports import (
    Clock,
    EventQueue,
    EventStatus,
    InboxRecord,
    PaymentGateway,
    UnitOfWork,
)
from application.use_cases.handle_billing_event import (
    HandleBillingEventCommand,
    HandleBillingEventResult,
)
from domain.provider_events import BillingEvent

log = logging.getLogger(__name__)


class BillingEventHandler(Protocol):
    """What applies one event (`HandleBillingEvent`, or it counted for /metrics)."""

    def execute(self, command: HandleBillingEventCommand) -> HandleBillingEventResult: ...


@dataclass(frozen=True)
class ReceiveResult:
    status: EventStatus
    duplicate: bool
    enqueued: bool


class ReceiveBillingEvent:
    def __init__(self, uow: UnitOfWork, clock: Clock, queue: EventQueue) -> None:
        self._uow = uow
        self._clock = clock
        self._queue = queue

    def execute(self, event: BillingEvent) -> ReceiveResult:
        record = InboxRecord(
            event_id=event.id,
            provider_type=event.provider_type,
            status=EventStatus.RECEIVED,
            received_at=self._clock.now(),
            payload=event.payload,
        )
        with self._uow as uow:
            stored = uow.events.claim(record)
            uow.commit()
        if stored is not None and stored.status is not EventStatus.RECEIVED:
            # Handled (or failed, for `events replay`) already: nothing to send.
            return ReceiveResult(stored.status, True, False)
        # New, or a duplicate still waiting: send it (again; applying it twice is harmless).
        try:
            self._queue.enqueue(event.id)
        except Exception as error:  # the inbox holds it; the sweeper sends it later
            log.warning(
                "billing event %s stored but not queued (%s): the sweeper will send it",
                event.id,
                type(error).__name__,
            )
            enqueued = False
        else:
            enqueued = True
        return ReceiveResult(EventStatus.RECEIVED, stored is not None, enqueued)


class ApplyReceivedEvent:
    def __init__(
        self, uow: UnitOfWork, gateway: PaymentGateway, handler: BillingEventHandler
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._handler = handler

    def execute(self, event_id: str) -> HandleBillingEventResult | None:
        """Apply the stored event; None when there is nothing to do (unknown id, or
        handled already by another delivery of its message)."""
        with self._uow.reading() as uow:
            record = uow.events.get(event_id)
        if record is None:
            log.warning("billing event %s is not in the inbox: nothing to apply", event_id)
            return None
        if record.status.done:
            return None
        event = self._gateway.translate_event(record.payload)
        result = self._handler.execute(HandleBillingEventCommand(event))
        log.info(
            "billing event %s applied: %s%s",
            event_id,
            result.status.value,
            " (duplicate)" if result.duplicate else "",
            extra={
                "fields": {
                    "event_id": event_id,
                    "status": result.status.value,
                    "duplicate": result.duplicate,
                }
            },
        )
        return result


class SweepReceivedEvents:
    def __init__(
        self, uow: UnitOfWork, clock: Clock, queue: EventQueue, older_than: timedelta
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._queue = queue
        self._older_than = older_than

    def execute(self) -> list[str]:
        """Send again every event received before `older_than` ago; returns their ids."""
        cutoff = self._clock.now() - self._older_than
        with self._uow.reading() as uow:
            received = uow.events.list(EventStatus.RECEIVED)
        stale = [r.event_id for r in received if r.received_at <= cutoff]
        for event_id in stale:
            self._queue.enqueue(event_id)
        if stale:
            log.info("sweeper sent %d received event(s) to the workers again", len(stale))
        return stale
