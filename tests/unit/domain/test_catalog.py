"""The catalog: plans, prices by lookup key, what each includes."""

import pytest

from domain.catalog import Catalog, CatalogError, Interval, Plan, PlanPrice

BASIC_M = PlanPrice("basic_monthly", Interval.MONTH, 500, "usd")
BASIC_Y = PlanPrice("basic_yearly", Interval.YEAR, 5000, "usd")
PRO_M = PlanPrice("pro_monthly", Interval.MONTH, 1200, "usd")
BASIC = Plan("basic", "Basic", frozenset({"notes.basic"}), (BASIC_M, BASIC_Y), 7, True, 0)
PRO = Plan("pro", "Pro", frozenset({"notes.basic", "notes.pro"}), (PRO_M,), 14, False, 1)
CATALOG = Catalog((BASIC, PRO))


def resolved() -> Catalog:
    prices = {
        p.lookup_key: PlanPrice(p.lookup_key, p.interval, p.amount, p.currency, f"price_{i}")
        for i, p in enumerate((BASIC_M, BASIC_Y, PRO_M))
    }
    return CATALOG.resolved(prices)


def test_a_resolved_catalog_finds_the_plan_of_each_price() -> None:
    catalog = resolved()
    assert catalog.plan_of("price_0") == catalog.plan("basic")
    assert catalog.plan_of("price_2") == catalog.plan("pro")
    assert catalog.plan_of("price_newsletter") is None
    assert catalog.plan_of(None) is None


def test_a_missing_lookup_key_is_one_error_naming_it() -> None:
    with pytest.raises(CatalogError, match="pro_monthly"):
        CATALOG.resolved({"basic_monthly": BASIC_M, "basic_yearly": BASIC_Y})


def test_a_grandfathered_price_gives_its_plan() -> None:
    catalog = Catalog(CATALOG.plans, {"price_old": "pro"})
    assert catalog.plan_of("price_old") == PRO


@pytest.mark.parametrize(
    "plans",
    [
        (),
        (BASIC, BASIC),
        (BASIC, Plan("other", "Other", frozenset({"x"}), (BASIC_M,))),
        (Plan("empty", "Empty", frozenset(), (BASIC_M,)),),
        (Plan("free", "Free", frozenset({"x"}), ()),),
    ],
    ids=["none", "same key", "same lookup key", "includes nothing", "no price"],
)
def test_a_catalog_that_contradicts_itself_is_refused(plans: tuple[Plan, ...]) -> None:
    with pytest.raises(CatalogError):
        Catalog(plans)


def test_what_plans_include_an_entitlement() -> None:
    assert CATALOG.plans_including("notes.pro") == (PRO,)
    assert CATALOG.plans_including("notes.basic") == (BASIC, PRO)
    assert CATALOG.entitlements == {"notes.basic", "notes.pro"}
    assert BASIC.price(Interval.YEAR) == BASIC_Y
    assert PRO.price(Interval.YEAR) is None
