import abc
from datetime import datetime


class Clock(abc.ABC):
    """The current time, timezone-aware, in UTC."""

    @abc.abstractmethod
    def now(self) -> datetime: ...
