import logging
from dataclasses import dataclass, field
from datetime import timedelta

from application.ports import Clock, EventStatus, PaymentGateway
from application.use_cases.handle_billing_event import HandleBillingEventCommand
from application.use_cases.queued_billing_events import BillingEventHandler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplyUndeliveredEventsCommand:
    # How far back to ask: the provider's own retries last three days (Stripe, live mode).
    lookback: timedelta = timedelta(days=3)


@dataclass
class UndeliveredReport:
    listed: int = 0
    applied: list[str] = field(default_factory=list)  # new here: processed or ignored
    duplicates: list[str] = field(default_factory=list)  # in the inbox already
    failed: dict[str, str] = field(default_factory=dict)  # event id -> why

    @property
    def complete(self) -> bool:
        """Every listed event is in the inbox, applied or recorded as ignored."""
        return not self.failed


class ApplyUndeliveredEvents:
    """The cheap first pass of reconciling: apply the events the provider could not
    deliver to our webhook endpoint (it was down, answered 5xx, or is still being
    retried), without asking about every subscription.

    Rules:
    - the provider lists them (`list_undelivered_events`, created in the last `lookback`),
      oldest first; each goes through the handler /webhook uses (`HandleBillingEvent`),
      idempotent on the event id, so one that did arrive meanwhile (or arrives later) is
      a harmless duplicate;
    - an event whose apply fails is reported (and left `failed` in the inbox, for
      `events replay`), and the others go on;
    - the listing failing raises (`PaymentProviderError`): the caller falls back on the
      full reconcile.
    Events that never reached any endpoint's queue (an endpoint disabled or deleted at the
    provider, events older than the lookback) are not seen here: the full reconcile
    (`ReconcileSubscriptions`) still runs on its own schedule for those.
    """

    def __init__(self, gateway: PaymentGateway, clock: Clock, handler: BillingEventHandler) -> None:
        self._gateway = gateway
        self._clock = clock
        self._handler = handler

    def execute(self, command: ApplyUndeliveredEventsCommand) -> UndeliveredReport:
        report = UndeliveredReport()
        events = self._gateway.list_undelivered_events(self._clock.now() - command.lookback)
        report.listed = len(events)
        for event in events:
            try:
                result = self._handler.execute(HandleBillingEventCommand(event))
            except Exception as error:  # reported per event; the rest still run
                log.exception("applying undelivered event %s failed", event.id)
                report.failed[event.id] = f"{type(error).__name__}: {error}"
                continue
            if result.status is EventStatus.FAILED:
                report.failed[event.id] = result.note
            elif result.duplicate:
                report.duplicates.append(event.id)
            else:
                report.applied.append(event.id)
        return report
