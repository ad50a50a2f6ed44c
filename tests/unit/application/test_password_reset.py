"""Forgotten passwords: the same answer for any address, a link that works once for an
hour, sessions ended and the address told."""

from datetime import timedelta

import pytest

from application.use_cases.authenticate_user import AuthenticateUser, AuthenticateUserCommand
from application.use_cases.change_password import ChangePassword, ChangePasswordCommand
from application.use_cases.check_reset_link import CheckResetLink, CheckResetLinkCommand
from application.use_cases.request_password_reset import (
    RequestPasswordReset,
    RequestPasswordResetCommand,
)
from application.use_cases.reset_password import ResetPassword, ResetPasswordCommand
from domain.account_tokens import OpenedLink
from domain.errors import InvalidCredentials, InvalidEmail, InvalidLink, WeakPassword
from domain.user import User
from tests.support.mail import link_to, token_of
from tests.unit.application.conftest import PASSWORD, World

NEW_PASSWORD = "a brand new passphrase"


def ask(world: World, email: str) -> None:
    RequestPasswordReset(world.uow, world.clock, world.mailer).execute(
        RequestPasswordResetCommand(email)
    )


def reset_link(world: World, email: str = "ann@example.com") -> str:
    return token_of(link_to(world.store.outbox.values(), email, "/reset-password/"))


def reset(world: World, token: "str | OpenedLink", password: str = NEW_PASSWORD) -> str:
    result = ResetPassword(world.uow, world.hasher, world.clock, world.mailer).execute(
        ResetPasswordCommand(token, password)
    )
    return result.email


def log_in(world: World, email: str, password: str) -> User:
    return AuthenticateUser(world.uow, world.hasher).execute(
        AuthenticateUserCommand(email, password)
    )


def test_an_unknown_address_is_answered_alike_and_nothing_is_written(world: World) -> None:
    world.register()
    outbox, users = dict(world.store.outbox), dict(world.store.users)
    hashes = world.hasher.hash_calls

    assert ask(world, "nobody@example.com") is None  # type: ignore[func-returns-value]

    assert world.store.outbox == outbox
    assert world.store.users == users
    assert world.hasher.hash_calls == hashes


def test_a_malformed_address_is_refused_whoever_asks(world: World) -> None:
    with pytest.raises(InvalidEmail):
        ask(world, "not an address")


def test_a_known_address_gets_a_link_that_sets_a_new_password(world: World) -> None:
    ann = world.register()
    ask(world, "ANN@example.com")
    [email] = [e for e in world.outbox_to("ann@example.com") if e.id.startswith("password-reset:")]
    assert "/reset-password/" in email.message.text
    token = reset_link(world)
    assert CheckResetLink(world.uow, world.clock).execute(CheckResetLinkCommand(token)) == (
        "ann@example.com"
    )

    assert reset(world, token) == "ann@example.com"

    assert log_in(world, "ann@example.com", NEW_PASSWORD).id == ann.id
    with pytest.raises(InvalidCredentials):
        log_in(world, "ann@example.com", PASSWORD)


def test_the_link_works_once(world: World) -> None:
    world.register()
    ask(world, "ann@example.com")
    token = reset_link(world)
    reset(world, token)
    with pytest.raises(InvalidLink):
        reset(world, token, "yet another passphrase")
    with pytest.raises(InvalidLink):
        CheckResetLink(world.uow, world.clock).execute(CheckResetLinkCommand(token))
    assert log_in(world, "ann@example.com", NEW_PASSWORD)


def test_the_link_expires_after_an_hour(world: World) -> None:
    world.register()
    ask(world, "ann@example.com")
    token = reset_link(world)
    world.clock.advance(timedelta(minutes=59))
    CheckResetLink(world.uow, world.clock).execute(CheckResetLinkCommand(token))
    world.clock.advance(timedelta(minutes=1))
    with pytest.raises(InvalidLink):
        reset(world, token)
    assert log_in(world, "ann@example.com", PASSWORD)


def test_a_new_request_replaces_the_link(world: World) -> None:
    world.register()
    ask(world, "ann@example.com")
    first = reset_link(world)
    world.clock.advance(timedelta(seconds=1))
    ask(world, "ann@example.com")
    second = reset_link(world)
    assert first != second
    with pytest.raises(InvalidLink):
        reset(world, first)
    reset(world, second)


def test_a_password_changed_otherwise_ends_the_link(world: World) -> None:
    ann = world.register()
    ask(world, "ann@example.com")
    token = reset_link(world)
    ChangePassword(world.uow, world.hasher, world.clock, world.mailer).execute(
        ChangePasswordCommand(ann.id, PASSWORD, "changed in the settings")
    )
    with pytest.raises(InvalidLink):
        reset(world, token)


def test_a_weak_new_password_is_refused_and_the_link_still_works(world: World) -> None:
    world.register()
    ask(world, "ann@example.com")
    token = reset_link(world)
    with pytest.raises(WeakPassword):
        reset(world, token, "short")
    reset(world, token)


@pytest.mark.parametrize("token", ["", "abc", "user_1.short", "../etc/passwd"])
def test_a_malformed_link_is_refused(world: World, token: str) -> None:
    with pytest.raises(InvalidLink):
        reset(world, token)


def test_the_new_password_ends_every_session_and_the_address_is_told(world: World) -> None:
    ann = world.register(verified=False)
    generation = world.stored(ann.id).session_generation
    ask(world, "ann@example.com")
    reset(world, reset_link(world))

    stored = world.stored(ann.id)
    assert stored.session_generation == generation + 1
    assert stored.email_verified  # the link came to the address: it is proven
    told = [e for e in world.outbox_to("ann@example.com") if e.id.startswith("password-changed:")]
    assert len(told) == 1
    assert "changed" in told[0].message.subject


def test_a_link_once_opened_is_kept_without_its_secret_and_still_sets_the_password(
    world: World,
) -> None:
    """The reset form's page keeps the opened link (user id and digest) in a readable
    session cookie: it works there, used once, and carries no secret."""
    world.register()
    ask(world, "ann@example.com")
    token = reset_link(world)
    opened = OpenedLink.of(token)
    assert token.split(".")[1] not in opened.text
    kept = OpenedLink.parse(opened.text)
    assert CheckResetLink(world.uow, world.clock).execute(CheckResetLinkCommand(kept)) == (
        "ann@example.com"
    )
    assert reset(world, kept) == "ann@example.com"
    with pytest.raises(InvalidLink):
        reset(world, token)


@pytest.mark.parametrize("text", [None, 7, "", "ann", "ann:", "ann:" + "0" * 63, ":" + "0" * 64])
def test_anything_else_kept_as_an_opened_link_opens_nothing(text: object) -> None:
    with pytest.raises(InvalidLink):
        OpenedLink.parse(text)
