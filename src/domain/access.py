"""Who may read what: the subscriptions that grant access, and for how long."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.subscription import DEFAULT_PAST_DUE_GRACE, Subscription
from domain.user import User


@dataclass(frozen=True)
class AccessPolicy:
    """The access rule, with what this product sells.

    Rules:
    - only a subscription to one of `prices` (the product's own prices) counts: it grants
      premium by the subscription's status rule (`Subscription.grants_premium`, with
      `past_due_grace`), and while live it is "the" subscription the user manages;
    - a subscription to any other price of the provider account (another product, a $0
      newsletter) is stored as the provider reports it but grants nothing and does not
      count as live.

    A catalog of plans replaces `prices` with a map from price to what it includes; the
    questions asked here stay the same.
    """

    prices: frozenset[str]
    past_due_grace: timedelta = DEFAULT_PAST_DUE_GRACE

    def sells(self, subscription: Subscription) -> bool:
        return subscription.price_id is not None and subscription.price_id in self.prices

    def grants_premium(self, user: User, now: datetime) -> bool:
        return any(s.grants_premium(now, self.past_due_grace) for s in self._sold(user))

    def live_subscriptions(self, subscriptions: Iterable[Subscription]) -> list[Subscription]:
        """The subscriptions to our prices that the provider still bills."""
        return [s for s in subscriptions if s.is_live and self.sells(s)]

    def has_live_subscription(self, user: User) -> bool:
        return bool(self.live_subscriptions(user.subscriptions.values()))

    def current_subscription(self, user: User) -> Subscription | None:
        """The subscription to show: of ours, a live one first, else the most recent."""
        sold = self._sold(user)
        return max(sold, key=lambda s: (s.is_live, s.as_of)) if sold else None

    def _sold(self, user: User) -> list[Subscription]:
        return [s for s in user.subscriptions.values() if self.sells(s)]
