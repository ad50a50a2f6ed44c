import enum
from dataclasses import dataclass

from application.ports import Clock, UnitOfWork
from domain.access import AccessPolicy
from domain.errors import SubscriptionRequired


class ContentTier(enum.StrEnum):
    FREE = "free"
    PREMIUM = "premium"


@dataclass(frozen=True)
class AccessContentCommand:
    user_id: str
    tier: ContentTier


class AccessContent:
    """May this user read this content?

    Rules: free content is for every signed-in user; premium content follows the
    access policy (a subscription to one of our prices, by its status, with the
    past-due grace). Raises `SubscriptionRequired` when refused, `UserNotFound` for a
    stale id.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, policy: AccessPolicy) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy

    def execute(self, command: AccessContentCommand) -> None:
        with self._uow as uow:
            user = uow.users.require(command.user_id)
        if command.tier is ContentTier.PREMIUM and not self._policy.grants_premium(
            user, self._clock.now()
        ):
            raise SubscriptionRequired()
