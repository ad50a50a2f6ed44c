"""A unit of work that dies half-way, to prove nothing is half-written."""

from adapters.sqlalchemy.tables import EventRow
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.ports import InboxRecord


class Crash(RuntimeError):
    pass


class CrashingUnitOfWork(SqlAlchemyUnitOfWork):
    """Applying a billing event, writes it all to the database, then dies before
    committing, `crashes` times.

    The flush sends the UPDATE and INSERT statements: the transaction has really written
    the subscription when the process 'dies'.
    """

    crashes = 0

    def __enter__(self) -> "CrashingUnitOfWork":
        super().__enter__()
        self._claimed = False
        claim = self.events.claim

        def claiming(record: InboxRecord) -> InboxRecord | None:
            self._claimed = True  # the claim's INSERT is sent at once
            return claim(record)

        self.events.claim = claiming  # type: ignore[method-assign]
        return self

    def commit(self) -> None:
        assert self._session is not None
        new_rows = self._session.new
        writes_an_event = self._claimed or any(isinstance(row, EventRow) for row in new_rows)
        if CrashingUnitOfWork.crashes > 0 and writes_an_event:
            self._session.flush()
            CrashingUnitOfWork.crashes -= 1
            raise Crash("killed after the first write")
        super().commit()
