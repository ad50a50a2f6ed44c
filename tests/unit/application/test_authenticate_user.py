import pytest

from adapters.memory import FakePasswordHasher
from application.use_cases.authenticate_user import (
    AuthenticateUser,
    AuthenticateUserCommand,
    FailureFloor,
    make_dummy_hash,
)
from application.use_cases.register_user import RegisterUser, RegisterUserCommand
from domain.errors import InvalidCredentials
from domain.password_policy import MAX_LENGTH
from domain.user import User
from tests.unit.application.conftest import PASSWORD, World


def log_in(
    world: World, email: str, password: str, hasher: FakePasswordHasher | None = None
) -> User:
    use_case = AuthenticateUser(world.uow, hasher or world.hasher)
    return use_case.execute(AuthenticateUserCommand(email, password))


def test_logs_in_with_the_right_password_in_any_email_case(world: World) -> None:
    ann = world.register("ann@example.com")
    assert log_in(world, " ANN@example.com", PASSWORD).id == ann.id


def test_wrong_password_and_unknown_email_give_the_same_error(world: World) -> None:
    world.register("ann@example.com")
    with pytest.raises(InvalidCredentials) as wrong_password:
        log_in(world, "ann@example.com", "not the password")
    with pytest.raises(InvalidCredentials) as unknown_email:
        log_in(world, "bob@example.com", PASSWORD)
    assert wrong_password.value.message == unknown_email.value.message
    assert str(wrong_password.value) == str(unknown_email.value)


def test_wrong_password_and_unknown_email_verify_one_hash_each(world: World) -> None:
    world.register("ann@example.com")
    use_case = AuthenticateUser(world.uow, world.hasher)
    # Warm up: the dummy hash of the unknown-email path may be made once, up front.
    with pytest.raises(InvalidCredentials):
        use_case.execute(AuthenticateUserCommand("nobody@example.com", PASSWORD))

    def work_for(email: str, password: str) -> tuple[int, int]:
        hashes, verifies = world.hasher.hash_calls, world.hasher.verify_calls
        with pytest.raises(InvalidCredentials):
            use_case.execute(AuthenticateUserCommand(email, password))
        return world.hasher.hash_calls - hashes, world.hasher.verify_calls - verifies

    assert work_for("ann@example.com", "not the password") == (0, 1)
    assert work_for("bob@example.com", PASSWORD) == (0, 1)
    assert work_for("not an email", PASSWORD) == (0, 1)


def test_with_a_shared_dummy_hash_every_request_does_the_same_work_from_the_first(
    world: World,
) -> None:
    # The container makes one use case per request and the dummy hash once per process.
    world.register("ann@example.com")
    dummy_hash = make_dummy_hash(world.hasher)

    def work_for(email: str, password: str) -> tuple[int, int]:
        hashes, verifies = world.hasher.hash_calls, world.hasher.verify_calls
        with pytest.raises(InvalidCredentials):
            AuthenticateUser(world.uow, world.hasher, dummy_hash).execute(
                AuthenticateUserCommand(email, password)
            )
        return world.hasher.hash_calls - hashes, world.hasher.verify_calls - verifies

    assert work_for("bob@example.com", PASSWORD) == (0, 1)
    assert work_for("carol@example.com", PASSWORD) == (0, 1)
    assert work_for("ann@example.com", "not the password") == (0, 1)


def test_the_unknown_email_path_verifies_a_real_hash_of_the_hasher(world: World) -> None:
    world.register("ann@example.com")
    seen: list[str] = []

    class RecordingHasher(FakePasswordHasher):
        def verify(self, password_hash: str, password: str) -> bool:
            seen.append(password_hash)
            return super().verify(password_hash, password)

    with pytest.raises(InvalidCredentials):
        log_in(world, "bob@example.com", PASSWORD, RecordingHasher())
    assert len(seen) == 1
    assert seen[0].startswith("fake$v1$")  # a hash it can read, so it costs the same


def test_does_not_change_a_hash_made_with_current_parameters(world: World) -> None:
    ann = world.register()
    before = world.stored(ann.id).password_hash
    commits = world.uow.commits
    log_in(world, ann.email.value, PASSWORD)
    assert world.stored(ann.id).password_hash == before
    assert world.uow.commits == commits


def test_rehashes_on_log_in_when_the_hasher_parameters_changed(world: World) -> None:
    ann = world.register()
    old_hash = world.stored(ann.id).password_hash
    upgraded = FakePasswordHasher(version=2)
    log_in(world, ann.email.value, PASSWORD, upgraded)
    new_hash = world.stored(ann.id).password_hash
    assert new_hash != old_hash
    assert not upgraded.needs_rehash(new_hash)
    assert upgraded.verify(new_hash, PASSWORD)
    assert log_in(world, ann.email.value, PASSWORD, upgraded).id == ann.id


def test_does_not_rehash_after_a_wrong_password(world: World) -> None:
    ann = world.register()
    old_hash = world.stored(ann.id).password_hash
    with pytest.raises(InvalidCredentials):
        log_in(world, ann.email.value, "not the password", FakePasswordHasher(version=2))
    assert world.stored(ann.id).password_hash == old_hash


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b@c.io", " ", "x" * 5000])
def test_a_malformed_email_is_just_invalid_credentials(world: World, email: str) -> None:
    world.register()
    with pytest.raises(InvalidCredentials):
        log_in(world, email, PASSWORD)


def test_an_over_long_password_is_just_invalid_credentials(world: World) -> None:
    ann = world.register()
    with pytest.raises(InvalidCredentials):
        log_in(world, ann.email.value, PASSWORD + "x" * MAX_LENGTH)
    with pytest.raises(InvalidCredentials):
        log_in(world, "bob@example.com", "x" * (MAX_LENGTH * 100))


def test_the_longest_allowed_password_logs_in(world: World) -> None:
    longest = "kq3!vz8m" * (MAX_LENGTH // 8)
    ann = world.register(password=longest)
    assert log_in(world, ann.email.value, longest).id == ann.id


def test_a_password_with_lone_surrogates_does_not_raise_anything_else(world: World) -> None:
    ann = world.register()
    with pytest.raises(InvalidCredentials):
        log_in(world, ann.email.value, "\ud800\udfff-not-it")


class Timer:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class CostlyOldHashes(FakePasswordHasher):
    """An older version's hashes cost three times as much to verify (argon2's older,
    dearer parameters), on a timer the test reads."""

    def __init__(self, timer: Timer, version: int) -> None:
        super().__init__(version)
        self.timer = timer

    def verify(self, password_hash: str, password: str) -> bool:
        self.timer.advance(0.1 if self.needs_rehash(password_hash) is False else 0.3)
        return super().verify(password_hash, password)


def test_a_dormant_account_with_a_dearer_old_hash_is_not_told_apart_by_time(
    world: World,
) -> None:
    old = FakePasswordHasher(version=1)
    RegisterUser(world.uow, old, world.clock, world.mailer).execute(
        RegisterUserCommand("ann@example.com", PASSWORD)
    )
    timer = Timer()
    hasher = CostlyOldHashes(timer, version=2)
    floor = FailureFloor(now=timer.now, sleep=timer.advance)
    log_in = AuthenticateUser(world.uow, hasher, floor=floor)

    def refusal_time(email: str) -> float:
        started = timer.now()
        with pytest.raises(InvalidCredentials):
            log_in.execute(AuthenticateUserCommand(email, "a wrong password"))
        return timer.now() - started

    known = refusal_time("ann@example.com")
    unknown = refusal_time("nobody@example.com")
    assert known == pytest.approx(0.3)
    assert unknown == pytest.approx(0.3)
