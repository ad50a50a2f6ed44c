"""The access policy: only what this product sells grants access (issue 8, item 1)."""

from datetime import timedelta

from domain.access import AccessPolicy
from domain.subscription import SubscriptionStatus
from tests.unit.builders import T0, a_subscription, a_user

S = SubscriptionStatus
LATER = T0 + timedelta(minutes=5)
POLICY = AccessPolicy.selling("price_1")


class TestWhatGrantsPremium:
    def test_a_live_subscription_to_our_price_grants_premium(self) -> None:
        assert POLICY.grants_premium(a_user(subscriptions={"sub_1": a_subscription()}), T0)

    def test_item_1_a_subscription_to_another_price_grants_nothing(self) -> None:
        newsletter = a_subscription(price_id="price_newsletter")
        user = a_user(subscriptions={"sub_1": newsletter})
        assert not POLICY.grants_premium(user, T0)
        assert not POLICY.has_live_subscription(user)
        assert POLICY.current_subscription(user) is None

    def test_a_subscription_without_a_price_grants_nothing(self) -> None:
        user = a_user(subscriptions={"sub_1": a_subscription(price_id=None)})
        assert not POLICY.grants_premium(user, T0)

    def test_premium_when_any_of_our_subscriptions_grants_it(self) -> None:
        ended = a_subscription(id="sub_a", status=S.CANCELED)
        active = a_subscription(id="sub_b")
        assert not POLICY.grants_premium(a_user(subscriptions={"sub_a": ended}), T0)
        assert POLICY.grants_premium(a_user(subscriptions={"sub_a": ended, "sub_b": active}), T0)

    def test_premium_uses_the_policys_grace(self) -> None:
        user = a_user(subscriptions={"sub_1": a_subscription(status=S.PAST_DUE)})
        assert POLICY.grants_premium(user, T0 + timedelta(days=2))
        one_day = AccessPolicy.selling("price_1", past_due_grace=timedelta(days=1))
        assert not one_day.grants_premium(user, T0 + timedelta(days=2))

    def test_no_premium_without_subscriptions(self) -> None:
        assert not POLICY.grants_premium(a_user(), T0)

    def test_no_price_sold_grants_nothing(self) -> None:
        user = a_user(subscriptions={"sub_1": a_subscription()})
        assert not AccessPolicy.selling().grants_premium(user, T0)


class TestLiveAndCurrent:
    def test_has_a_live_subscription_when_any_of_ours_is_live(self) -> None:
        ended = a_subscription(id="sub_a", status=S.CANCELED)
        assert not POLICY.has_live_subscription(a_user(subscriptions={"sub_a": ended}))
        unpaid = a_subscription(id="sub_b", status=S.UNPAID)
        user = a_user(subscriptions={"sub_a": ended, "sub_b": unpaid})
        assert POLICY.has_live_subscription(user)

    def test_current_is_none_without_subscriptions(self) -> None:
        assert POLICY.current_subscription(a_user()) is None

    def test_a_live_subscription_comes_before_a_more_recent_ended_one(self) -> None:
        live = a_subscription(id="sub_live", status=S.PAST_DUE)
        ended = a_subscription(id="sub_ended", status=S.CANCELED, as_of=LATER)
        user = a_user(subscriptions={"sub_live": live, "sub_ended": ended})
        assert POLICY.current_subscription(user) == live

    def test_among_ended_subscriptions_the_most_recent(self) -> None:
        first = a_subscription(id="sub_a", status=S.CANCELED)
        second = a_subscription(id="sub_b", status=S.INCOMPLETE_EXPIRED, as_of=LATER)
        user = a_user(subscriptions={"sub_b": second, "sub_a": first})
        assert POLICY.current_subscription(user) == second

    def test_a_live_foreign_subscription_is_not_the_current_one(self) -> None:
        ours = a_subscription(id="sub_a", status=S.CANCELED)
        foreign = a_subscription(id="sub_b", price_id="price_other", as_of=LATER)
        user = a_user(subscriptions={"sub_a": ours, "sub_b": foreign})
        assert POLICY.current_subscription(user) == ours


class TestEntitlements:
    """Access follows what was bought (issue 11): each plan includes entitlements."""

    @staticmethod
    def policy() -> AccessPolicy:
        from domain.catalog import Catalog, Interval, Plan, PlanPrice

        basic = Plan(
            "basic",
            "Basic",
            frozenset({"notes.basic"}),
            (PlanPrice("basic_monthly", Interval.MONTH, 500, "usd", "price_basic"),),
        )
        pro = Plan(
            "pro",
            "Pro",
            frozenset({"notes.basic", "notes.pro"}),
            (PlanPrice("pro_monthly", Interval.MONTH, 1200, "usd", "price_pro"),),
            rank=1,
        )
        return AccessPolicy(Catalog((basic, pro)))

    def test_each_plan_gives_what_it_includes(self) -> None:
        policy = self.policy()
        basic = a_user(subscriptions={"sub_1": a_subscription(price_id="price_basic")})
        pro = a_user(subscriptions={"sub_1": a_subscription(price_id="price_pro")})
        assert policy.entitlements(basic, T0) == {"notes.basic"}
        assert policy.entitlements(pro, T0) == {"notes.basic", "notes.pro"}
        assert not policy.grants(basic, "notes.pro", T0)
        assert policy.grants(pro, "notes.pro", T0)

    def test_an_ended_or_foreign_subscription_gives_nothing(self) -> None:
        policy = self.policy()
        ended = a_subscription(price_id="price_pro", status=S.CANCELED)
        foreign = a_subscription(id="sub_2", price_id="price_other")
        user = a_user(subscriptions={"sub_1": ended, "sub_2": foreign})
        assert policy.entitlements(user, T0) == frozenset()

    def test_past_due_gives_its_plan_for_the_grace_only(self) -> None:
        policy = self.policy()
        late = a_subscription(price_id="price_pro", status=S.PAST_DUE)
        user = a_user(subscriptions={"sub_1": late})
        assert policy.grants(user, "notes.pro", T0 + timedelta(days=2))
        assert policy.entitlements(user, T0 + timedelta(days=3)) == frozenset()


class TestPlanInForce:
    """The plan the nav's badge names: the one access comes from now."""

    policy = staticmethod(TestEntitlements.policy)

    def test_the_plan_of_the_subscription_that_grants_access(self) -> None:
        user = a_user(subscriptions={"sub_1": a_subscription(price_id="price_basic")})
        plan = self.policy().plan_in_force(user, T0)
        assert plan is not None and plan.name == "Basic"

    def test_of_two_plans_granted_at_once_the_higher_ranked(self) -> None:
        basic = a_subscription(id="sub_1", price_id="price_basic")
        pro = a_subscription(id="sub_2", price_id="price_pro")
        for order in ({"sub_1": basic, "sub_2": pro}, {"sub_2": pro, "sub_1": basic}):
            plan = self.policy().plan_in_force(a_user(subscriptions=order), T0)
            assert plan is not None and plan.name == "Pro"

    def test_none_without_access(self) -> None:
        ended = a_subscription(price_id="price_pro", status=S.CANCELED)
        foreign = a_subscription(id="sub_2", price_id="price_other")
        late = a_subscription(id="sub_3", price_id="price_basic", status=S.PAST_DUE)
        user = a_user(subscriptions={"sub_1": ended, "sub_2": foreign, "sub_3": late})
        assert self.policy().plan_in_force(a_user(), T0) is None
        assert self.policy().plan_in_force(user, T0 + timedelta(days=3)) is None
        in_grace = self.policy().plan_in_force(user, T0 + timedelta(days=2))
        assert in_grace is not None and in_grace.name == "Basic"
