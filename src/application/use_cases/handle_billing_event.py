import logging
from dataclasses import dataclass
from functools import partial

from application.billing_notices import BillingNotices
from application.ports import (
    Clock,
    ConcurrentUpdate,
    DataConflict,
    EventAlreadyRecorded,
    EventStatus,
    InboxRecord,
    PaymentGateway,
    UnitOfWork,
)
from application.retry import write
from application.subscription_sync import Outcome, apply_event
from domain.access import AccessPolicy
from domain.provider_events import BillingEvent, BillingEventKind
from domain.user import is_user_id

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
    - writers to one user take turns (the user is locked when found), so events about
      one user arriving together wait for each other instead of failing;
    - an exception rolls back everything and the event is recorded as failed (in its
      own transaction, for operators to see and replay, with a reason a person can read);
    - the emails an event causes (`BillingNotices`: receipt, payment failed, trial ending,
      canceled, ended) are written to the outbox in the same transaction as its effect:
      a duplicate leaves none behind, and each cause is sent once;
    - a checkout completed, or a subscription made or changed, that names (in our own
      reference) an account deleted here (its tombstone is kept) was paid after the
      deletion (a Checkout tab left open): the subscription is canceled at the provider
      at once, nobody being left to use or cancel it. An id of ours that was never
      deleted here (a database restored from an older backup, another deployment or a
      staging copy on the same provider account) is an unknown user: ignored, nothing
      canceled;
    - a failure that no retry can mend (`DataConflict`: the event contradicts what is
      stored) is answered as handled, status failed, so the provider stops retrying it;
      any other exception propagates, so the provider retries it.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        gateway: PaymentGateway,
        clock: Clock,
        policy: AccessPolicy,
        notices: BillingNotices,
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._policy = policy
        self._notices = notices

    def execute(self, command: HandleBillingEventCommand) -> HandleBillingEventResult:
        event = command.event
        try:
            # Lost a race on the user or on the event's row: read again and decide again
            # (the other delivery may have processed it, or recorded it as failed).
            return write(
                self._uow,
                partial(self._apply_once, event),
                conflicts=(ConcurrentUpdate, EventAlreadyRecorded),
            )
        except DataConflict as error:
            log.warning(
                "billing event %s (%s) failed for good: %s", event.id, event.provider_type, error
            )
            self._record_failure(event, error)
            return HandleBillingEventResult(EventStatus.FAILED, False, str(error))
        except Exception as error:
            log.warning("billing event %s (%s) failed: %s", event.id, event.provider_type, error)
            self._record_failure(event, error)
            raise

    def _apply_once(self, event: BillingEvent, uow: UnitOfWork) -> HandleBillingEventResult:
        # An event without a snapshot is applied by asking the provider: a duplicate of
        # one is answered from the inbox first, so that it costs no call (and does not
        # fail while the provider is down).
        if event.snapshot is None and event.kind is not BillingEventKind.UNHANDLED:
            done = uow.events.get(event.id)
            if done is not None and done.status.done:
                return HandleBillingEventResult(done.status, True, "already handled")
        # Otherwise apply first, then claim the event's id with one insert: a new event
        # (nearly every delivery) costs no look-up. A duplicate is found by the claim and
        # leaves nothing of its effect behind.
        outcome = apply_event(uow, self._gateway, self._policy, event)
        if outcome.user is None:
            outcome = end_orphan(uow, self._gateway, event) or outcome
        self._notices.queue(uow, event, outcome, self._clock.now())
        status = EventStatus.PROCESSED if outcome.applied else EventStatus.IGNORED
        record = self._record(event, status, note=outcome.note)
        done = uow.events.claim(record)
        if done is None:
            return HandleBillingEventResult(status, False, outcome.note)
        if done.status.done:
            uow.rollback()
            return HandleBillingEventResult(done.status, True, "already handled")
        uow.events.record(record)  # failed (or received) before, handled now
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
                if done is not None and done.status.done:
                    return  # a concurrent delivery succeeded meanwhile
                reason = describe_failure(error)
                uow.events.record(self._record(event, EventStatus.FAILED, error=reason))
                uow.commit()
        except Exception:  # the failure record is best effort; the retry matters more
            log.exception("could not record the failure of billing event %s", event.id)


ORPHAN_KINDS = (BillingEventKind.CHECKOUT_COMPLETED, BillingEventKind.SUBSCRIPTION_CHANGED)


def end_orphan(uow: UnitOfWork, gateway: PaymentGateway, event: BillingEvent) -> Outcome | None:
    """Cancel, now, the subscription of an event that matched nobody but names the id of
    an account deleted here (it has a tombstone; `find_user` found no such user): the
    outcome, or None when there is nothing to cancel. Only a tombstone proves the
    deletion: an id merely shaped like ours may be a live customer of another database
    on the same provider account. Asked of the provider, not read from the event: a late
    event about a subscription canceled already costs no second cancel."""
    if event.kind not in ORPHAN_KINDS or not event.subscription_id:
        return None
    if not event.user_ref or not is_user_id(event.user_ref):
        return None
    if uow.users.deleted_at(event.user_ref) is None:
        return None
    current = gateway.get_subscription(event.subscription_id)
    if current is None or current.status.is_terminal:
        return None
    gateway.cancel_subscription(current.id)
    log.warning(
        "subscription %s names user %s, whose account was deleted: canceled now",
        current.id,
        event.user_ref,
    )
    return Outcome(False, f"its user {event.user_ref} has no account: canceled at the provider")


def describe_failure(error: Exception) -> str:
    """What went wrong, for an operator reading the inbox: the error's kind and its own
    words, first line only (a database error's SQL and parameters stay out)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = text.split("[SQL:")[0].strip()
    return f"{type(error).__name__}: {text}"[:500] if text else type(error).__name__
