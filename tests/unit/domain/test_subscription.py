from datetime import datetime, timedelta

import pytest

from domain.subscription import DEFAULT_PAST_DUE_GRACE, SubscriptionStatus
from tests.unit.builders import PERIOD, T0, a_subscription

S = SubscriptionStatus
SECOND = timedelta(seconds=1)
TINY = timedelta(microseconds=1)
MID_PERIOD = T0 + PERIOD / 2
PERIOD_END = T0 + PERIOD

GRANTING = [S.ACTIVE, S.TRIALING]
DENYING = [S.CANCELED, S.UNPAID, S.INCOMPLETE, S.INCOMPLETE_EXPIRED, S.PAUSED]


def test_every_status_is_classified_as_granting_past_due_or_denying() -> None:
    assert {*GRANTING, S.PAST_DUE, *DENYING} == set(SubscriptionStatus)


@pytest.mark.parametrize("status", GRANTING)
def test_active_and_trialing_grant_premium_for_the_whole_period(status: S) -> None:
    subscription = a_subscription(status=status)
    assert subscription.grants_premium(T0)
    assert subscription.grants_premium(MID_PERIOD)
    assert subscription.grants_premium(PERIOD_END - TINY)


@pytest.mark.parametrize("status", GRANTING)
def test_active_and_trialing_without_a_scheduled_end_keep_granting_after_the_period(
    status: S,
) -> None:
    # The renewal's event may be late: a live subscription is not cut off at the boundary.
    assert a_subscription(status=status).grants_premium(PERIOD_END + timedelta(days=2))


@pytest.mark.parametrize("status", DENYING)
def test_other_statuses_deny_premium(status: S) -> None:
    subscription = a_subscription(status=status, ended_at=T0 if status is S.CANCELED else None)
    assert not subscription.grants_premium(T0)
    assert not subscription.grants_premium(MID_PERIOD)


def test_past_due_grants_premium_inside_the_grace_period_from_the_period_start() -> None:
    failed_at = T0 + PERIOD
    subscription = a_subscription(
        status=S.PAST_DUE,
        current_period_start=failed_at,
        current_period_end=failed_at + PERIOD,
        as_of=failed_at + timedelta(days=2),
    )
    assert timedelta(days=3) == DEFAULT_PAST_DUE_GRACE
    assert subscription.grants_premium(failed_at)
    assert subscription.grants_premium(failed_at + DEFAULT_PAST_DUE_GRACE - TINY)
    assert not subscription.grants_premium(failed_at + DEFAULT_PAST_DUE_GRACE)
    assert not subscription.grants_premium(failed_at + timedelta(days=10))


def test_past_due_grace_counts_from_the_oldest_unpaid_invoice_not_the_new_period() -> None:
    first_failure = T0 + PERIOD
    second_period = first_failure + PERIOD  # left past due: the next renewal failed too
    subscription = a_subscription(
        status=S.PAST_DUE,
        current_period_start=second_period,
        current_period_end=second_period + PERIOD,
        as_of=second_period,
        unpaid_since=first_failure,
    )
    assert subscription.grace_ends() == first_failure + DEFAULT_PAST_DUE_GRACE
    assert not subscription.grants_premium(second_period + timedelta(hours=1))
    assert a_subscription(
        status=S.PAST_DUE, current_period_start=second_period, unpaid_since=second_period
    ).grants_premium(second_period + timedelta(hours=1))


@pytest.mark.parametrize(
    ("status", "unpaid_since", "lacks"),
    [
        (S.PAST_DUE, None, True),
        (S.UNPAID, None, True),
        (S.PAST_DUE, T0, False),
        (S.ACTIVE, None, False),
        (S.CANCELED, None, False),
    ],
)
def test_only_a_subscription_that_owes_needs_to_know_since_when(
    status: S, unpaid_since: datetime | None, lacks: bool
) -> None:
    subscription = a_subscription(
        status=status, unpaid_since=unpaid_since, ended_at=T0 if status is S.CANCELED else None
    )
    assert subscription.lacks_unpaid_since is lacks


def test_past_due_grace_is_configurable() -> None:
    subscription = a_subscription(status=S.PAST_DUE)
    assert subscription.grants_premium(T0 + timedelta(hours=23), grace=timedelta(days=1))
    assert not subscription.grants_premium(T0 + timedelta(days=1), grace=timedelta(days=1))
    assert not subscription.grants_premium(T0, grace=timedelta(0))


def test_past_due_without_a_period_start_measures_grace_from_when_it_was_seen() -> None:
    subscription = a_subscription(
        status=S.PAST_DUE, current_period_start=None, as_of=T0 + timedelta(days=5)
    )
    assert subscription.grants_premium(T0 + timedelta(days=7))
    assert not subscription.grants_premium(T0 + timedelta(days=8))


@pytest.mark.parametrize("status", GRANTING)
def test_cancel_at_period_end_keeps_access_until_the_period_end_then_denies(status: S) -> None:
    subscription = a_subscription(status=status, cancel_at_period_end=True)
    assert subscription.ends_at == PERIOD_END
    assert subscription.grants_premium(PERIOD_END - TINY)
    assert not subscription.grants_premium(PERIOD_END)
    assert not subscription.grants_premium(PERIOD_END + timedelta(days=1))


def test_cancel_at_ends_access_at_that_moment_even_before_the_period_end() -> None:
    cancel_at = T0 + timedelta(days=10)
    subscription = a_subscription(cancel_at=cancel_at)
    assert subscription.ends_at == cancel_at
    assert subscription.grants_premium(cancel_at - TINY)
    assert not subscription.grants_premium(cancel_at)
    assert not subscription.grants_premium(MID_PERIOD)


def test_cancel_at_takes_precedence_over_cancel_at_period_end() -> None:
    cancel_at = T0 + timedelta(days=40)
    subscription = a_subscription(cancel_at=cancel_at, cancel_at_period_end=True)
    assert subscription.ends_at == cancel_at
    assert subscription.grants_premium(PERIOD_END + timedelta(days=1))


def test_a_scheduled_end_also_ends_past_due_grace() -> None:
    subscription = a_subscription(status=S.PAST_DUE, cancel_at=T0 + timedelta(days=1))
    assert subscription.grants_premium(T0 + timedelta(hours=23))
    assert not subscription.grants_premium(T0 + timedelta(days=2))


def test_a_subscription_without_a_scheduled_end_has_no_end_date() -> None:
    assert a_subscription().ends_at is None
    assert a_subscription(current_period_end=None, cancel_at_period_end=True).ends_at is None


@pytest.mark.parametrize(
    ("status", "live"),
    [
        (S.TRIALING, True),
        (S.ACTIVE, True),
        (S.PAST_DUE, True),
        (S.UNPAID, True),
        (S.PAUSED, True),
        (S.INCOMPLETE, False),
        (S.INCOMPLETE_EXPIRED, False),
        (S.CANCELED, False),
    ],
)
def test_a_subscription_the_provider_still_bills_is_live(status: S, live: bool) -> None:
    assert a_subscription(status=status).is_live is live


def test_only_canceled_and_incomplete_expired_are_terminal() -> None:
    terminal = {status for status in SubscriptionStatus if status.is_terminal}
    assert terminal == {S.CANCELED, S.INCOMPLETE_EXPIRED}


class TestIsNewerThan:
    def test_a_later_snapshot_is_newer_whatever_its_state(self) -> None:
        stored = a_subscription(status=S.CANCELED)
        later = a_subscription(status=S.ACTIVE, as_of=T0 + SECOND)
        assert later.is_newer_than(stored) is True
        assert stored.is_newer_than(later) is False

    def test_an_earlier_snapshot_is_not_newer_even_if_terminal(self) -> None:
        stored = a_subscription(as_of=T0 + SECOND)
        earlier = a_subscription(status=S.CANCELED)
        assert earlier.is_newer_than(stored) is False

    def test_the_same_state_at_the_same_moment_is_not_newer(self) -> None:
        assert a_subscription().is_newer_than(a_subscription()) is False

    def test_another_state_at_the_same_moment_is_undecided(self) -> None:
        stored = a_subscription()
        other = a_subscription(cancel_at_period_end=True)
        assert other.is_newer_than(stored) is None
        assert stored.is_newer_than(other) is None

    def test_at_the_same_moment_terminal_beats_non_terminal(self) -> None:
        live = a_subscription(status=S.PAST_DUE)
        ended = a_subscription(status=S.CANCELED, ended_at=T0)
        assert ended.is_newer_than(live) is True
        assert live.is_newer_than(ended) is False

    def test_stamps_within_one_whole_second_tie_as_the_provider_cannot_order_them(
        self,
    ) -> None:
        # Stripe stamps events in whole seconds; a state fetched at .7 s is no newer than
        # an event stamped at the start of that second.
        event = a_subscription(status=S.CANCELED, as_of=T0)
        fetched = a_subscription(as_of=T0 + timedelta(milliseconds=700))
        assert fetched.is_newer_than(event) is False  # terminal wins the tie
        assert event.is_newer_than(fetched) is True
        assert a_subscription(as_of=T0 + SECOND - TINY).is_newer_than(a_subscription()) is False
        tied = a_subscription(as_of=T0 + SECOND - TINY, cancel_at_period_end=True)
        assert tied.is_newer_than(a_subscription()) is None
        assert a_subscription(as_of=T0 + SECOND).is_newer_than(a_subscription(as_of=T0)) is True

    def test_two_different_terminal_states_at_the_same_moment_are_undecided(self) -> None:
        canceled = a_subscription(status=S.CANCELED)
        expired = a_subscription(status=S.INCOMPLETE_EXPIRED)
        assert canceled.is_newer_than(expired) is None

    def test_same_state_ignores_only_the_timestamp(self) -> None:
        assert a_subscription().same_state_as(a_subscription(as_of=T0 + SECOND))
        assert not a_subscription().same_state_as(a_subscription(price_id="price_2"))


def test_item_4_ids_that_could_not_be_stored_are_refused() -> None:
    from domain.provider_events import BillingEvent, BillingEventKind

    for bad in ("x" * 256, "evt_\x00", "evt_\n", ""):
        with pytest.raises(ValueError):
            BillingEvent(id=bad, kind=BillingEventKind.UNHANDLED, provider_type="t", occurred_at=T0)
        with pytest.raises(ValueError):
            a_subscription(id=bad)
    assert a_subscription(id="s" * 255).id == "s" * 255
