import enum
from dataclasses import dataclass
from datetime import timedelta

from application.ports import Clock, UnitOfWork
from domain.errors import SubscriptionRequired
from domain.subscription import DEFAULT_PAST_DUE_GRACE


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
    domain's access rule (`Subscription.grants_premium`) with the configured past-due
    grace. Raises `SubscriptionRequired` when refused, `UserNotFound` for a stale id.
    """

    def __init__(
        self, uow: UnitOfWork, clock: Clock, grace: timedelta = DEFAULT_PAST_DUE_GRACE
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._grace = grace

    def execute(self, command: AccessContentCommand) -> None:
        with self._uow as uow:
            user = uow.users.require(command.user_id)
        if command.tier is ContentTier.PREMIUM and not user.has_premium(
            self._clock.now(), self._grace
        ):
            raise SubscriptionRequired()
