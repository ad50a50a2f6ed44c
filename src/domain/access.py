"""Who may read what: the subscriptions that grant access, to what, and for how long."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.catalog import Catalog, Plan, single_plan
from domain.subscription import DEFAULT_PAST_DUE_GRACE, Subscription
from domain.user import User


@dataclass(frozen=True)
class AccessPolicy:
    """The access rule, with what this product sells.

    Rules:
    - only a subscription to a price of the catalog counts: while it grants access by
      its status (`Subscription.grants_premium`, with `past_due_grace`) it gives what its
      plan includes, and while live it is "the" subscription the user manages;
    - a subscription to any other price of the provider account (another product, a $0
      newsletter) is stored as the provider reports it but gives nothing and does not
      count as live;
    - a user's entitlements are the union of what their subscriptions give.
    """

    catalog: Catalog
    past_due_grace: timedelta = DEFAULT_PAST_DUE_GRACE

    @classmethod
    def selling(
        cls, *price_ids: str, past_due_grace: timedelta = DEFAULT_PAST_DUE_GRACE
    ) -> "AccessPolicy":
        """One plan, sold at the first price; the others are grandfathered. No price:
        nothing is sold (a server without payments)."""
        first = price_ids[0] if price_ids else None
        return cls(single_plan(first, price_ids[1:]), past_due_grace)

    @property
    def prices(self) -> frozenset[str]:
        """Every price id that gives something."""
        sold = (price.price_id for plan in self.catalog.plans for price in plan.prices)
        return frozenset(p for p in sold if p) | frozenset(self.catalog.grandfathered)

    def plan_of(self, subscription: Subscription) -> Plan | None:
        return self.catalog.plan_of(subscription.price_id)

    def sells(self, subscription: Subscription) -> bool:
        return self.plan_of(subscription) is not None

    def entitlements(self, user: User, now: datetime) -> frozenset[str]:
        """What the user may read now."""
        given: set[str] = set()
        for subscription in self._sold(user):
            plan = self.plan_of(subscription)
            if plan is not None and subscription.grants_premium(now, self.past_due_grace):
                given |= plan.includes
        return frozenset(given)

    def grants(self, user: User, entitlement: str, now: datetime) -> bool:
        return entitlement in self.entitlements(user, now)

    def plan_in_force(self, user: User, now: datetime) -> Plan | None:
        """The plan whose access the user holds now; of several, the highest ranked."""
        held = [
            plan
            for subscription in self._sold(user)
            if subscription.grants_premium(now, self.past_due_grace)
            and (plan := self.plan_of(subscription)) is not None
        ]
        return max(held, key=lambda plan: plan.rank) if held else None

    def grants_premium(self, user: User, now: datetime) -> bool:
        """Whether any paid access is granted now (some plan, whichever)."""
        return bool(self.entitlements(user, now))

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
