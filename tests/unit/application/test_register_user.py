import pytest

from application.use_cases.register_user import RegisterUser, RegisterUserCommand
from domain.errors import EmailAlreadyRegistered, InvalidEmail, WeakPassword
from tests.unit.application.conftest import PASSWORD, World
from tests.unit.builders import T0


def register(world: World, email: str, password: str = PASSWORD) -> None:
    RegisterUser(world.uow, world.hasher, world.clock).execute(RegisterUserCommand(email, password))


def test_stores_a_new_user_with_the_normalised_email(world: World) -> None:
    user = world.register("  Ann@Example.COM ")
    stored = world.stored(user.id)
    assert stored.email.value == "ann@example.com"
    assert stored.created_at == T0
    assert stored.customer_id is None
    assert stored.subscriptions == {}


def test_stores_a_hash_that_verifies_and_never_the_password(world: World) -> None:
    user = world.register(password=PASSWORD)
    stored = world.stored(user.id)
    assert PASSWORD not in stored.password_hash
    assert world.hasher.verify(stored.password_hash, PASSWORD)


@pytest.mark.parametrize("again", ["ann@example.com", "ANN@EXAMPLE.COM", " Ann@Example.Com "])
def test_refuses_a_duplicate_email_in_any_letter_case(world: World, again: str) -> None:
    first = world.register("ann@example.com")
    with pytest.raises(EmailAlreadyRegistered):
        register(world, again, "another good password")
    assert list(world.store.users) == [first.id]
    assert world.hasher.verify(world.stored(first.id).password_hash, PASSWORD)


@pytest.mark.parametrize("email", ["", "ann", "ann@", "ann@example", "ann @example.com"])
def test_refuses_an_invalid_email_and_stores_nothing(world: World, email: str) -> None:
    with pytest.raises(InvalidEmail):
        register(world, email)
    assert world.store.users == {}


@pytest.mark.parametrize("password", ["short", "password123", "ann@example.com", "x" * 1025])
def test_refuses_a_weak_password_and_stores_nothing(world: World, password: str) -> None:
    with pytest.raises(WeakPassword):
        register(world, "ann@example.com", password)
    assert world.store.users == {}
    assert world.hasher.hash_calls == 0


def test_two_different_emails_make_two_users(world: World) -> None:
    ann = world.register("ann@example.com")
    bob = world.register("bob@example.com")
    assert ann.id != bob.id
    assert set(world.store.users) == {ann.id, bob.id}
