"""The payment gateway's plan changes, one contract for the in-memory fake and for the
Stripe adapter talking to the Stripe emulator over HTTP: the preview and the charge that
follows it, a declined card, a downgrade scheduled for the period's end, a trial's change,
and the discount a promotion code gives.

The emulator's clock moves here (a period ends), so this module has an emulator of its own.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from adapters.catalog_file import load_catalog
from application.ports import CheckoutOffer, PaymentGateway
from domain.catalog import PlanPrice
from domain.email import EmailAddress
from domain.errors import PaymentDeclined
from domain.subscription import Subscription, SubscriptionStatus
from stripe_emulator import Emulator
from tests.contract.test_payment_gateway_contract import (
    CARD,
    CARD_THAT_PAYS_ONCE,
    REPO_CATALOG,
    Provider,
    _another_checkout,
    make_pair,
)

Pair = tuple[PaymentGateway, Provider]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0, tick_interval=None) as emu:
        yield emu


@pytest.fixture(params=["fake", "stripe-emulator"])
def pair(request: pytest.FixtureRequest) -> Pair:
    return make_pair(request)


def _prices(pair: Pair) -> dict[str, PlanPrice]:
    gateway, provider = pair
    catalog = load_catalog(REPO_CATALOG)
    provider.stock(catalog)
    return dict(gateway.find_prices(catalog.lookup_keys))


def _subscribed(
    pair: Pair,
    user_id: str,
    lookup_key: str,
    *,
    trial_days: int = 0,
    card: str = CARD,  # "": none (a trial that asks for none)
    promotion_code: str | None = None,
) -> tuple[str, dict[str, PlanPrice]]:
    """A paid subscription of `user_id` (unique per test) to `lookup_key`; its id and the
    catalog's prices by lookup key."""
    gateway, provider = pair
    prices = _prices(pair)
    customer = gateway.create_customer(user_id, EmailAddress(f"{user_id}@example.com"))
    price_id = prices[lookup_key].price_id
    assert price_id is not None
    checkout = _another_checkout(
        pair,
        user_id,
        customer,
        offer=CheckoutOffer(price_id, trial_days=trial_days, trial_without_card=not card),
    )
    provider.pay(checkout.session_id, checkout.url, card=card, promotion_code=promotion_code)
    subscription_id = gateway.get_checkout_session(checkout.session_id).subscription_id
    assert subscription_id is not None
    return subscription_id, prices


def _id(prices: dict[str, PlanPrice], lookup_key: str) -> str:
    price_id = prices[lookup_key].price_id
    assert price_id is not None
    return price_id


def _now(gateway: PaymentGateway, subscription_id: str) -> datetime:
    """The provider's time (its clock may run apart from ours)."""
    current = gateway.get_subscription(subscription_id)
    assert current is not None
    return current.as_of


def _share(amount: int, at: datetime, subscription: Subscription) -> int:
    start, end = subscription.current_period_start, subscription.current_period_end
    assert start is not None and end is not None
    return round(amount * (end - at).total_seconds() / (end - start).total_seconds())


def test_an_upgrade_charges_now_exactly_what_its_preview_showed(pair: Pair) -> None:
    gateway, provider = pair
    subscription_id, prices = _subscribed(pair, "change-1", "basic_monthly")
    before = gateway.get_subscription(subscription_id)
    assert before is not None
    now = before.as_of

    preview = gateway.preview_plan_change(subscription_id, _id(prices, "pro_monthly"), now)

    expected = _share(1200, now, before) - _share(500, now, before)
    assert preview.due_now == expected
    assert preview.credit == _share(500, now, before)
    assert (preview.currency, preview.discount, preview.to_balance) == ("usd", 0, 0)
    assert preview.renews_at == before.current_period_end  # the same cycle
    assert preview.proration_date == now
    after = gateway.get_subscription(subscription_id)
    assert after is not None and after.same_state_as(before)  # a preview changes nothing

    changed = gateway.change_price_now(subscription_id, _id(prices, "pro_monthly"), now)

    assert changed.price_id == _id(prices, "pro_monthly")
    assert changed.status is SubscriptionStatus.ACTIVE
    assert changed.current_period_end == before.current_period_end
    assert provider.charges(subscription_id) == [500, preview.due_now]


def test_the_same_change_confirmed_twice_charges_once(pair: Pair) -> None:
    gateway, provider = pair
    subscription_id, prices = _subscribed(pair, "change-2", "basic_monthly")
    now = _now(gateway, subscription_id)
    pro = _id(prices, "pro_monthly")

    first = gateway.change_price_now(subscription_id, pro, now)
    again = gateway.change_price_now(subscription_id, pro, now)

    assert first.price_id == again.price_id == pro
    assert len(provider.charges(subscription_id)) == 2  # the first month, then the change


def test_a_declined_card_changes_nothing(pair: Pair) -> None:
    gateway, provider = pair
    subscription_id, prices = _subscribed(
        pair, "change-3", "basic_monthly", card=CARD_THAT_PAYS_ONCE
    )
    now = _now(gateway, subscription_id)

    with pytest.raises(PaymentDeclined):
        gateway.change_price_now(subscription_id, _id(prices, "pro_monthly"), now)

    current = gateway.get_subscription(subscription_id)
    assert current is not None
    assert (current.price_id, current.status) == (
        _id(prices, "basic_monthly"),
        SubscriptionStatus.ACTIVE,
    )
    assert provider.charges(subscription_id) == [500]


def test_a_switch_to_yearly_starts_a_new_period_now_less_the_unused_month(pair: Pair) -> None:
    gateway, provider = pair
    subscription_id, prices = _subscribed(pair, "change-4", "pro_monthly")
    before = gateway.get_subscription(subscription_id)
    assert before is not None
    now = before.as_of

    preview = gateway.preview_plan_change(subscription_id, _id(prices, "pro_yearly"), now)
    changed = gateway.change_price_now(subscription_id, _id(prices, "pro_yearly"), now)

    assert preview.due_now == 12000 - _share(1200, now, before)
    assert preview.renews_at is not None and preview.renews_at > now + timedelta(days=300)
    assert changed.current_period_end == preview.renews_at
    assert provider.charges(subscription_id) == [1200, preview.due_now]


def test_a_downgrade_is_pending_until_the_period_ends(pair: Pair) -> None:
    gateway, provider = pair
    subscription_id, prices = _subscribed(pair, "change-5", "pro_monthly")
    before = gateway.get_subscription(subscription_id)
    assert before is not None and before.current_period_end is not None

    pending = gateway.schedule_price_change(subscription_id, _id(prices, "basic_yearly"))
    replaced = gateway.schedule_price_change(subscription_id, _id(prices, "basic_monthly"))

    assert pending.at == replaced.at == before.current_period_end
    billing = gateway.get_subscription_billing(subscription_id)
    assert billing is not None
    assert billing.pending_change == replaced
    assert billing.subscription.price_id == _id(prices, "pro_monthly")  # Pro until then
    assert billing.discount is None
    assert provider.charges(subscription_id) == [1200]  # nothing billed now

    provider.end_period(subscription_id)

    billing = gateway.get_subscription_billing(subscription_id)
    assert billing is not None
    assert billing.subscription.price_id == _id(prices, "basic_monthly")
    assert billing.subscription.status is SubscriptionStatus.ACTIVE
    assert billing.pending_change is None
    assert provider.charges(subscription_id) == [1200, 500]  # the renewal, at Basic


def test_keeping_the_current_plan_drops_the_pending_change(pair: Pair) -> None:
    gateway, _ = pair
    subscription_id, prices = _subscribed(pair, "change-6", "pro_monthly")
    gateway.schedule_price_change(subscription_id, _id(prices, "basic_monthly"))

    gateway.release_scheduled_change(subscription_id)
    gateway.release_scheduled_change(subscription_id)  # nothing pending: nothing happens

    billing = gateway.get_subscription_billing(subscription_id)
    assert billing is not None and billing.pending_change is None
    # and it can be planned again
    again = gateway.schedule_price_change(subscription_id, _id(prices, "basic_monthly"))
    billing = gateway.get_subscription_billing(subscription_id)
    assert billing is not None and billing.pending_change == again


def test_an_upgrade_drops_a_pending_downgrade(pair: Pair) -> None:
    gateway, _ = pair
    subscription_id, prices = _subscribed(pair, "change-7", "pro_monthly")
    gateway.schedule_price_change(subscription_id, _id(prices, "basic_monthly"))
    now = _now(gateway, subscription_id)

    changed = gateway.change_price_now(subscription_id, _id(prices, "pro_yearly"), now)

    billing = gateway.get_subscription_billing(subscription_id)
    assert billing is not None
    assert billing.pending_change is None
    assert changed.price_id == billing.subscription.price_id == _id(prices, "pro_yearly")


def test_a_trial_changes_price_without_billing_and_keeps_its_end(pair: Pair) -> None:
    gateway, provider = pair
    subscription_id, prices = _subscribed(pair, "change-8", "pro_monthly", trial_days=14)
    before = gateway.get_subscription(subscription_id)
    assert before is not None and before.status is SubscriptionStatus.TRIALING

    changed = gateway.change_price_now(
        subscription_id, _id(prices, "basic_monthly"), before.as_of, bill_now=False
    )

    assert changed.price_id == _id(prices, "basic_monthly")
    assert changed.status is SubscriptionStatus.TRIALING
    assert changed.current_period_end == before.current_period_end
    assert provider.charges(subscription_id) == []


def test_a_promotion_code_is_the_subscriptions_discount_and_lowers_a_change(
    pair: Pair,
) -> None:
    gateway, provider = pair
    provider.add_promotion_code("SPRING20", percent_off=20, months=3, name="Spring")
    subscription_id, prices = _subscribed(
        pair, "change-9", "basic_monthly", promotion_code="spring20"
    )

    billing = gateway.get_subscription_billing(subscription_id)
    assert billing is not None and billing.discount is not None
    discount = billing.discount
    assert (discount.percent_off, discount.amount_off, discount.code, discount.name) == (
        20.0,
        None,
        "SPRING20",
        "Spring",
    )
    now = billing.subscription.as_of
    assert discount.ends_at is not None
    assert now + timedelta(days=85) < discount.ends_at < now + timedelta(days=95)
    assert provider.charges(subscription_id) == [400]  # $5.00 less 20%

    preview = gateway.preview_plan_change(subscription_id, _id(prices, "pro_monthly"), now)
    charge = _share(1200, now, billing.subscription)
    assert preview.discount == round(charge * 0.2)
    assert preview.due_now == charge - _share(500, now, billing.subscription) - preview.discount


def test_an_unknown_subscription_has_no_billing(pair: Pair) -> None:
    gateway, _ = pair
    assert gateway.get_subscription_billing("sub_does_not_exist") is None


def test_the_billing_read_says_whether_a_card_pays(pair: Pair) -> None:
    gateway, _ = pair
    paid, _ = _subscribed(pair, "user_card_paid", "basic_monthly")
    cardless, _ = _subscribed(pair, "user_card_none", "basic_monthly", trial_days=7, card="")
    with_card = gateway.get_subscription_billing(paid)
    without = gateway.get_subscription_billing(cardless)
    assert with_card is not None and with_card.card_on_file
    assert without is not None and not without.card_on_file
    assert without.subscription.status is SubscriptionStatus.TRIALING
