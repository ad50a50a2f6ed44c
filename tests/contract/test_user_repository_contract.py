"""The unit-of-work contract (users, subscriptions, event inbox), for every implementation.

Runs against InMemoryUnitOfWork, and SqlAlchemyUnitOfWork on SQLite and PostgreSQL, so
a use case tested against the fake behaves the same on a real database.
"""

import json
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from application.ports import (
    ConcurrentUpdate,
    DataConflict,
    EventAlreadyRecorded,
    EventStatus,
    InboxRecord,
)
from domain.email import EmailAddress
from domain.errors import EmailAlreadyRegistered
from domain.subscription import Subscription, SubscriptionStatus
from domain.user import User
from tests.contract.conftest import NewUnitOfWork

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1), "CET")


def a_user(email: str = "ann@example.com", user_id: str | None = None, **changes: object) -> User:
    user = User.register(EmailAddress(email), "fake$v1$salt$digest", T0)
    if user_id is not None:
        user = replace(user, id=user_id)
    return replace(user, **changes)  # type: ignore[arg-type]


def a_subscription(subscription_id: str = "sub_1", **changes: object) -> Subscription:
    subscription = Subscription(
        id=subscription_id,
        status=SubscriptionStatus.ACTIVE,
        as_of=T0,
        customer_id="cus_1",
        price_id="price_1",
        current_period_start=T0,
        current_period_end=T0 + timedelta(days=30),
    )
    return replace(subscription, **changes)  # type: ignore[arg-type]


def a_record(event_id: str = "evt_1", **changes: object) -> InboxRecord:
    record = InboxRecord(
        event_id=event_id,
        provider_type="invoice.paid",
        status=EventStatus.PROCESSED,
        received_at=T0,
        payload=json.dumps({"id": event_id}),
        note="subscription applied",
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def store(new_uow: NewUnitOfWork, *users: User) -> None:
    with new_uow() as uow:
        for user in users:
            uow.users.add(user)
        uow.commit()


def load(new_uow: NewUnitOfWork, user_id: str) -> User | None:
    with new_uow() as uow:
        return uow.users.get(user_id)


def count_users(new_uow: NewUnitOfWork, *emails: str) -> int:
    with new_uow() as uow:
        return sum(uow.users.get_by_email(EmailAddress(e)) is not None for e in emails)


# -- users --------------------------------------------------------------------------------


def test_a_committed_user_reads_back_equal(new_uow: NewUnitOfWork) -> None:
    ann = a_user(customer_id="cus_1", subscriptions={"sub_1": a_subscription()})
    store(new_uow, ann)
    assert load(new_uow, ann.id) == ann


def test_the_finders_return_none_when_nothing_matches(new_uow: NewUnitOfWork) -> None:
    store(new_uow, a_user(customer_id="cus_1", subscriptions={"sub_1": a_subscription()}))
    with new_uow() as uow:
        assert uow.users.get("no-such-id") is None
        assert uow.users.get_by_email(EmailAddress("bob@example.com")) is None
        assert uow.users.get_by_customer_id("cus_2") is None
        assert uow.users.get_by_subscription_id("sub_2") is None


def test_finds_a_user_by_email_whatever_the_letter_case_typed(new_uow: NewUnitOfWork) -> None:
    ann = a_user("ann@example.com")
    store(new_uow, ann, a_user("bob@example.com"))
    with new_uow() as uow:
        found = uow.users.get_by_email(EmailAddress(" ANN@Example.com"))
    assert found is not None
    assert found.id == ann.id


def test_finds_a_user_by_customer_and_by_any_of_their_subscriptions(
    new_uow: NewUnitOfWork,
) -> None:
    subscriptions = {
        "sub_old": a_subscription("sub_old", status=SubscriptionStatus.CANCELED),
        "sub_new": a_subscription("sub_new"),
    }
    ann = a_user(customer_id="cus_1", subscriptions=subscriptions)
    bob = a_user("bob@example.com", customer_id="cus_2")
    store(new_uow, ann, bob)
    with new_uow() as uow:
        assert uow.users.get_by_customer_id("cus_1") == ann
        assert uow.users.get_by_customer_id("cus_2") == bob
        assert uow.users.get_by_subscription_id("sub_old") == ann
        assert uow.users.get_by_subscription_id("sub_new") == ann


def test_lists_only_billed_users_oldest_first_then_by_id(new_uow: NewUnitOfWork) -> None:
    later = T0 + timedelta(hours=1)
    users = [
        a_user("c@example.com", "c" * 32, customer_id="cus_c", created_at=later),
        a_user("b@example.com", "b" * 32, customer_id="cus_b", created_at=T0),
        a_user("a@example.com", "a" * 32, customer_id="cus_a", created_at=later),
        a_user("free@example.com", "0" * 32),
    ]
    store(new_uow, *users)
    with new_uow() as uow:
        listed = [u.id for u in uow.users.list_billed()]
    assert listed == ["b" * 32, "a" * 32, "c" * 32]


def test_save_stores_every_change_to_a_loaded_user(new_uow: NewUnitOfWork) -> None:
    ann = a_user(subscriptions={"sub_1": a_subscription()})
    store(new_uow, ann)
    changed_subscription = a_subscription(
        as_of=T0 + timedelta(days=1),
        status=SubscriptionStatus.PAST_DUE,
        cancel_at_period_end=True,
        cancel_at=T0 + timedelta(days=30),
    )
    with new_uow() as uow:
        user = uow.users.get(ann.id)
        assert user is not None
        user.password_hash = "fake$v2$salt$other"
        user.link_customer("cus_1")
        user.subscriptions["sub_1"] = changed_subscription
        user.subscriptions["sub_2"] = a_subscription("sub_2")
        uow.users.save(user)
        uow.commit()
    stored = load(new_uow, ann.id)
    assert stored is not None
    assert stored.password_hash == "fake$v2$salt$other"
    assert stored.customer_id == "cus_1"
    assert stored.subscriptions == {"sub_1": changed_subscription, "sub_2": a_subscription("sub_2")}


def test_a_loaded_user_changed_but_not_saved_stays_as_stored(new_uow: NewUnitOfWork) -> None:
    ann = a_user()
    store(new_uow, ann)
    with new_uow() as uow:
        user = uow.users.get(ann.id)
        assert user is not None
        user.link_customer("cus_9")
        user.subscriptions["sub_9"] = a_subscription("sub_9")
        uow.commit()
    assert load(new_uow, ann.id) == ann


def test_of_two_transactions_saving_one_user_the_second_commit_raises_concurrent_update(
    new_uow: NewUnitOfWork,
) -> None:
    ann = a_user()
    store(new_uow, ann)
    with new_uow() as uow_a, new_uow() as uow_b:
        mine, theirs = uow_a.users.get(ann.id), uow_b.users.get(ann.id)
        assert mine is not None and theirs is not None
        mine.subscriptions["sub_a"] = a_subscription("sub_a")
        theirs.password_hash = "fake$v2$salt$theirs"
        theirs.subscriptions["sub_b"] = a_subscription("sub_b")
        uow_a.users.save(mine)
        uow_a.commit()
        uow_b.users.save(theirs)
        uow_b.events.record(a_record())
        with pytest.raises(ConcurrentUpdate):
            uow_b.commit()
    stored = load(new_uow, ann.id)
    assert stored is not None
    assert set(stored.subscriptions) == {"sub_a"}
    assert stored.password_hash == ann.password_hash
    with new_uow() as uow:
        assert uow.events.get("evt_1") is None


def test_a_transaction_that_only_reads_a_user_does_not_conflict(new_uow: NewUnitOfWork) -> None:
    ann = a_user()
    store(new_uow, ann)
    with new_uow() as reader, new_uow() as writer:
        assert reader.users.get(ann.id) == ann
        user = writer.users.get(ann.id)
        assert user is not None
        user.link_customer("cus_1")
        writer.users.save(user)
        writer.commit()
        reader.events.record(a_record())
        reader.commit()
    with new_uow() as uow:
        assert uow.events.get("evt_1") is not None
        assert uow.users.get_by_customer_id("cus_1") is not None


def test_saving_a_user_that_was_never_added_is_refused(new_uow: NewUnitOfWork) -> None:
    with new_uow() as uow, pytest.raises(LookupError):
        uow.users.save(a_user())
        uow.commit()
    assert count_users(new_uow, "ann@example.com") == 0


def test_a_duplicate_email_in_another_letter_case_is_refused_and_not_stored(
    new_uow: NewUnitOfWork,
) -> None:
    ann = a_user("ann@example.com")
    store(new_uow, ann)
    twin = a_user("ANN@EXAMPLE.COM")
    with new_uow() as uow, pytest.raises(EmailAlreadyRegistered):
        uow.users.add(twin)
        uow.commit()
    assert load(new_uow, twin.id) is None
    assert load(new_uow, ann.id) == ann


def test_a_duplicate_email_in_one_transaction_stores_neither(new_uow: NewUnitOfWork) -> None:
    with new_uow() as uow, pytest.raises(EmailAlreadyRegistered):
        uow.users.add(a_user("ann@example.com"))
        uow.users.add(a_user("Ann@example.com"))
        uow.commit()
    assert count_users(new_uow, "ann@example.com") == 0


def test_of_two_concurrent_registrations_of_one_email_only_the_first_commit_stores(
    new_uow: NewUnitOfWork,
) -> None:
    first, second = a_user("ann@example.com"), a_user("ANN@example.com")
    with new_uow() as uow_a, new_uow() as uow_b:
        assert uow_a.users.get_by_email(first.email) is None
        assert uow_b.users.get_by_email(second.email) is None
        uow_a.users.add(first)
        uow_a.commit()
        with pytest.raises(EmailAlreadyRegistered):
            uow_b.users.add(second)
            uow_b.commit()
    assert load(new_uow, first.id) == first
    assert load(new_uow, second.id) is None


def test_leaving_without_commit_stores_nothing(new_uow: NewUnitOfWork) -> None:
    with new_uow() as uow:
        uow.users.add(a_user())
        uow.events.record(a_record())
    with new_uow() as uow:
        assert uow.users.get_by_email(EmailAddress("ann@example.com")) is None
        assert uow.events.get("evt_1") is None


def test_an_exception_in_the_block_stores_nothing(new_uow: NewUnitOfWork) -> None:
    with pytest.raises(RuntimeError), new_uow() as uow:
        uow.users.add(a_user())
        raise RuntimeError("boom")
    assert count_users(new_uow, "ann@example.com") == 0


def test_rollback_discards_what_came_before_it(new_uow: NewUnitOfWork) -> None:
    with new_uow() as uow:
        uow.users.add(a_user("ann@example.com"))
        uow.rollback()
        uow.users.add(a_user("bob@example.com"))
        uow.commit()
    assert count_users(new_uow, "ann@example.com") == 0
    assert count_users(new_uow, "bob@example.com") == 1


def test_uncommitted_changes_are_invisible_to_another_unit_of_work(
    new_uow: NewUnitOfWork,
) -> None:
    ann = a_user()
    with new_uow() as writer:
        writer.users.add(ann)
        with new_uow() as reader:
            assert reader.users.get(ann.id) is None
        writer.commit()
    assert load(new_uow, ann.id) == ann


def test_one_unit_of_work_object_runs_one_transaction_per_block(new_uow: NewUnitOfWork) -> None:
    uow = new_uow()
    with uow:
        uow.users.add(a_user("ann@example.com"))
        uow.commit()
    with uow:
        uow.users.add(a_user("bob@example.com"))
    with uow:
        assert uow.users.get_by_email(EmailAddress("ann@example.com")) is not None
        assert uow.users.get_by_email(EmailAddress("bob@example.com")) is None


# -- subscriptions ------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(SubscriptionStatus))
def test_a_subscription_in_every_status_round_trips(
    new_uow: NewUnitOfWork, status: SubscriptionStatus
) -> None:
    subscription = a_subscription(status=status)
    ann = a_user(subscriptions={"sub_1": subscription})
    store(new_uow, ann)
    stored = load(new_uow, ann.id)
    assert stored is not None
    assert stored.subscriptions["sub_1"] == subscription
    assert stored.subscriptions["sub_1"].status is status


def test_subscription_datetimes_round_trip_timezone_aware_to_the_microsecond(
    new_uow: NewUnitOfWork,
) -> None:
    subscription = a_subscription(
        as_of=datetime(2026, 3, 1, 10, 30, 15, 999999, tzinfo=PARIS),
        current_period_start=datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
        current_period_end=datetime(2026, 3, 31, 23, 59, 59, 1, tzinfo=UTC),
        cancel_at=datetime(2026, 3, 20, 12, 0, tzinfo=PARIS),
        ended_at=datetime(2026, 3, 21, 0, 0, 0, 5, tzinfo=UTC),
        cancel_at_period_end=True,
    )
    ann = a_user(created_at=datetime(2026, 2, 28, 23, 0, tzinfo=PARIS))
    ann.subscriptions["sub_1"] = subscription
    store(new_uow, ann)
    stored = load(new_uow, ann.id)
    assert stored is not None
    got = stored.subscriptions["sub_1"]
    assert got == subscription  # the same instants
    moments = [
        stored.created_at,
        got.as_of,
        got.current_period_start,
        got.current_period_end,
        got.cancel_at,
        got.ended_at,
    ]
    for moment in moments:
        assert moment is not None
        assert moment.tzinfo is not None
        assert moment.utcoffset() is not None


def test_optional_subscription_fields_round_trip_empty(new_uow: NewUnitOfWork) -> None:
    bare = Subscription(id="sub_1", status=SubscriptionStatus.INCOMPLETE, as_of=T0)
    ann = a_user(subscriptions={"sub_1": bare})
    store(new_uow, ann)
    stored = load(new_uow, ann.id)
    assert stored is not None
    assert stored.subscriptions == {"sub_1": bare}


# -- the event inbox ----------------------------------------------------------------------


def test_a_recorded_event_reads_back_in_the_same_and_in_a_later_transaction(
    new_uow: NewUnitOfWork,
) -> None:
    record = a_record(error=None)
    with new_uow() as uow:
        assert uow.events.get("evt_1") is None
        uow.events.record(record)
        assert uow.events.get("evt_1") == record
        uow.commit()
    with new_uow() as uow:
        assert uow.events.get("evt_1") == record
        assert uow.events.get("evt_2") is None


def test_a_failed_record_keeps_its_error_and_payload(new_uow: NewUnitOfWork) -> None:
    record = a_record(
        status=EventStatus.FAILED,
        error="PaymentProviderError: down",
        note=None,
        payload='{"id": "evt_1", "text": "ünïcode ✓"}',
    )
    with new_uow() as uow:
        uow.events.record(record)
        uow.commit()
    with new_uow() as uow:
        assert uow.events.get("evt_1") == record


def test_lists_records_oldest_first_optionally_by_status(new_uow: NewUnitOfWork) -> None:
    records = [
        a_record("evt_c", received_at=T0 + timedelta(seconds=2), status=EventStatus.FAILED),
        a_record("evt_a", received_at=T0, status=EventStatus.PROCESSED),
        a_record("evt_b", received_at=T0 + timedelta(seconds=1), status=EventStatus.IGNORED),
        a_record("evt_0", received_at=T0 + timedelta(seconds=2), status=EventStatus.FAILED),
    ]
    with new_uow() as uow:
        for record in records:
            uow.events.record(record)
        uow.commit()
    with new_uow() as uow:
        assert [r.event_id for r in uow.events.list()] == ["evt_a", "evt_b", "evt_0", "evt_c"]
        assert [r.event_id for r in uow.events.list(EventStatus.FAILED)] == ["evt_0", "evt_c"]
        assert [r.event_id for r in uow.events.list(EventStatus.IGNORED)] == ["evt_b"]
        assert uow.events.list(EventStatus.PROCESSED) == [records[1]]


def test_recording_an_event_again_replaces_its_status_not_a_second_row(
    new_uow: NewUnitOfWork,
) -> None:
    failed = a_record(status=EventStatus.FAILED, error="boom", note=None)
    with new_uow() as uow:
        uow.events.record(failed)
        uow.commit()
    processed = a_record(received_at=T0 + timedelta(minutes=5))
    with new_uow() as uow:
        assert uow.events.get("evt_1") == failed
        uow.events.record(processed)
        uow.commit()
    with new_uow() as uow:
        assert uow.events.get("evt_1") == processed
        assert list(uow.events.list()) == [processed]
        assert uow.events.list(EventStatus.FAILED) == []


def test_recording_twice_in_one_transaction_keeps_the_last(new_uow: NewUnitOfWork) -> None:
    with new_uow() as uow:
        uow.events.record(a_record(status=EventStatus.FAILED))
        uow.events.record(a_record(status=EventStatus.IGNORED))
        uow.commit()
    with new_uow() as uow:
        assert [r.status for r in uow.events.list()] == [EventStatus.IGNORED]


def test_a_concurrent_record_of_the_same_event_makes_the_second_commit_raise(
    new_uow: NewUnitOfWork,
) -> None:
    ours, theirs = a_record(note="ours"), a_record(note="theirs")
    with new_uow() as uow_a, new_uow() as uow_b:
        assert uow_a.events.get("evt_1") is None
        assert uow_b.events.get("evt_1") is None
        uow_a.events.record(ours)
        uow_b.events.record(theirs)
        uow_a.commit()
        with pytest.raises(EventAlreadyRecorded):
            uow_b.commit()
    with new_uow() as uow:
        assert list(uow.events.list()) == [ours]


def test_a_record_of_an_event_another_transaction_committed_since_we_looked_raises(
    new_uow: NewUnitOfWork,
) -> None:
    ours, theirs = a_record(note="ours"), a_record(note="theirs")
    with new_uow() as uow_a, new_uow() as uow_b:
        assert uow_a.events.get("evt_1") is None
        assert uow_b.events.get("evt_1") is None
        uow_a.events.record(ours)
        uow_a.commit()
        with pytest.raises(EventAlreadyRecorded):  # at record or at commit
            uow_b.events.record(theirs)
            uow_b.commit()
    with new_uow() as uow:
        assert list(uow.events.list()) == [ours]


def test_the_effect_and_the_record_commit_together_or_not_at_all(
    new_uow: NewUnitOfWork,
) -> None:
    with new_uow() as uow_a, new_uow() as uow_b:
        uow_a.events.get("evt_1")
        uow_b.events.get("evt_1")
        uow_a.events.record(a_record())
        uow_a.commit()
        uow_b.users.add(a_user())  # the loser's effect
        uow_b.events.record(a_record(note="theirs"))
        with pytest.raises(EventAlreadyRecorded):
            uow_b.commit()
    assert count_users(new_uow, "ann@example.com") == 0


# -- writers and rules of the store ------------------------------------------------------


def test_two_users_with_one_billing_customer_are_a_data_conflict(new_uow: NewUnitOfWork) -> None:
    ann, bob = a_user(customer_id="cus_1"), a_user("bob@example.com")
    store(new_uow, ann, bob)
    with new_uow() as uow:
        loaded = uow.users.get(bob.id)
        assert loaded is not None
        loaded.link_customer("cus_1")
        uow.users.save(loaded)
        with pytest.raises(DataConflict) as raised:
            uow.commit()
    assert "SELECT" not in str(raised.value) and "UPDATE" not in str(raised.value)
    stored = load(new_uow, bob.id)
    assert stored is not None and stored.customer_id is None


def test_writers_to_one_user_take_turns_instead_of_conflicting(new_uow: NewUnitOfWork) -> None:
    """Two `writing()` transactions that read and save one user: the second waits for the
    first to end, then reads its change; neither raises ConcurrentUpdate."""
    ann = a_user()
    store(new_uow, ann)
    first_read = threading.Event()
    order: list[str] = []

    def writer(name: str, subscription_id: str, hold: float) -> None:
        uow = new_uow()
        with uow.writing() as tx:
            user = tx.users.get(ann.id)
            assert user is not None
            order.append(f"{name} read {sorted(user.subscriptions)}")
            first_read.set()
            time.sleep(hold)
            user.subscriptions[subscription_id] = a_subscription(subscription_id)
            tx.users.save(user)
            tx.commit()

    first = threading.Thread(target=writer, args=("first", "sub_a", 0.3))
    first.start()
    assert first_read.wait(5)
    writer("second", "sub_b", 0)
    first.join(5)

    assert order == ["first read []", "second read ['sub_a']"]
    stored = load(new_uow, ann.id)
    assert stored is not None and set(stored.subscriptions) == {"sub_a", "sub_b"}


def test_a_writer_that_waited_for_a_user_found_by_subscription_reads_its_changed_state(
    new_uow: NewUnitOfWork,
) -> None:
    """Issue 10: a webhook's writer finds the user by a subscription and locks them in one
    statement. While it waits for the lock, another writer changes that subscription and
    commits: the waiter must read the changed state, not the one from before it waited."""
    ann = a_user(customer_id="cus_1", subscriptions={"sub_1": a_subscription("sub_1")})
    store(new_uow, ann)
    first_read = threading.Event()

    def first_writer() -> None:
        with new_uow().writing() as tx:
            user = tx.users.get_by_subscription_id("sub_1")
            assert user is not None
            first_read.set()
            time.sleep(0.3)  # the second writer is waiting for the lock meanwhile
            changed = replace(user.subscriptions["sub_1"], status=SubscriptionStatus.CANCELED)
            user.subscriptions["sub_1"] = changed
            tx.users.save(user)
            tx.commit()

    first = threading.Thread(target=first_writer)
    first.start()
    assert first_read.wait(5)
    with new_uow().writing() as tx:
        user = tx.users.get_by_subscription_id("sub_1")
    first.join(5)

    assert user is not None
    assert user.subscriptions["sub_1"].status is SubscriptionStatus.CANCELED


# -- claiming an event ---------------------------------------------------------------------


def test_claiming_a_new_event_stores_it_at_commit(new_uow: NewUnitOfWork) -> None:
    record = a_record(status=EventStatus.PROCESSED, note="applied")
    with new_uow() as uow:
        assert uow.events.claim(record) is None
        uow.commit()
    with new_uow() as uow:
        assert uow.events.get("evt_1") == record


def test_claiming_an_event_recorded_before_returns_it_unchanged(new_uow: NewUnitOfWork) -> None:
    first = a_record(status=EventStatus.PROCESSED, note="first")
    with new_uow() as uow:
        uow.events.record(first)
        uow.commit()
    with new_uow() as uow:
        assert uow.events.claim(a_record(status=EventStatus.IGNORED, note="again")) == first
        uow.commit()
    with new_uow() as uow:
        assert list(uow.events.list()) == [first]


def test_a_claim_left_without_commit_stores_nothing(new_uow: NewUnitOfWork) -> None:
    with new_uow() as uow:
        assert uow.events.claim(a_record()) is None
    with new_uow() as uow:
        assert uow.events.get("evt_1") is None


def test_a_claim_sees_an_event_another_transaction_committed_since_it_began(
    new_uow: NewUnitOfWork,
) -> None:
    theirs = a_record(note="theirs")
    with new_uow() as uow_a, new_uow() as uow_b:
        uow_b.users.get("anyone")  # begun before theirs committed
        uow_a.events.record(theirs)
        uow_a.commit()
        assert uow_b.events.claim(a_record(note="ours")) == theirs
    with new_uow() as uow:
        assert list(uow.events.list()) == [theirs]


# -- readers ----------------------------------------------------------------------------


def test_a_reader_reads_what_is_committed(new_uow: NewUnitOfWork) -> None:
    ann = a_user(subscriptions={"sub_1": a_subscription()}, customer_id="cus_1")
    store(new_uow, ann)
    with new_uow().reading() as uow:
        assert uow.users.get(ann.id) == ann
        assert uow.users.get_by_email(ann.email) == ann
        assert uow.users.get_by_subscription_id("sub_1") == ann
        assert uow.users.get("nobody") is None


def test_a_reader_stores_nothing_and_its_commit_is_refused(new_uow: NewUnitOfWork) -> None:
    ann = a_user()
    store(new_uow, ann)
    with new_uow().reading() as uow:
        user = uow.users.get(ann.id)
        assert user is not None
        user.link_customer("cus_1")
        uow.users.save(user)
        with pytest.raises(RuntimeError):
            uow.commit()
    assert load(new_uow, ann.id) == ann


def test_nothing_a_reader_adds_is_stored_even_if_it_reads_on(new_uow: NewUnitOfWork) -> None:
    with new_uow().reading() as uow:
        uow.users.add(a_user())
        uow.users.get_by_email(EmailAddress("bob@example.com"))
        with pytest.raises(RuntimeError):
            uow.commit()
    assert count_users(new_uow, "ann@example.com") == 0


def test_a_reader_is_one_block_the_next_one_may_write(new_uow: NewUnitOfWork) -> None:
    uow = new_uow()
    with uow.reading():
        assert uow.users.get("nobody") is None
    with uow:
        uow.users.add(a_user())
        uow.commit()
    assert count_users(new_uow, "ann@example.com") == 1


def test_a_reader_reads_every_field_as_a_writer_does(new_uow: NewUnitOfWork) -> None:
    full = a_subscription(
        as_of=datetime(2026, 3, 1, 10, 30, 15, 999999, tzinfo=PARIS),
        cancel_at=datetime(2026, 3, 20, 12, 0, tzinfo=PARIS),
        ended_at=datetime(2026, 3, 21, 0, 0, 0, 5, tzinfo=UTC),
        cancel_at_period_end=True,
        unpaid_since=datetime(2026, 3, 2, tzinfo=UTC),
        status=SubscriptionStatus.PAST_DUE,
    )
    bare = Subscription(id="sub_2", status=SubscriptionStatus.INCOMPLETE, as_of=T0)
    ann = a_user(
        customer_id="cus_1",
        email_verified_at=datetime(2026, 3, 1, 12, 0, 0, 7, tzinfo=PARIS),
        session_generation=3,
        subscriptions={"sub_1": full, "sub_2": bare},
    )
    bob = a_user("bob@example.com")  # no subscription: the join's empty side
    store(new_uow, ann, bob)

    for user in (ann, bob):
        with new_uow() as uow:
            written = uow.users.get(user.id)
        with new_uow().reading() as uow:
            read = uow.users.get(user.id)
            by_email = uow.users.get_by_email(user.email)
        assert read == written == by_email == user
        assert read is not None and written is not None
        for field in ("created_at", "email_verified_at"):
            assert getattr(read, field) == getattr(written, field), field
        assert read.subscriptions == written.subscriptions
        for got in read.subscriptions.values():
            for moment in (got.as_of, got.cancel_at, got.ended_at, got.unpaid_since):
                assert moment is None or moment.utcoffset() is not None


def test_after_a_reader_the_next_writer_still_runs_one_transaction(
    new_uow: NewUnitOfWork,
) -> None:
    ann = a_user(subscriptions={"sub_1": a_subscription()})
    store(new_uow, ann)
    for _ in range(3):  # readers return their connections to the pool
        with new_uow().reading() as uow:
            assert uow.users.get(ann.id) == ann

    with new_uow() as uow:
        uow.users.add(a_user("bob@example.com"))
        uow.rollback()  # nothing of it may have been committed on its own

    assert count_users(new_uow, "bob@example.com") == 0
