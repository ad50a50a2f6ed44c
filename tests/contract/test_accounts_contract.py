"""What the account features need of the unit of work, for every implementation (in
memory, SQLite, PostgreSQL): a verified address, the emailed links' tokens and a new
email stored with their user; a user removed; an owner's mail discarded; the outbox's
after-commit hook."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.email_message import EmailMessage
from application.ports import ConcurrentUpdate, OutboxEntry, UnitOfWork
from domain.account_tokens import TokenPurpose, issue
from domain.email import EmailAddress
from domain.errors import EmailAlreadyRegistered
from domain.subscription import Subscription, SubscriptionStatus
from domain.user import User
from tests.contract.conftest import NewHookedUnitOfWork, NewUnitOfWork

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
T1 = T0 + timedelta(days=40, microseconds=7)


def a_user(email: str = "ann@example.com") -> User:
    return User.register(EmailAddress(email), "fake$v1$salt$digest", T0)


def an_entry(entry_id: str, to: str = "ann@example.com", owner: str | None = None) -> OutboxEntry:
    message = EmailMessage(EmailAddress(to), "Hello", "Hello there.")
    return OutboxEntry(entry_id, message, T0, owner=owner)


def store(new_uow: NewUnitOfWork, *users: User) -> None:
    with new_uow() as uow:
        for user in users:
            uow.users.add(user)
        uow.commit()


def load(new_uow: NewUnitOfWork, user_id: str) -> User | None:
    with new_uow() as uow:
        return uow.users.get(user_id)


def test_a_new_user_reads_back_unverified_without_tokens(new_uow: NewUnitOfWork) -> None:
    ann = a_user()
    store(new_uow, ann)
    loaded = load(new_uow, ann.id)
    assert loaded == ann
    assert loaded is not None and loaded.email_verified_at is None and loaded.tokens == {}


def test_the_verified_address_and_the_tokens_are_saved_with_the_user(
    new_uow: NewUnitOfWork,
) -> None:
    ann = a_user()
    store(new_uow, ann)
    reset = issue(TokenPurpose.RESET_PASSWORD, ann.id, T0)
    change = issue(TokenPurpose.CHANGE_EMAIL, ann.id, T0, EmailAddress("new@example.com"))
    with new_uow() as uow:
        user = uow.users.require(ann.id)
        user.verify_email(T0 + timedelta(minutes=1))
        user.hold_token(reset.token)
        user.hold_token(change.token)
        uow.users.save(user)
        uow.commit()
    loaded = load(new_uow, ann.id)
    assert loaded is not None
    assert loaded.email_verified_at == T0 + timedelta(minutes=1)
    assert loaded.tokens == {
        TokenPurpose.RESET_PASSWORD: reset.token,
        TokenPurpose.CHANGE_EMAIL: change.token,
    }
    assert loaded.pending_email == EmailAddress("new@example.com")

    with new_uow() as uow:  # used: gone
        user = uow.users.require(ann.id)
        del user.tokens[TokenPurpose.RESET_PASSWORD]
        uow.users.save(user)
        uow.commit()
    loaded = load(new_uow, ann.id)
    assert loaded is not None and set(loaded.tokens) == {TokenPurpose.CHANGE_EMAIL}


def test_a_changed_email_is_saved_and_found_by_it(new_uow: NewUnitOfWork) -> None:
    ann = a_user()
    store(new_uow, ann)
    with new_uow() as uow:
        user = uow.users.require(ann.id)
        user.change_email(EmailAddress("new@example.com"), T0)
        uow.users.save(user)
        uow.commit()
    with new_uow() as uow:
        found = uow.users.get_by_email(EmailAddress("new@example.com"))
        assert found is not None and found.id == ann.id
        assert uow.users.get_by_email(EmailAddress("ann@example.com")) is None


def test_a_change_to_another_users_email_is_refused_and_changes_nothing(
    new_uow: NewUnitOfWork,
) -> None:
    ann, bob = a_user(), a_user("bob@example.com")
    store(new_uow, ann, bob)
    with pytest.raises(EmailAlreadyRegistered), new_uow() as uow:
        user = uow.users.require(ann.id)
        user.change_email(EmailAddress("BOB@example.com"), T0)
        uow.users.save(user)
        uow.commit()
    loaded = load(new_uow, ann.id)
    assert loaded is not None and loaded.email.value == "ann@example.com"


def test_a_removed_user_is_gone_with_their_subscriptions(new_uow: NewUnitOfWork) -> None:
    ann, bob = a_user(), a_user("bob@example.com")
    subscription = Subscription(
        "sub_1", SubscriptionStatus.CANCELED, T0, customer_id="cus_1", price_id="price_1"
    )
    ann = replace(ann, customer_id="cus_1", subscriptions={"sub_1": subscription})
    store(new_uow, ann, bob)

    with new_uow() as uow:
        uow.users.require(ann.id)
        uow.users.remove(ann.id, T1)
        # no commit: nothing removed
    assert load(new_uow, ann.id) is not None

    with new_uow() as uow:
        uow.users.require(ann.id)
        uow.users.remove(ann.id, T1)
        uow.commit()
    assert load(new_uow, ann.id) is None
    with new_uow() as uow:
        assert uow.users.get_by_subscription_id("sub_1") is None
        assert uow.users.get_by_customer_id("cus_1") is None
        assert [u.id for u in uow.users.list_billed()] == []
    assert load(new_uow, bob.id) == bob
    store(new_uow, a_user())  # the address is free again


def test_removing_a_user_saved_meanwhile_is_a_concurrent_update(new_uow: NewUnitOfWork) -> None:
    ann = a_user()
    store(new_uow, ann)
    with new_uow() as remover:
        remover.users.require(ann.id)
        with new_uow() as saver:
            user = saver.users.require(ann.id)
            user.end_sessions()
            saver.users.save(user)
            saver.commit()
        with pytest.raises(ConcurrentUpdate):
            remover.users.remove(ann.id, T1)
            remover.commit()
    assert load(new_uow, ann.id) is not None
    with new_uow() as uow:
        assert uow.users.deleted_at(ann.id) is None  # no tombstone either


def test_a_removed_user_leaves_a_tombstone_of_their_id_and_the_time(
    new_uow: NewUnitOfWork,
) -> None:
    ann, bob = a_user(), a_user("bob@example.com")
    store(new_uow, ann, bob)
    with new_uow() as uow:
        uow.users.require(ann.id)
        uow.users.remove(ann.id, T1)
        assert uow.users.deleted_at(ann.id) == T1  # seen in its own transaction
        # no commit: no tombstone
    with new_uow() as uow:
        assert uow.users.deleted_at(ann.id) is None

    with new_uow().writing() as uow:
        uow.users.require(ann.id)
        uow.users.remove(ann.id, T1)
        uow.commit()

    with new_uow().reading() as uow:
        deleted_at = uow.users.deleted_at(ann.id)
        assert deleted_at == T1 and deleted_at.tzinfo is not None
        assert uow.users.deleted_at(bob.id) is None  # a live user
        assert uow.users.deleted_at("0" * 32) is None  # never known here


def test_an_owners_mail_is_discarded_sent_or_not_whatever_its_address(
    new_uow: NewUnitOfWork,
) -> None:
    with new_uow() as uow:
        uow.outbox.add(an_entry("a", owner="ann"))
        uow.outbox.add(an_entry("b", to="ann.new@example.com", owner="ann"))
        uow.outbox.add(an_entry("c", owner="bob"))
        uow.outbox.add(an_entry("d"))  # nobody's
        uow.commit()
    with new_uow() as uow:
        claimed = uow.outbox.claim("b", T0, T0 + timedelta(minutes=5))
        assert claimed is not None and claimed.owner == "ann"
        uow.commit()
    with new_uow() as uow:
        assert uow.outbox.discard_of("ann") == 2
        # no commit: nothing discarded
    with new_uow() as uow:
        assert uow.outbox.discard_of("ann") == 2
        assert [e.id for e in uow.outbox.list()] == ["c", "d"]
        uow.commit()
    with new_uow() as uow:
        assert [e.id for e in uow.outbox.list()] == ["c", "d"]
        assert uow.outbox.get("a") is None
        assert uow.outbox.discard_of("ann") == 0


def test_the_hook_is_called_once_after_a_commit_that_wrote_to_the_outbox(
    new_hooked_uow: NewHookedUnitOfWork,
) -> None:
    calls: list[str] = []

    def new_uow() -> UnitOfWork:
        return new_hooked_uow(lambda: calls.append("called"))

    with new_uow() as uow:
        uow.outbox.add(an_entry("a"))
        assert calls == []  # not before the commit
        uow.commit()
    assert calls == ["called"]

    with new_uow() as uow:
        uow.outbox.add(an_entry("b"))
        # rolled back: nothing to send
    with new_uow() as uow:
        uow.users.add(a_user())
        uow.commit()  # no mail
    with new_uow().reading() as uow:
        uow.outbox.list()
    assert calls == ["called"]


def test_a_failing_hook_does_not_undo_or_fail_the_commit(
    new_hooked_uow: NewHookedUnitOfWork,
) -> None:
    def broken() -> None:
        raise RuntimeError("the sender is gone")

    with new_hooked_uow(broken) as uow:
        uow.outbox.add(an_entry("a"))
        uow.commit()
    with new_hooked_uow(broken) as uow:
        assert [e.id for e in uow.outbox.list()] == ["a"]
