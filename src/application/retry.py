from collections.abc import Callable
from typing import TypeVar

from application.ports import ConcurrentUpdate

T = TypeVar("T")


def retry_on_conflict(
    transaction: Callable[[], T],
    attempts: int = 5,
    conflicts: tuple[type[Exception], ...] = (ConcurrentUpdate,),
) -> T:
    """Run `transaction` again when its commit lost a race with another transaction.

    Optimistic locking makes the loser fail instead of overwriting the winner; run
    again, it reads the winner's state and decides afresh.
    """
    for _ in range(attempts - 1):
        try:
            return transaction()
        except conflicts:
            continue
    return transaction()
