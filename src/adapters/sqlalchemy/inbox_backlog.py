"""What the inbox holds that an operator watches: failed events, and events received
but not applied yet. One indexed query (by status), read at each metrics scrape."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from adapters.sqlalchemy.tables import EventRow
from application.ports import EventStatus

# The status of an event stored before it is applied, in the queue mode of issue 13
# (part 2); until then no event has it and its gauges read 0.
RECEIVED = "received"


@dataclass(frozen=True)
class InboxBacklog:
    failed: int
    received: int
    oldest_received_at: datetime | None


_QUERY = (
    select(EventRow.status, func.count(), func.min(EventRow.received_at))
    .where(EventRow.status.in_([EventStatus.FAILED.value, RECEIVED]))
    .group_by(EventRow.status)
)


def read_inbox_backlog(engine: Engine) -> InboxBacklog:
    with engine.connect() as connection:
        rows = {status: (count, oldest) for status, count, oldest in connection.execute(_QUERY)}
    failed = rows.get(EventStatus.FAILED.value, (0, None))[0]
    received, oldest = rows.get(RECEIVED, (0, None))
    return InboxBacklog(failed=int(failed), received=int(received), oldest_received_at=oldest)
