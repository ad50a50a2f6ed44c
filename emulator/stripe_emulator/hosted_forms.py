"""What the hosted pages' forms send, and the errors those pages show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from .cards import DECLINED_MESSAGE, CardBehaviour, CardError, behaviour_of, check_expiry_and_cvc
from .cards import normalise_number as _digits


class PageError(Exception):
    """Something a hosted page shows to the person paying, with the HTTP status to use."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class NotFound(PageError):
    def __init__(self, message: str = "This page does not exist.") -> None:
        super().__init__(message, 404)


@dataclass(frozen=True)
class CardEntry:
    """The card fields of a hosted form, as typed."""

    number: str
    expiry: str | None = None
    cvc: str | None = None


def checked_card(entry: CardEntry, now: int) -> str:
    """The digits of a usable card, or :class:`PageError` with the page's message."""
    try:
        behaviour = behaviour_of(entry.number)
        today = datetime.fromtimestamp(now, UTC)
        check_expiry_and_cvc(entry.expiry, entry.cvc, year=today.year, month=today.month)
    except CardError as error:
        raise PageError(str(error), 400) from None
    if behaviour is CardBehaviour.DECLINED:
        raise PageError(DECLINED_MESSAGE, 402)
    return _digits(entry.number)
