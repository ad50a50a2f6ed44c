from dataclasses import dataclass
from functools import partial

from application.ports import UnitOfWork
from application.retry import retry_on_conflict


@dataclass(frozen=True)
class LogOutCommand:
    user_id: str


class LogOut:
    """End the user's sessions on the server, not only in the browser at hand.

    Rules: sessions are signed cookies that a copy would keep alive; each carries the
    user's session generation, and raising it makes every earlier session invalid (a
    stolen copy included). An unknown user has nothing to end.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def execute(self, command: LogOutCommand) -> None:
        retry_on_conflict(partial(self._end_sessions, command.user_id))

    def _end_sessions(self, user_id: str) -> None:
        with self._uow as uow:
            user = uow.users.get(user_id)
            if user is None:
                return
            user.end_sessions()
            uow.users.save(user)
            uow.commit()
