"""Which SQLAlchemy errors mean "the database cannot be reached now".

The database is down, restarting, cut off, or every pooled connection is busy: worth a
503 and a retry, unlike a wrong statement or a broken constraint, which are bugs.
"""

from sqlalchemy import exc

# OperationalError: refused or dropped connections (also SQLite's "database is locked",
# a deadlock or a cancelled statement: transient too). InterfaceError: the driver lost
# its connection. TimeoutError: no pooled connection came free in time.
UNAVAILABLE: tuple[type[Exception], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.TimeoutError,
)


def is_database_unavailable(error: BaseException) -> bool:
    """True when `error`, or an error it was raised from, says the database cannot be
    reached now."""
    seen: BaseException | None = error
    for _ in range(10):  # a cause chain is short; never loop on a cycle
        if seen is None:
            return False
        if isinstance(seen, UNAVAILABLE):
            return True
        if isinstance(seen, exc.DBAPIError) and seen.connection_invalidated:
            return True
        seen = seen.__cause__
    return False


def first_line(error: exc.DBAPIError) -> str:
    """The driver's own first line (no SQL, no parameters): for a log or a console."""
    text = str(error.orig or type(error).__name__).strip()
    return text.splitlines()[0] if text else type(error).__name__
