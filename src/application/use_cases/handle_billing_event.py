import logging
from dataclasses import dataclass
from functools import partial

from application.billing import apply_event
from application.ports import (
    Clock,
    ConcurrentUpdate,
    EventAlreadyRecorded,
    EventStatus,
    InboxRecord,
    PaymentGateway,
    UnitOfWork,
)
from application.retry import retry_on_conflict
from domain.billing import BillingEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandleBillingEventCommand:
    event: BillingEvent


@dataclass(frozen=True)
class HandleBillingEventResult:
    status: EventStatus
    duplicate: bool
    note: str


class HandleBillingEvent:
    """Apply one verified provider event, exactly once.

    Rules:
    - idempotent on the event id: the inbox row is written in the same transaction as the
      effect, so an event already processed or ignored is answered again with no effect;
    - an event that does not concern us (unknown type, user or subscription) is
      recorded as ignored, not an error: the provider must not retry it forever;
    - an exception rolls back everything, the event is recorded as failed (in its own
      transaction, for operators to see and replay) and the exception propagates, so
      the provider retries it.
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway, clock: Clock) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock

    def execute(self, command: HandleBillingEventCommand) -> HandleBillingEventResult:
        event = command.event
        try:
            # Lost a race on the user or on the event's row: read again and decide again
            # (the other delivery may have processed it, or recorded it as failed).
            return retry_on_conflict(
                partial(self._apply_once, event),
                conflicts=(ConcurrentUpdate, EventAlreadyRecorded),
            )
        except Exception as error:
            log.warning("billing event %s (%s) failed: %s", event.id, event.provider_type, error)
            self._record_failure(event, error)
            raise

    def _apply_once(self, event: BillingEvent) -> HandleBillingEventResult:
        with self._uow as uow:
            done = uow.events.get(event.id)
            if done is not None and done.status is not EventStatus.FAILED:
                return HandleBillingEventResult(done.status, True, "already handled")
            outcome = apply_event(uow, self._gateway, event)
            status = EventStatus.PROCESSED if outcome.applied else EventStatus.IGNORED
            uow.events.record(self._record(event, status, note=outcome.note))
            uow.commit()
        return HandleBillingEventResult(status, False, outcome.note)

    def _record(
        self, event: BillingEvent, status: EventStatus, *, note: str = "", error: str = ""
    ) -> InboxRecord:
        return InboxRecord(
            event_id=event.id,
            provider_type=event.provider_type,
            status=status,
            received_at=self._clock.now(),
            payload=event.payload,
            error=error or None,
            note=note or None,
        )

    def _record_failure(self, event: BillingEvent, error: Exception) -> None:
        try:
            with self._uow as uow:
                done = uow.events.get(event.id)
                if done is not None and done.status is not EventStatus.FAILED:
                    return  # a concurrent delivery succeeded meanwhile
                reason = f"{type(error).__name__}: {error}"[:500]
                uow.events.record(self._record(event, EventStatus.FAILED, error=reason))
                uow.commit()
        except Exception:  # the failure record is best effort; the retry matters more
            log.exception("could not record the failure of billing event %s", event.id)
