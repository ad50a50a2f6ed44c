"""Test cards: what a card number typed on a hosted page does when charged."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from . import objects
from .objects import Json


class CardBehaviour(enum.Enum):
    PAYS = "pays"
    """``4242 4242 4242 4242``: every charge succeeds."""
    DECLINED = "declined"
    """``4000 0000 0000 0002``: declined at once; nothing is created."""
    FIRST_CHARGE_ONLY = "first_charge_only"
    """``4000 0000 0000 0341``: the first charge succeeds, every later one fails."""


DEFAULT_CARD = "4242424242424242"

TEST_CARDS: dict[str, CardBehaviour] = {
    DEFAULT_CARD: CardBehaviour.PAYS,
    "4000000000000002": CardBehaviour.DECLINED,
    "4000000000000341": CardBehaviour.FIRST_CHARGE_ONLY,
}

# Stripe's test payment-method ids, usable as ``default_payment_method`` via the API.
TEST_PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": DEFAULT_CARD,
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeCustomerFail": "4000000000000341",
}

DECLINED_MESSAGE = "Your card was declined."
NOT_A_TEST_CARD_MESSAGE = (
    "Your card number is not a test card. Use 4242 4242 4242 4242 (pays), "
    "4000 0000 0000 0002 (declined) or 4000 0000 0000 0341 (later charges fail)."
)

_SEPARATORS = re.compile(r"[\s-]+")


class CardError(ValueError):
    """A card that cannot be used; the message is meant for the page."""


def normalise_number(number: str) -> str:
    """The digits of a typed card number (spaces and dashes removed)."""
    return _SEPARATORS.sub("", number or "")


def behaviour_of(number: str) -> CardBehaviour:
    """The behaviour of a typed card number; :class:`CardError` if it is no test card."""
    digits = normalise_number(number)
    if not digits:
        raise CardError("Enter a card number.")
    behaviour = TEST_CARDS.get(digits)
    if behaviour is None:
        raise CardError(NOT_A_TEST_CARD_MESSAGE)
    return behaviour


def check_expiry_and_cvc(expiry: str | None, cvc: str | None, *, year: int, month: int) -> None:
    """Check the expiry (``MM/YY``) and CVC when they are given; :class:`CardError` if bad.

    ``year`` and ``month`` are today's, so an expired card is refused.
    """
    if expiry:
        match = re.fullmatch(r"\s*(\d{1,2})\s*/?\s*(\d{2}|\d{4})\s*", expiry)
        if match is None:
            raise CardError("Your card's expiration date is incomplete.")
        exp_month = int(match.group(1))
        exp_year = int(match.group(2))
        if exp_year < 100:
            exp_year += 2000
        if not 1 <= exp_month <= 12:
            raise CardError("Your card's expiration month is invalid.")
        if (exp_year, exp_month) < (year, month):
            raise CardError("Your card's expiration year is in the past.")
    if cvc and not re.fullmatch(r"\d{3,4}", cvc.strip()):
        raise CardError("Your card's security code is incomplete.")


@dataclass
class PaymentMethod:
    """A card saved on a customer. Kept in a side table (its number and how many times
    it was charged decide what the next charge does); the API shows it as a
    ``payment_method`` (:meth:`as_object`), by id or expanded."""

    id: str
    number: str
    customer: str | None
    exp_month: int = 12
    exp_year: int = 2034
    charges: int = 0
    created: int = 0  # older state files lack it

    @property
    def behaviour(self) -> CardBehaviour:
        return TEST_CARDS[self.number]

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def as_object(self) -> Json:
        """The ``payment_method`` object Stripe shows for this card (never its number)."""
        return objects.payment_method(
            method_id=self.id,
            number=self.number,
            customer=self.customer,
            exp_month=self.exp_month,
            exp_year=self.exp_year,
            created=self.created,
        )

    def charge(self) -> bool:
        """Attempt one charge; True when it succeeds."""
        behaviour = self.behaviour
        succeeded = behaviour is CardBehaviour.PAYS or (
            behaviour is CardBehaviour.FIRST_CHARGE_ONLY and self.charges == 0
        )
        self.charges += 1
        return succeeded

    def would_decline_now(self) -> bool:
        """True when the next charge would fail (used to refuse a card up front)."""
        behaviour = self.behaviour
        return behaviour is CardBehaviour.DECLINED or (
            behaviour is CardBehaviour.FIRST_CHARGE_ONLY and self.charges > 0
        )
