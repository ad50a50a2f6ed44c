"""A unit of work that dies half-way, to prove nothing is half-written."""

from adapters.sqlalchemy.tables import EventRow
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork


class Crash(RuntimeError):
    pass


class CrashingUnitOfWork(SqlAlchemyUnitOfWork):
    """Applying a billing event, writes it all to the database, then dies before
    committing, `crashes` times.

    The flush sends the UPDATE and INSERT statements: the transaction has really written
    the subscription when the process 'dies'.
    """

    crashes = 0

    def commit(self) -> None:
        assert self._session is not None
        writes_an_event = any(isinstance(row, EventRow) for row in self._session.new)
        if CrashingUnitOfWork.crashes > 0 and writes_an_event:
            self._session.flush()
            CrashingUnitOfWork.crashes -= 1
            raise Crash("killed after the first write")
        super().commit()
