from datetime import timedelta

import pytest

from application.use_cases.register_user import RegisterUser, RegisterUserCommand
from domain.errors import InvalidEmail, WeakPassword
from tests.unit.application.conftest import PASSWORD, World
from tests.unit.builders import T0


def register(world: World, email: str, password: str = PASSWORD) -> None:
    RegisterUser(world.uow, world.hasher, world.clock, world.mailer).execute(
        RegisterUserCommand(email, password)
    )


def test_stores_a_new_user_with_the_normalised_email_not_verified_yet(world: World) -> None:
    user = world.register("  Ann@Example.COM ", verified=False)
    stored = world.stored(user.id)
    assert stored.email.value == "ann@example.com"
    assert stored.created_at == T0
    assert stored.customer_id is None
    assert stored.subscriptions == {}
    assert not stored.email_verified


def test_stores_a_hash_that_verifies_and_never_the_password(world: World) -> None:
    user = world.register(password=PASSWORD)
    stored = world.stored(user.id)
    assert PASSWORD not in stored.password_hash
    assert world.hasher.verify(stored.password_hash, PASSWORD)


def test_a_new_address_gets_a_verification_link_that_verifies_it(world: World) -> None:
    register(world, "ann@example.com")
    [email] = world.outbox_to("ann@example.com")
    assert email.id.startswith("verify-email:")
    assert "/verify-email/" in email.message.text
    assert email.message.html is not None and "/verify-email/" in email.message.html

    world.verify("ann@example.com")
    [user] = world.store.users.values()
    assert user.email_verified_at == T0


@pytest.mark.parametrize("again", ["ann@example.com", "ANN@EXAMPLE.COM", " Ann@Example.Com "])
def test_a_known_address_in_any_letter_case_is_answered_alike_and_told_by_email(
    world: World, again: str
) -> None:
    """Nothing is raised (the page is the same), nothing stored, and the address learns
    it has an account, with a way to reset its password."""
    first = world.register("ann@example.com")
    before = world.stored(first.id)

    assert register(world, again, "another good password") is None  # type: ignore[func-returns-value]

    assert list(world.store.users) == [first.id]
    assert world.stored(first.id) == before
    [told] = [e for e in world.outbox_to("ann@example.com") if "verify" not in e.id]
    assert told.id.startswith(f"already-registered:{first.id}:")
    assert "already" in told.message.subject
    assert "https://notes.test/reset-password" in told.message.text


def test_both_answers_do_the_same_hashing_and_write_one_email(world: World) -> None:
    world.register("ann@example.com", verified=False)
    hashes, outbox = world.hasher.hash_calls, len(world.store.outbox)

    register(world, "bob@example.com")  # new
    new = (world.hasher.hash_calls - hashes, len(world.store.outbox) - outbox)
    register(world, "ann@example.com")  # known
    known = (world.hasher.hash_calls - hashes - new[0], len(world.store.outbox) - outbox - new[1])

    assert new == known == (1, 1)


def test_a_known_address_is_told_at_most_once_an_hour(world: World) -> None:
    world.register("ann@example.com", verified=False)
    for _ in range(3):
        register(world, "ann@example.com")
    assert len(world.outbox_to("ann@example.com")) == 2  # the verification, one reminder
    world.clock.advance(timedelta(minutes=61))
    register(world, "ann@example.com")
    assert len(world.outbox_to("ann@example.com")) == 3


@pytest.mark.parametrize("email", ["", "ann", "ann@", "ann@example", "ann @example.com"])
def test_refuses_an_invalid_email_and_stores_nothing(world: World, email: str) -> None:
    with pytest.raises(InvalidEmail):
        register(world, email)
    assert world.store.users == {}
    assert world.store.outbox == {}


@pytest.mark.parametrize("password", ["short", "password123", "ann@example.com", "x" * 1025])
def test_refuses_a_weak_password_alike_for_a_known_and_a_new_address(
    world: World, password: str
) -> None:
    with pytest.raises(WeakPassword):
        register(world, "ann@example.com", password)
    assert world.store.users == {}
    assert world.hasher.hash_calls == 0
    world.register("bob@example.com")
    with pytest.raises(WeakPassword):
        register(world, "bob@example.com", password.replace("ann@", "bob@"))


def test_two_different_emails_make_two_users(world: World) -> None:
    ann = world.register("ann@example.com")
    bob = world.register("bob@example.com")
    assert ann.id != bob.id
    assert set(world.store.users) == {ann.id, bob.id}
