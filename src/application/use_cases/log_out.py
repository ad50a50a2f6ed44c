from dataclasses import dataclass
from functools import partial

from application.ports import UnitOfWork
from application.retry import write


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
        write(self._uow, partial(self._end_sessions, command.user_id))

    @staticmethod
    def _end_sessions(user_id: str, uow: UnitOfWork) -> None:
        user = uow.users.get(user_id)
        if user is not None:
            user.end_sessions()
            uow.users.save(user)
