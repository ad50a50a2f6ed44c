"""The outbox table behind the `Outbox` port.

`add` and `claim` are single statements on the session's connection (Core), not ORM
changes: `add` is INSERT ... ON CONFLICT DO NOTHING, so a second entry for one cause is
dropped without failing its transaction; `claim` is a conditional UPDATE, so of two
transactions claiming one entry only one changes a row (PostgreSQL makes the second
wait for the first and re-reads the row; SQLite has one writer at a time).
"""

import json
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Insert, Table, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from adapters.sqlalchemy.tables import OutboxRow
from application.email_message import EmailMessage
from application.ports import Outbox, OutboxEntry, OutboxStatus
from domain.email import EmailAddress

_TABLE = cast(Table, OutboxRow.__table__)


class SqlAlchemyOutbox(Outbox):
    def __init__(self, session: Session, *, read_only: bool = False) -> None:
        self._session = session
        self._read_only = read_only
        self.added = False  # whether this transaction wrote an entry (for the commit hook)

    def add(self, entry: OutboxEntry) -> None:
        self._refuse_if_reading("add")
        self.added = True
        connection = self._session.connection()
        connection.execute(_add_statement(connection.dialect.name), _values(entry))

    def get(self, entry_id: str) -> OutboxEntry | None:
        row = self._session.connection().execute(_TABLE.select().where(_TABLE.c.id == entry_id))
        found = row.mappings().first()
        return _entry(found) if found else None

    def due(self, now: datetime, limit: int) -> Sequence[OutboxEntry]:
        query = (
            select(_TABLE).where(*_due(now)).order_by(_TABLE.c.created_at, _TABLE.c.id).limit(limit)
        )
        return [_entry(row) for row in self._session.connection().execute(query).mappings()]

    def claim(self, entry_id: str, now: datetime, until: datetime) -> OutboxEntry | None:
        self._refuse_if_reading("claim")
        claimed = self._session.connection().execute(
            update(_TABLE).where(_TABLE.c.id == entry_id, *_due(now)).values(claimed_until=until)
        )
        return self.get(entry_id) if claimed.rowcount == 1 else None

    def save(self, entry: OutboxEntry) -> None:
        self._refuse_if_reading("save")
        values = _values(entry)
        del values["id"]
        saved = self._session.connection().execute(
            update(_TABLE).where(_TABLE.c.id == entry.id).values(**values)
        )
        if saved.rowcount != 1:
            raise LookupError(f"save() of an outbox entry that was never added: {entry.id}")

    def discard_of(self, owner: str) -> int:
        self._refuse_if_reading("discard_of")
        gone = self._session.connection().execute(delete(_TABLE).where(_TABLE.c.owner == owner))
        return int(gone.rowcount)

    def list(self, status: OutboxStatus | None = None) -> Sequence[OutboxEntry]:
        query = select(_TABLE).order_by(_TABLE.c.created_at, _TABLE.c.id)
        if status is not None:
            query = query.where(_TABLE.c.status == status.value)
        return [_entry(row) for row in self._session.connection().execute(query).mappings()]

    def _refuse_if_reading(self, what: str) -> None:
        if self._read_only:
            raise RuntimeError(f"{what}() in a reader's transaction (opened with reading())")


def _due(now: datetime) -> tuple[Any, ...]:
    return (
        _TABLE.c.status == OutboxStatus.PENDING.value,
        or_(_TABLE.c.next_attempt_at.is_(None), _TABLE.c.next_attempt_at <= now),
        or_(_TABLE.c.claimed_until.is_(None), _TABLE.c.claimed_until <= now),
    )


@cache
def _add_statement(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING: built once per dialect."""
    insert = postgresql.insert(_TABLE) if dialect == "postgresql" else sqlite.insert(_TABLE)
    return insert.on_conflict_do_nothing()


def _values(entry: OutboxEntry) -> dict[str, Any]:
    message = entry.message
    return {
        "id": entry.id,
        "created_at": entry.created_at,
        "owner": entry.owner,
        "recipient": str(message.to),
        "subject": message.subject,
        "text_body": message.text,
        "html_body": message.html,
        "headers": json.dumps([list(pair) for pair in message.headers]),
        "status": entry.status.value,
        "attempts": entry.attempts,
        "next_attempt_at": entry.next_attempt_at,
        "claimed_until": entry.claimed_until,
        "sent_at": entry.sent_at,
        "last_error": entry.last_error,
    }


def _entry(row: Any) -> OutboxEntry:
    headers = tuple((str(name), str(value)) for name, value in json.loads(row["headers"]))
    return OutboxEntry(
        id=row["id"],
        message=EmailMessage(
            to=EmailAddress(row["recipient"]),
            subject=row["subject"],
            text=row["text_body"],
            html=row["html_body"],
            headers=headers,
        ),
        created_at=row["created_at"],
        owner=row["owner"],
        status=OutboxStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        claimed_until=row["claimed_until"],
        sent_at=row["sent_at"],
        last_error=row["last_error"],
    )
