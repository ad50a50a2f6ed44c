"""Emailed links' tokens: made, stored as digests, used once, expiring; anything else
that looks like one is refused."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.account_tokens import (
    LIFETIME,
    AccountToken,
    TokenPurpose,
    digest_of,
    issue,
    parse_link_token,
)
from domain.email import EmailAddress
from domain.errors import InvalidLink
from tests.unit.builders import T0, a_user

RESET = TokenPurpose.RESET_PASSWORD


def test_a_link_token_names_its_user_and_a_secret_of_which_only_the_digest_is_kept() -> None:
    issued = issue(RESET, "user_1", T0)
    user_id, secret = parse_link_token(issued.link_token)
    assert user_id == "user_1"
    assert issued.token.digest == digest_of(secret)
    assert secret not in repr(issued.token)
    assert issued.token.expires_at == T0 + LIFETIME[RESET] == T0 + timedelta(hours=1)


def test_two_tokens_never_share_a_secret() -> None:
    tokens = {issue(RESET, "user_1", T0).link_token for _ in range(50)}
    assert len(tokens) == 50


def test_a_token_opens_with_its_secret_until_it_expires() -> None:
    issued = issue(RESET, "user_1", T0)
    _, secret = parse_link_token(issued.link_token)
    assert issued.token.opens_with(secret, T0 + timedelta(minutes=59))
    assert not issued.token.opens_with(secret, T0 + timedelta(hours=1))
    assert not issued.token.opens_with(secret[:-1] + ("A" if secret[-1] != "A" else "B"), T0)


def test_a_user_holds_one_token_per_purpose_and_uses_it_once() -> None:
    user = a_user()
    first = issue(RESET, user.id, T0)
    second = issue(RESET, user.id, T0)
    user.hold_token(first.token)
    user.hold_token(second.token)  # replaces the first
    _, old = parse_link_token(first.link_token)
    _, new = parse_link_token(second.link_token)
    with pytest.raises(InvalidLink):
        user.use_token(RESET, old, T0)
    assert user.token_opening(RESET, new, T0) == second.token  # looking uses nothing
    assert user.use_token(RESET, new, T0) == second.token
    with pytest.raises(InvalidLink):
        user.use_token(RESET, new, T0)  # once


def test_a_token_of_another_purpose_does_not_open() -> None:
    user = a_user()
    issued = issue(TokenPurpose.VERIFY_EMAIL, user.id, T0)
    user.hold_token(issued.token)
    _, secret = parse_link_token(issued.link_token)
    with pytest.raises(InvalidLink):
        user.use_token(RESET, secret, T0)


def test_a_new_password_ends_the_reset_link_and_every_session() -> None:
    user = a_user()
    issued = issue(RESET, user.id, T0)
    user.hold_token(issued.token)
    generation = user.session_generation
    user.set_password("fake$v1$salt$other")
    _, secret = parse_link_token(issued.link_token)
    with pytest.raises(InvalidLink):
        user.token_opening(RESET, secret, T0)
    assert user.session_generation == generation + 1


def test_a_new_password_ends_a_change_of_email_asked_before_it() -> None:
    """Whoever asked to move the account (a stolen session, an attacker who registered
    the address first) loses the change when the owner sets a new password."""
    user = a_user()
    issued = issue(TokenPurpose.CHANGE_EMAIL, user.id, T0, EmailAddress("eve@evil.example"))
    user.hold_token(issued.token)
    user.set_password("fake$v1$salt$other")
    _, secret = parse_link_token(issued.link_token)
    with pytest.raises(InvalidLink):
        user.token_opening(TokenPurpose.CHANGE_EMAIL, secret, T0)
    assert user.pending_email is None


def test_a_change_of_email_ends_the_links_sent_to_the_old_address() -> None:
    user = a_user()
    reset = issue(RESET, user.id, T0)
    verify = issue(TokenPurpose.VERIFY_EMAIL, user.id, T0)
    user.hold_token(reset.token)
    user.hold_token(verify.token)
    user.change_email(EmailAddress("moved@example.com"), T0)
    for purpose, issued in ((RESET, reset), (TokenPurpose.VERIFY_EMAIL, verify)):
        _, secret = parse_link_token(issued.link_token)
        with pytest.raises(InvalidLink):
            user.token_opening(purpose, secret, T0)


def test_only_a_change_of_email_names_an_address() -> None:
    digest = digest_of("x")
    with pytest.raises(ValueError):
        AccountToken(TokenPurpose.CHANGE_EMAIL, digest, T0)
    with pytest.raises(ValueError):
        AccountToken(RESET, digest, T0, EmailAddress("ann@example.com"))
    with pytest.raises(ValueError):
        AccountToken(RESET, "not a digest", T0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        ".",
        "user_1",
        "user_1.",
        ".abc",
        "user_1.short",
        "a b." + "x" * 43,
        "u" * 65 + "." + "x" * 43,
    ],
)
def test_text_that_is_not_a_link_token_is_refused(text: str) -> None:
    with pytest.raises(InvalidLink):
        parse_link_token(text)


@given(st.data())
def test_any_change_to_a_link_token_makes_it_open_nothing(data: st.DataObject) -> None:
    """Cut short, lengthened, one character replaced, or anything at all: either not a
    token, or a token that opens nothing of this user's."""
    user = a_user()
    issued = issue(RESET, user.id, T0)
    user.hold_token(issued.token)
    original = issued.link_token
    tampered = data.draw(
        st.one_of(
            st.text(max_size=200),
            st.integers(0, len(original) - 1).map(lambda n: original[:n]),
            st.text(min_size=1, max_size=5).map(lambda extra: original + extra),
            st.tuples(st.integers(0, len(original) - 1), st.characters()).map(
                lambda change: original[: change[0]] + change[1] + original[change[0] + 1 :]
            ),
        )
    )
    if tampered == original:
        return
    try:
        user_id, secret = parse_link_token(tampered)
    except InvalidLink:
        return
    if user_id != user.id:
        return  # another user's id: that user holds no token of this secret
    with pytest.raises(InvalidLink):
        user.token_opening(RESET, secret, T0)
