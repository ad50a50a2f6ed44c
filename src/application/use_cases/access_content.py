import enum
from dataclasses import dataclass

from application.ports import Clock
from domain.access import AccessPolicy
from domain.errors import SubscriptionRequired
from domain.user import User


class ContentTier(enum.StrEnum):
    FREE = "free"
    PREMIUM = "premium"


@dataclass(frozen=True)
class AccessContentCommand:
    user: User  # as loaded for this request, with their subscriptions
    tier: ContentTier


class AccessContent:
    """May this user read this content?

    Rules: free content is for every signed-in user; premium content follows the
    access policy (a subscription to one of our prices, by its status, with the
    past-due grace). Raises `SubscriptionRequired` when refused.

    It reads nothing: the caller hands over the user it loaded for this request (the web
    session loads them once, subscriptions joined), so that a page costs one read.
    """

    def __init__(self, clock: Clock, policy: AccessPolicy) -> None:
        self._clock = clock
        self._policy = policy

    def execute(self, command: AccessContentCommand) -> None:
        if command.tier is ContentTier.PREMIUM and not self._policy.grants_premium(
            command.user, self._clock.now()
        ):
            raise SubscriptionRequired()
