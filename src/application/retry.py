import random
import time
from collections.abc import Callable
from typing import TypeVar

from application.ports import ConcurrentUpdate, UnitOfWork

T = TypeVar("T")

BASE_DELAY_SECONDS = 0.01
MAX_DELAY_SECONDS = 0.5


def retry_on_conflict(
    transaction: Callable[[], T],
    attempts: int = 6,
    conflicts: tuple[type[Exception], ...] = (ConcurrentUpdate,),
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `transaction` again when its commit lost a race with another transaction.

    Optimistic locking makes the loser fail instead of overwriting the winner; run
    again, it reads the winner's state and decides afresh. Between tries it waits a
    random time below an exponentially growing bound ("full jitter"), so that racers
    that collided once do not collide again in lockstep.
    """
    for attempt in range(attempts - 1):
        try:
            return transaction()
        except conflicts:
            bound = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**attempt)
            sleep(random.uniform(0, bound))  # noqa: S311 (jitter, not a secret)
    return transaction()


def write(
    uow: UnitOfWork,
    work: Callable[[UnitOfWork], T],
    *,
    conflicts: tuple[type[Exception], ...] = (ConcurrentUpdate,),
) -> T:
    """Run `work` in one writer's transaction and commit what it did; when the commit
    loses a race, run it afresh (`retry_on_conflict`). Returns what `work` returned.

    The one way the use cases write: the users `work` reads are locked until the end
    (`UnitOfWork.writing`), and nothing is stored unless all of it is.
    """

    def attempt() -> T:
        with uow.writing() as transaction:
            result = work(transaction)
            transaction.commit()
        return result

    return retry_on_conflict(attempt, conflicts=conflicts)
