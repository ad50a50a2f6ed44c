"""Writers to one SQLite file take turns on a file lock beside it, before SQLite's own.

SQLite lets one writer at a time hold the database, and one that finds it held polls:
its busy handler sleeps 1, 2, 5, 10 ... ms between tries, however soon the lock is
released. Two gunicorn workers writing webhooks then spend much of their time asleep
with the database free (issue 10: a webhook holds the lock for well under a
millisecond). Here a writer first queues on an exclusive `flock` of `<database>-writers`,
which the kernel hands to the next waiter the moment it is released, and only then
begins its immediate transaction, which then finds the database free (unless a process
that does not queue here, such as a CLI command or another program, holds it: SQLite's
own lock and busy timeout still decide, as before). The lock is the kernel's: a writer
killed with its turn held (kill -9) releases it with its process. A process that cannot
create the file (a read-only folder) writes without queueing.
"""

import fcntl
import os
import threading
from functools import cache


class WriterTurns:
    """The turns of one database file. Each thread of each process queues on its own
    open file (a `flock` is held per open file), so threads take turns too; turns nest in
    a thread (the outermost one holds the lock)."""

    def __init__(self, lock_path: str) -> None:
        self._path = lock_path
        self._local = threading.local()

    def acquire(self) -> None:
        local = self._local
        depth = getattr(local, "depth", 0)
        if depth == 0:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        local.depth = depth + 1

    def release(self) -> None:
        local = self._local
        local.depth -= 1
        if local.depth == 0:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _file(self) -> int | None:
        # Opened per process: a descriptor inherited through fork() shares its lock with
        # the parent, so it would not make the two take turns.
        local = self._local
        opened = getattr(local, "opened", None)
        if opened is None or opened[0] != os.getpid():
            try:
                fd: int | None = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:
                fd = None
            opened = local.opened = (os.getpid(), fd)
        return opened[1]


@cache
def writer_turns(database: str) -> WriterTurns:
    """The turns of the SQLite file at `database` (one object per file and process)."""
    return WriterTurns(os.path.abspath(database) + "-writers")


def turns_for(database: str | None) -> WriterTurns | None:
    """None for an in-memory database (one connection: nothing to queue for)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return writer_turns(database)
