"""What the product sells: plans, the prices they are sold at, what each includes."""

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace


class Interval(enum.StrEnum):
    MONTH = "month"
    YEAR = "year"

    @property
    def months(self) -> int:
        return 12 if self is Interval.YEAR else 1


class CatalogError(ValueError):
    """The catalog contradicts itself; the message names what."""


@dataclass(frozen=True)
class PlanPrice:
    """One way to pay for a plan. `lookup_key` names it at the provider (stable across
    accounts and modes); `price_id` is what the provider calls it once resolved;
    `amount` (minor units) and `currency` are what the provider charges."""

    lookup_key: str
    interval: Interval
    amount: int
    currency: str
    price_id: str | None = None


@dataclass(frozen=True)
class Plan:
    """A plan people choose. Plans later in the catalog rank higher (an upgrade)."""

    key: str
    name: str
    includes: frozenset[str]
    prices: tuple[PlanPrice, ...]
    trial_days: int = 0
    trial_without_card: bool = False
    rank: int = 0

    def price(self, interval: Interval) -> PlanPrice | None:
        return next((p for p in self.prices if p.interval is interval), None)

    def yearly_saving(self) -> int | None:
        """What paying yearly saves against twelve monthly payments, in the currency's
        minor unit; None when the plan lacks either price, they differ in currency, or
        yearly saves nothing."""
        monthly, yearly = self.price(Interval.MONTH), self.price(Interval.YEAR)
        if monthly is None or yearly is None or monthly.currency != yearly.currency:
            return None
        saving = 12 * monthly.amount - yearly.amount
        return saving if saving > 0 else None


@dataclass(frozen=True)
class Catalog:
    """Every plan on sale, and the prices that used to be (their subscribers keep what
    they bought: `grandfathered` maps such a price id to the plan it gives)."""

    plans: tuple[Plan, ...]
    grandfathered: Mapping[str, str] = field(default_factory=dict)
    # Whether the prices are the provider's (`resolved`): their ids, amounts, currencies
    # and intervals as charged. A one-price setup's catalog knows only its price's id.
    from_provider: bool = False
    # Indexes made once (every page asks which plan a price gives, and which plans open
    # a note): the plan of each price id, the plans that include each entitlement.
    _plan_by_price: Mapping[str, Plan] = field(init=False, repr=False, compare=False)
    _plans_by_entitlement: Mapping[str, tuple[Plan, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not self.plans:
            raise CatalogError("the catalog names no plan")
        keys = [p.key for p in self.plans]
        if len(set(keys)) != len(keys):
            raise CatalogError("two plans share a key")
        lookups = [price.lookup_key for p in self.plans for price in p.prices]
        if len(set(lookups)) != len(lookups):
            raise CatalogError("two prices share a lookup_key")
        for plan in self.plans:
            if not plan.prices:
                raise CatalogError(f"plan {plan.key} has no price")
            if not plan.includes:
                raise CatalogError(f"plan {plan.key} includes nothing")
            if plan.trial_days < 0:
                raise CatalogError(f"plan {plan.key} has a negative trial")
        for price_id, plan_key in self.grandfathered.items():
            if plan_key not in keys:
                raise CatalogError(f"grandfathered price {price_id} names no plan: {plan_key}")
        by_price: dict[str, Plan] = {}
        for plan in self.plans:  # a price on sale first, in the plans' order
            for price in plan.prices:
                if price.price_id is not None:
                    by_price.setdefault(price.price_id, plan)
        for price_id, plan_key in self.grandfathered.items():
            if price_id not in by_price:
                by_price[price_id] = next(p for p in self.plans if p.key == plan_key)
        by_entitlement = {
            entitlement: tuple(p for p in self.plans if entitlement in p.includes)
            for entitlement in self.entitlements
        }
        object.__setattr__(self, "_plan_by_price", by_price)  # frozen: set once, here
        object.__setattr__(self, "_plans_by_entitlement", by_entitlement)

    @property
    def lookup_keys(self) -> tuple[str, ...]:
        return tuple(price.lookup_key for plan in self.plans for price in plan.prices)

    @property
    def entitlements(self) -> frozenset[str]:
        return frozenset().union(*(plan.includes for plan in self.plans))

    def plan(self, key: str) -> Plan | None:
        return next((p for p in self.plans if p.key == key), None)

    def plan_of(self, price_id: str | None) -> Plan | None:
        """The plan a subscription to `price_id` gives; None for a price we do not sell."""
        return self._plan_by_price.get(price_id) if price_id is not None else None

    def price_by_id(self, price_id: str) -> tuple[Plan, PlanPrice] | None:
        for plan in self.plans:
            for price in plan.prices:
                if price.price_id == price_id:
                    return plan, price
        return None

    def plans_including(self, entitlement: str) -> tuple[Plan, ...]:
        return self._plans_by_entitlement.get(entitlement, ())

    def resolved(self, prices: Mapping[str, PlanPrice]) -> "Catalog":
        """The catalog with each price as the provider has it (by lookup_key). A lookup
        key the provider does not know is a `CatalogError` naming it."""
        missing = [key for key in self.lookup_keys if key not in prices]
        if missing:
            raise CatalogError(
                "the payment provider has no price with lookup_key "
                + ", ".join(missing)
                + " (run `flask stripe-provision`)"
            )
        plans = tuple(
            replace(plan, prices=tuple(prices[p.lookup_key] for p in plan.prices))
            for plan in self.plans
        )
        return replace(self, plans=plans, from_provider=True)

    @property
    def highest(self) -> Plan:
        """The plan that ranks highest (the last in the file)."""
        return max(self.plans, key=lambda p: p.rank)

    def price_by_lookup_key(self, lookup_key: str) -> tuple[Plan, PlanPrice] | None:
        for plan in self.plans:
            for price in plan.prices:
                if price.lookup_key == lookup_key:
                    return plan, price
        return None


def single_plan(price_id: str | None, grandfathered: Iterable[str] = ()) -> Catalog:
    """The catalog of a one-price setup (STRIPE_PRICE_ID): one plan, "premium", that
    includes every entitlement a note may ask for (`SINGLE_PLAN_INCLUDES`), so its
    subscribers read every paid note, as they did before plans. Without a price it
    sells nothing."""
    price = PlanPrice("premium_monthly", Interval.MONTH, 0, "usd", price_id)
    plan = Plan("premium", "Premium", SINGLE_PLAN_INCLUDES, (price,))
    return Catalog((plan,), {p: "premium" for p in grandfathered})


PREMIUM = "notes.premium"
BASIC = "notes.basic"
PRO = "notes.pro"
SINGLE_PLAN_INCLUDES = frozenset({PREMIUM, BASIC, PRO})
"""What the one plan of a one-price setup includes: every entitlement the shipped notes
(content/notes) and catalog.toml's plans name. A note asking for anything else is locked
there, as it is under a catalog whose plans do not include it."""
