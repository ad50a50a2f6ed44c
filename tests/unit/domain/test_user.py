from datetime import timedelta

from domain.email import EmailAddress
from domain.subscription import SubscriptionStatus
from domain.user import SnapshotOutcome, User
from tests.unit.builders import PERIOD, T0, a_subscription, a_user

S = SubscriptionStatus
LATER = T0 + timedelta(minutes=5)


class TestObserve:
    def test_stores_the_first_snapshot_of_a_subscription(self) -> None:
        user = a_user()
        assert user.observe(a_subscription()) is SnapshotOutcome.APPLIED
        assert user.subscriptions == {"sub_1": a_subscription()}

    def test_a_newer_snapshot_replaces_the_stored_one(self) -> None:
        user = a_user()
        user.observe(a_subscription())
        newer = a_subscription(as_of=LATER, cancel_at_period_end=True)
        assert user.observe(newer) is SnapshotOutcome.APPLIED
        assert user.subscriptions["sub_1"] == newer

    def test_an_older_snapshot_is_stale_and_changes_nothing(self) -> None:
        user = a_user()
        stored = a_subscription(as_of=LATER, status=S.CANCELED)
        user.observe(stored)
        assert user.observe(a_subscription()) is SnapshotOutcome.STALE
        assert user.subscriptions["sub_1"] == stored

    def test_the_same_snapshot_twice_is_stale_the_second_time(self) -> None:
        user = a_user()
        user.observe(a_subscription())
        assert user.observe(a_subscription()) is SnapshotOutcome.STALE

    def test_a_tie_with_another_state_is_undecided_and_changes_nothing(self) -> None:
        user = a_user()
        user.observe(a_subscription())
        tied = a_subscription(cancel_at_period_end=True)
        assert user.observe(tied) is SnapshotOutcome.UNDECIDED
        assert user.subscriptions["sub_1"] == a_subscription()

    def test_at_a_tie_a_terminal_snapshot_wins(self) -> None:
        user = a_user()
        user.observe(a_subscription())
        ended = a_subscription(status=S.CANCELED, ended_at=T0)
        assert user.observe(ended) is SnapshotOutcome.APPLIED
        assert user.subscriptions["sub_1"] == ended

    def test_at_a_tie_a_non_terminal_snapshot_does_not_revive_a_terminal_one(self) -> None:
        user = a_user()
        ended = a_subscription(status=S.CANCELED, ended_at=T0)
        user.observe(ended)
        assert user.observe(a_subscription()) is SnapshotOutcome.STALE
        assert user.subscriptions["sub_1"] == ended

    def test_subscriptions_are_kept_apart_by_id(self) -> None:
        user = a_user()
        old = a_subscription(id="sub_old", status=S.CANCELED, as_of=LATER)
        user.observe(old)
        assert user.observe(a_subscription(id="sub_new")) is SnapshotOutcome.APPLIED
        assert set(user.subscriptions) == {"sub_old", "sub_new"}
        assert user.subscriptions["sub_old"] == old


class TestRecordFetched:
    """A state fetched from the provider (Subscribe, reconcile, a tie to settle)."""

    def test_a_fetch_settles_a_tie_with_a_stored_event(self) -> None:
        user = a_user()
        user.observe(a_subscription())
        tied = a_subscription(cancel_at_period_end=True)
        assert user.record_fetched(tied) is SnapshotOutcome.APPLIED
        assert user.subscriptions["sub_1"] == tied

    def test_a_later_fetch_moves_as_of_forward_even_in_the_same_state(self) -> None:
        user = a_user()
        user.observe(a_subscription())
        assert user.record_fetched(a_subscription(as_of=LATER)) is SnapshotOutcome.APPLIED
        assert user.subscriptions["sub_1"].as_of == LATER

    def test_item_2_a_fetch_never_undoes_a_state_stored_after_it(self) -> None:
        # Subscribe listed the subscription active; then its deletion was stored.
        user = a_user()
        deleted = a_subscription(status=S.CANCELED, ended_at=LATER, as_of=LATER)
        user.observe(deleted)
        assert user.record_fetched(a_subscription()) is SnapshotOutcome.STALE
        assert user.subscriptions["sub_1"] == deleted

    def test_a_fetch_in_the_second_of_the_end_does_not_revive_it(self) -> None:
        user = a_user()
        ended = a_subscription(status=S.CANCELED, ended_at=T0)
        user.observe(ended)
        assert user.record_fetched(a_subscription()) is SnapshotOutcome.STALE
        assert user.subscriptions["sub_1"] == ended

    def test_a_fetch_of_a_new_subscription_is_stored(self) -> None:
        user = a_user()
        assert user.record_fetched(a_subscription()) is SnapshotOutcome.APPLIED
        assert user.subscriptions == {"sub_1": a_subscription()}

    def test_observing_does_not_link_a_customer(self) -> None:
        user = a_user()
        user.observe(a_subscription(customer_id="cus_9"))
        assert user.customer_id is None  # the application decides whose customer it is


class TestForgetCustomer:
    def test_unlinks_the_customer_and_keeps_its_subscriptions(self) -> None:
        user = a_user(customer_id="cus_1", subscriptions={"sub_1": a_subscription()})
        assert user.forget_customer("cus_1")
        assert user.customer_id is None
        assert user.subscriptions == {"sub_1": a_subscription()}  # only Stripe ends them

    def test_another_customer_stays_linked(self) -> None:
        user = a_user(customer_id="cus_2")
        assert not user.forget_customer("cus_1")
        assert user.customer_id == "cus_2"


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


def test_a_state_that_still_owes_without_saying_since_when_keeps_the_stored_first_failure() -> None:
    """Events never say when the oldest unpaid invoice failed; a fetch does. A newer state
    that still owes without saying (a fetch failed, a copy that omits it) keeps what was
    known: the grace never starts again while the same debt is unpaid."""
    first_failure = T0 + timedelta(days=30)
    owing = a_subscription(status=S.PAST_DUE, unpaid_since=first_failure, as_of=first_failure)
    later = a_subscription(
        status=S.PAST_DUE,
        current_period_start=T0 + timedelta(days=60),
        as_of=T0 + timedelta(days=60),
    )
    for store in ("observe", "record_fetched"):
        user = a_user()
        user.subscriptions[owing.id] = owing
        getattr(user, store)(later)
        assert user.subscriptions[owing.id].unpaid_since == first_failure, store
        assert user.subscriptions[owing.id].current_period_start == later.current_period_start

    paid = a_subscription(status=S.ACTIVE, as_of=T0 + timedelta(days=61))
    user = a_user()
    user.subscriptions[owing.id] = owing
    user.observe(paid)
    assert user.subscriptions[owing.id].unpaid_since is None  # paid: nothing owed any more
    told = a_subscription(
        status=S.PAST_DUE, unpaid_since=T0 + timedelta(days=60), as_of=later.as_of
    )
    user.subscriptions[owing.id] = owing
    user.record_fetched(told)
    assert user.subscriptions[owing.id].unpaid_since == told.unpaid_since  # a fetch says
