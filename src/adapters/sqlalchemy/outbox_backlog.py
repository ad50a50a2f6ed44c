"""What the email outbox holds that an operator watches: emails waiting to be sent, and
those given up on. One query on the outbox's status index, read at each metrics scrape."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from adapters.sqlalchemy.tables import OutboxRow
from application.ports.outbox import OutboxStatus


@dataclass(frozen=True)
class OutboxBacklog:
    pending: int
    failed: int
    oldest_pending_at: datetime | None


_QUERY = (
    select(OutboxRow.status, func.count(), func.min(OutboxRow.created_at))
    .where(OutboxRow.status.in_([OutboxStatus.PENDING.value, OutboxStatus.FAILED.value]))
    .group_by(OutboxRow.status)
)


def read_outbox_backlog(engine: Engine) -> OutboxBacklog:
    with engine.connect() as connection:
        rows = {status: (count, oldest) for status, count, oldest in connection.execute(_QUERY)}
    pending, oldest = rows.get(OutboxStatus.PENDING.value, (0, None))
    failed = rows.get(OutboxStatus.FAILED.value, (0, None))[0]
    return OutboxBacklog(pending=int(pending), failed=int(failed), oldest_pending_at=oldest)
