"""The outbox of the unit of work, for every implementation (in memory, SQLite,
PostgreSQL): one entry per cause, written or dropped with its cause, claimed by one
deliverer at a time."""

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.email_message import EmailMessage
from application.ports import ConcurrentUpdate, OutboxEntry, OutboxStatus, UnitOfWork
from domain.email import EmailAddress
from domain.errors import EmailAlreadyRegistered
from domain.user import User
from tests.contract.conftest import NewUnitOfWork

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def an_entry(entry_id: str = "payment-failed:evt_1", **changes: object) -> OutboxEntry:
    message = EmailMessage(
        to=EmailAddress("ann@example.com"),
        subject="Your payment failed — Grüße",
        text="We could not charge your card.\nhttps://notes.example/account\n",
        html="<p>We could not charge your card. ✓</p>",
        headers=(("Message-ID", f"<{entry_id}@notes.example>"), ("Reply-To", "help@x.io")),
    )
    entry = OutboxEntry(id=entry_id, message=message, created_at=T0)
    return replace(entry, **changes)  # type: ignore[arg-type]


def add(new_uow: NewUnitOfWork, *entries: OutboxEntry) -> None:
    with new_uow() as uow:
        for entry in entries:
            uow.outbox.add(entry)
        uow.commit()


def stored(new_uow: NewUnitOfWork) -> list[OutboxEntry]:
    with new_uow() as uow:
        return list(uow.outbox.list())


def test_an_added_entry_reads_back_equal(new_uow: NewUnitOfWork) -> None:
    entry = an_entry()
    add(new_uow, entry)
    with new_uow() as uow:
        assert uow.outbox.get(entry.id) == entry
        assert uow.outbox.get("no-such-entry") is None
    assert stored(new_uow) == [entry]


def test_a_second_entry_for_one_cause_is_dropped_without_an_error(new_uow: NewUnitOfWork) -> None:
    first = an_entry()
    add(new_uow, first)
    add(new_uow, an_entry(created_at=T0 + timedelta(hours=1)))  # the cause ran again
    with new_uow() as uow:
        uow.outbox.add(an_entry(attempts=3))
        uow.outbox.add(an_entry(attempts=4))
        uow.commit()
    assert stored(new_uow) == [first]


def test_an_entry_is_stored_with_its_cause_or_not_at_all(new_uow: NewUnitOfWork) -> None:
    ann = User.register(EmailAddress("ann@example.com"), "fake$v1$s$d", T0)
    with new_uow() as uow:
        uow.users.add(ann)
        uow.outbox.add(an_entry("welcome:ann"))
        # no commit: the registration did not happen, nor its email
    assert stored(new_uow) == []

    with new_uow() as uow:
        uow.users.add(ann)
        uow.outbox.add(an_entry("welcome:ann"))
        uow.commit()
    assert [e.id for e in stored(new_uow)] == ["welcome:ann"]

    twin = User.register(EmailAddress("ann@example.com"), "fake$v1$s$d", T0)
    with new_uow() as uow, pytest.raises(EmailAlreadyRegistered):
        uow.users.add(twin)
        uow.outbox.add(an_entry("welcome:twin"))
        uow.commit()  # the cause fails at commit: its email goes with it
    assert [e.id for e in stored(new_uow)] == ["welcome:ann"]


def test_two_transactions_adding_one_cause_at_once_store_one_entry(
    new_uow: NewUnitOfWork,
) -> None:
    ours, theirs = an_entry(attempts=1), an_entry()

    def first() -> None:
        with new_uow() as uow:
            uow.outbox.add(theirs)
            added.set()
            time.sleep(0.2)
            uow.commit()

    added = threading.Event()
    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert added.wait(5)
        with new_uow() as uow:
            uow.outbox.add(ours)  # a database waits here for the first to end
            uow.commit()  # the fake does not wait: whichever commits first is kept
    finally:
        thread.join(10)
    assert stored(new_uow) in ([theirs], [ours])


def test_due_entries_are_pending_reached_and_unclaimed_oldest_first(
    new_uow: NewUnitOfWork,
) -> None:
    add(
        new_uow,
        an_entry("c", created_at=T0 + timedelta(seconds=2)),
        an_entry("b", created_at=T0 + timedelta(seconds=1)),
        an_entry("a", created_at=T0 + timedelta(seconds=1)),
        an_entry("later", next_attempt_at=T0 + timedelta(minutes=1)),
        an_entry("sent", status=OutboxStatus.SENT, sent_at=T0),
        an_entry("failed", status=OutboxStatus.FAILED),
        an_entry("claimed", claimed_until=T0 + LEASE),
    )
    with new_uow() as uow:
        assert [e.id for e in uow.outbox.due(T0, 10)] == ["a", "b", "c"]
        assert [e.id for e in uow.outbox.due(T0, 2)] == ["a", "b"]
        assert [e.id for e in uow.outbox.due(T0 + LEASE, 10)] == ["claimed", "later", "a", "b", "c"]


def test_a_claim_holds_an_entry_until_its_lease_ends(new_uow: NewUnitOfWork) -> None:
    add(new_uow, an_entry())
    with new_uow() as uow:
        claimed = uow.outbox.claim("payment-failed:evt_1", T0, T0 + LEASE)
        assert claimed == replace(an_entry(), claimed_until=T0 + LEASE)
        uow.commit()
    with new_uow() as uow:
        assert uow.outbox.claim("payment-failed:evt_1", T0 + timedelta(minutes=1), T0) is None
        assert uow.outbox.due(T0 + timedelta(minutes=1), 10) == []
        again = uow.outbox.claim("payment-failed:evt_1", T0 + LEASE, T0 + 2 * LEASE)
        assert again is not None  # the first deliverer died: the lease ran out
        assert uow.outbox.claim("no-such-entry", T0, T0 + LEASE) is None


def test_sent_and_failed_entries_are_never_claimed(new_uow: NewUnitOfWork) -> None:
    add(new_uow, an_entry("sent", status=OutboxStatus.SENT), an_entry("failed", attempts=9))
    with new_uow() as uow:
        entry = uow.outbox.get("failed")
        assert entry is not None
        uow.outbox.save(replace(entry, status=OutboxStatus.FAILED, last_error="550 no such user"))
        uow.commit()
    with new_uow() as uow:
        assert uow.outbox.claim("sent", T0, T0 + LEASE) is None
        assert uow.outbox.claim("failed", T0, T0 + LEASE) is None
        assert [e.id for e in uow.outbox.list(OutboxStatus.FAILED)] == ["failed"]
        assert [e.id for e in uow.outbox.list(OutboxStatus.PENDING)] == []


def test_save_stores_every_change_and_refuses_an_unknown_entry(new_uow: NewUnitOfWork) -> None:
    add(new_uow, an_entry())
    changed = replace(
        an_entry(),
        status=OutboxStatus.SENT,
        attempts=2,
        next_attempt_at=T0 + timedelta(minutes=1),
        claimed_until=None,
        sent_at=T0 + timedelta(minutes=2),
        last_error="421 try later",
    )
    with new_uow() as uow:
        uow.outbox.save(changed)
        uow.commit()
    assert stored(new_uow) == [changed]
    with new_uow() as uow, pytest.raises(LookupError):
        uow.outbox.save(an_entry("never-added"))


def test_of_two_deliverers_claiming_one_entry_one_gets_it(new_uow: NewUnitOfWork) -> None:
    add(new_uow, an_entry())
    results: list[str] = []
    both_read = threading.Barrier(2, timeout=5)

    def deliverer(name: str) -> None:
        uow: UnitOfWork = new_uow()
        with uow:
            uow.outbox.get("payment-failed:evt_1")
            both_read.wait()
            try:
                claimed = uow.outbox.claim("payment-failed:evt_1", T0, T0 + LEASE)
                time.sleep(0.1)
                uow.commit()
            except ConcurrentUpdate:
                claimed = None
        results.append(name if claimed is not None else "none")

    threads = [threading.Thread(target=deliverer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert sorted(results) in (["a", "none"], ["b", "none"]), results


def test_a_readers_outbox_writes_are_refused(new_uow: NewUnitOfWork) -> None:
    with new_uow().reading() as uow, pytest.raises(RuntimeError):
        uow.outbox.add(an_entry())
        uow.commit()
    assert stored(new_uow) == []


@pytest.mark.parametrize("entry_id", ["", "x" * 256, "line\nbreak"])
def test_an_entry_id_is_1_to_255_printable_characters(entry_id: str) -> None:
    with pytest.raises(ValueError):
        an_entry(entry_id)
