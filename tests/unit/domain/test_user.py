from datetime import timedelta

from domain.email import EmailAddress
from domain.subscription import SubscriptionStatus
from domain.user import SnapshotOutcome, User
from tests.unit.builders import PERIOD, T0, a_subscription, a_user

S = SubscriptionStatus
LATER = T0 + timedelta(minutes=5)


class TestApplySubscription:
    def test_stores_the_first_snapshot_of_a_subscription(self) -> None:
        user = a_user()
        assert user.apply_subscription(a_subscription()) is SnapshotOutcome.APPLIED
        assert user.subscriptions == {"sub_1": a_subscription()}

    def test_a_newer_snapshot_replaces_the_stored_one(self) -> None:
        user = a_user()
        user.apply_subscription(a_subscription())
        newer = a_subscription(as_of=LATER, cancel_at_period_end=True)
        assert user.apply_subscription(newer) is SnapshotOutcome.APPLIED
        assert user.subscriptions["sub_1"] == newer

    def test_an_older_snapshot_is_stale_and_changes_nothing(self) -> None:
        user = a_user()
        stored = a_subscription(as_of=LATER, status=S.CANCELED)
        user.apply_subscription(stored)
        assert user.apply_subscription(a_subscription()) is SnapshotOutcome.STALE
        assert user.subscriptions["sub_1"] == stored

    def test_the_same_snapshot_twice_is_stale_the_second_time(self) -> None:
        user = a_user()
        user.apply_subscription(a_subscription())
        assert user.apply_subscription(a_subscription()) is SnapshotOutcome.STALE

    def test_a_tie_with_another_state_is_undecided_and_changes_nothing(self) -> None:
        user = a_user()
        user.apply_subscription(a_subscription())
        tied = a_subscription(cancel_at_period_end=True)
        assert user.apply_subscription(tied) is SnapshotOutcome.UNDECIDED
        assert user.subscriptions["sub_1"] == a_subscription()

    def test_at_a_tie_a_terminal_snapshot_wins(self) -> None:
        user = a_user()
        user.apply_subscription(a_subscription())
        ended = a_subscription(status=S.CANCELED, ended_at=T0)
        assert user.apply_subscription(ended) is SnapshotOutcome.APPLIED
        assert user.subscriptions["sub_1"] == ended

    def test_at_a_tie_a_non_terminal_snapshot_does_not_revive_a_terminal_one(self) -> None:
        user = a_user()
        ended = a_subscription(status=S.CANCELED, ended_at=T0)
        user.apply_subscription(ended)
        assert user.apply_subscription(a_subscription()) is SnapshotOutcome.STALE
        assert user.subscriptions["sub_1"] == ended

    def test_authoritative_applies_the_state_but_never_moves_as_of_backwards(self) -> None:
        user = a_user()
        user.apply_subscription(a_subscription(as_of=LATER))
        current = a_subscription(status=S.PAST_DUE)  # stamped earlier than what is stored
        outcome = user.apply_subscription(current, authoritative=True)
        assert outcome is SnapshotOutcome.APPLIED
        stored = user.subscriptions["sub_1"]
        assert stored.status is S.PAST_DUE
        assert stored.as_of == LATER

    def test_authoritative_with_a_later_stamp_moves_as_of_forward(self) -> None:
        user = a_user()
        user.apply_subscription(a_subscription())
        outcome = user.apply_subscription(a_subscription(as_of=LATER), authoritative=True)
        assert outcome is SnapshotOutcome.APPLIED
        assert user.subscriptions["sub_1"].as_of == LATER

    def test_authoritative_settles_a_tie(self) -> None:
        user = a_user()
        user.apply_subscription(a_subscription())
        tied = a_subscription(cancel_at_period_end=True)
        assert user.apply_subscription(tied, authoritative=True) is SnapshotOutcome.APPLIED
        assert user.subscriptions["sub_1"] == tied

    def test_subscriptions_are_kept_apart_by_id(self) -> None:
        user = a_user()
        old = a_subscription(id="sub_old", status=S.CANCELED, as_of=LATER)
        user.apply_subscription(old)
        assert user.apply_subscription(a_subscription(id="sub_new")) is SnapshotOutcome.APPLIED
        assert set(user.subscriptions) == {"sub_old", "sub_new"}
        assert user.subscriptions["sub_old"] == old

    def test_links_the_snapshots_customer_when_none_is_linked(self) -> None:
        user = a_user()
        user.apply_subscription(a_subscription(customer_id="cus_9"))
        assert user.customer_id == "cus_9"

    def test_a_stale_snapshot_links_no_customer(self) -> None:
        user = a_user()
        user.apply_subscription(a_subscription(as_of=LATER, customer_id=None))
        user.apply_subscription(a_subscription(customer_id="cus_9"))
        assert user.customer_id is None


class TestCurrentSubscription:
    def test_none_without_subscriptions(self) -> None:
        assert a_user().current_subscription is None

    def test_a_live_subscription_comes_before_a_more_recent_ended_one(self) -> None:
        live = a_subscription(id="sub_live", status=S.PAST_DUE)
        ended = a_subscription(id="sub_ended", status=S.CANCELED, as_of=LATER)
        user = a_user(subscriptions={"sub_live": live, "sub_ended": ended})
        assert user.current_subscription == live

    def test_among_ended_subscriptions_the_most_recent(self) -> None:
        first = a_subscription(id="sub_a", status=S.CANCELED)
        second = a_subscription(id="sub_b", status=S.INCOMPLETE_EXPIRED, as_of=LATER)
        user = a_user(subscriptions={"sub_b": second, "sub_a": first})
        assert user.current_subscription == second


class TestLiveSubscriptionAndPremium:
    def test_has_a_live_subscription_when_any_is_live(self) -> None:
        ended = a_subscription(id="sub_a", status=S.CANCELED)
        assert not a_user(subscriptions={"sub_a": ended}).has_live_subscription
        unpaid = a_subscription(id="sub_b", status=S.UNPAID)
        assert a_user(subscriptions={"sub_a": ended, "sub_b": unpaid}).has_live_subscription

    def test_premium_when_any_subscription_grants_it(self) -> None:
        ended = a_subscription(id="sub_a", status=S.CANCELED)
        active = a_subscription(id="sub_b")
        assert not a_user(subscriptions={"sub_a": ended}).has_premium(T0)
        assert a_user(subscriptions={"sub_a": ended, "sub_b": active}).has_premium(T0)

    def test_premium_uses_the_given_grace(self) -> None:
        past_due = a_subscription(status=S.PAST_DUE)
        user = a_user(subscriptions={"sub_1": past_due})
        assert user.has_premium(T0 + timedelta(days=2))
        assert not user.has_premium(T0 + timedelta(days=2), grace=timedelta(days=1))

    def test_no_premium_without_subscriptions(self) -> None:
        assert not a_user().has_premium(T0)


class TestLinkCustomer:
    def test_links_the_first_customer(self) -> None:
        user = a_user()
        user.link_customer("cus_1")
        assert user.customer_id == "cus_1"

    def test_the_first_customer_linked_stays(self) -> None:
        user = a_user()
        user.link_customer("cus_1")
        user.link_customer("cus_2")
        assert user.customer_id == "cus_1"


def test_register_gives_each_user_a_new_id_and_no_billing_yet() -> None:
    email = EmailAddress("ann@example.com")
    first = User.register(email, "hash", T0)
    second = User.register(email, "hash", T0 + PERIOD)
    assert first.id != second.id
    assert (first.email, first.password_hash, first.created_at) == (email, "hash", T0)
    assert first.customer_id is None
    assert first.subscriptions == {}
