"""The pricing page's view model: the catalog's plans and prices in words and money a
person reads. The amounts are the payment provider's (the catalog resolved at start-up);
nothing here is a price of its own."""

from dataclasses import dataclass

from domain.catalog import Catalog, Interval, Plan, PlanPrice
from entrypoints.flask_app.formatting import money as money  # re-exported: pages import it here

# What each entitlement means to a reader; an entitlement without a label is shown by
# its name. A new entitlement in catalog.toml gets its words here.
ENTITLEMENT_LABELS = {
    "notes.basic": "Every Basic note: habits for capturing and reviewing",
    "notes.pro": "The Pro notes: from notes to drafts, deep-work routines",
    "notes.premium": "Every premium note",
}
INTERVAL_WORD = {Interval.MONTH: "month", Interval.YEAR: "year"}


def price_label(price: PlanPrice) -> str:
    """`$5.00 / month`."""
    return f"{money(price.amount, price.currency)} / {INTERVAL_WORD[price.interval]}"


def per_interval(price: PlanPrice) -> str:
    """`$5.00 a month`."""
    return f"{money(price.amount, price.currency)} a {INTERVAL_WORD[price.interval]}"


def price_name(plan: Plan, price: PlanPrice) -> str:
    """`Basic (monthly)`."""
    return f"{plan.name} ({INTERVAL_WORD[price.interval]}ly)"


def trial_text(plan: Plan) -> str | None:
    if not plan.trial_days:
        return None
    card = ", no card needed" if plan.trial_without_card else ""
    return f"{plan.trial_days}-day free trial{card}"


@dataclass(frozen=True)
class PriceOption:
    lookup_key: str
    label: str  # "$120.00 / year"; the plan's name alone when the amount is unknown
    interval: str  # "Monthly", "Yearly"
    saving: str | None  # "Save $24.00 a year against paying monthly"


@dataclass(frozen=True)
class PlanCard:
    key: str
    name: str
    includes: tuple[str, ...]
    trial: str | None
    options: tuple[PriceOption, ...]


@dataclass(frozen=True)
class PricingPage:
    plans: tuple[PlanCard, ...]
    on_sale: bool  # prices resolved at the provider (payments configured)

    @classmethod
    def of(cls, catalog: Catalog) -> "PricingPage":
        priced = catalog.from_provider
        return cls(tuple(_card(plan, priced) for plan in catalog.plans), _on_sale(catalog))


def _card(plan: Plan, priced: bool) -> PlanCard:
    saving = plan.yearly_saving() if priced else None
    options = []
    for price in sorted(plan.prices, key=lambda p: p.interval.months):
        yearly = price.interval is Interval.YEAR
        options.append(
            PriceOption(
                lookup_key=price.lookup_key,
                label=price_label(price) if priced else plan.name,
                interval="Yearly" if yearly else "Monthly",
                saving=f"Save {money(saving, price.currency)} a year against paying monthly"
                if yearly and saving
                else None,
            )
        )
    includes = tuple(ENTITLEMENT_LABELS.get(e, e) for e in sorted(plan.includes))
    return PlanCard(plan.key, plan.name, includes, trial_text(plan), tuple(options))


def _on_sale(catalog: Catalog) -> bool:
    return all(price.price_id for plan in catalog.plans for price in plan.prices)


def chosen(catalog: Catalog, lookup_key: str) -> tuple[PlanCard, PriceOption] | None:
    """The card and the option of one price, for the page that confirms a choice."""
    page = PricingPage.of(catalog)
    for card in page.plans:
        for option in card.options:
            if option.lookup_key == lookup_key:
                return card, option
    return None
