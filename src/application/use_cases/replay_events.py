from dataclasses import dataclass, field

from application.ports import EventStatus, PaymentGateway, UnitOfWork
from application.use_cases.handle_billing_event import (
    HandleBillingEvent,
    HandleBillingEventCommand,
)


@dataclass(frozen=True)
class ReplayEventsCommand:
    """Replay the given event ids, or every failed event when `event_ids` is empty."""

    event_ids: tuple[str, ...] = ()


@dataclass
class ReplayReport:
    replayed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


class ReplayEvents:
    """Run stored events again through `HandleBillingEvent` (same idempotent path).

    Rules: only failed events are re-run (a processed or ignored one is skipped with
    the reason); an unknown id is reported, not an error; one failure does not stop the
    others.
    """

    def __init__(
        self, uow: UnitOfWork, gateway: PaymentGateway, handler: HandleBillingEvent
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._handler = handler

    def execute(self, command: ReplayEventsCommand) -> ReplayReport:
        report = ReplayReport()
        with self._uow as uow:
            if command.event_ids:
                records = []
                for event_id in command.event_ids:
                    record = uow.events.get(event_id)
                    if record is None:
                        report.skipped[event_id] = "no such event in the inbox"
                    elif record.status is not EventStatus.FAILED:
                        report.skipped[event_id] = f"already {record.status.value}"
                    else:
                        records.append(record)
            else:
                records = list(uow.events.list(EventStatus.FAILED))
        for record in records:
            try:
                event = self._gateway.translate_event(record.payload)
                result = self._handler.execute(HandleBillingEventCommand(event))
            except Exception as error:  # reported per event; the rest still run
                report.failed[record.event_id] = f"{type(error).__name__}: {error}"
            else:
                if result.status is EventStatus.FAILED:  # failed again, for good
                    report.failed[record.event_id] = result.note
                else:
                    report.replayed.append(record.event_id)
        return report
