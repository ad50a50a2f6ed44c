"""The PasswordHasher contract, for FakePasswordHasher and Argon2PasswordHasher."""

import pytest

from application.ports import PasswordHasher

PASSWORDS = [
    "correct horse battery staple",
    "",
    " leading and trailing ",
    "ünïcödé pässwörd ✓ 🔑",
    "密码密码密码密码",
    "nul\x00inside",
    "x" * 1024,
]
LONE_SURROGATES = ["\ud800", "abc\udfffdef", "\udc80\udcff" * 4]


@pytest.mark.parametrize("password", PASSWORDS + LONE_SURROGATES)
def test_a_hash_verifies_its_password(hasher: PasswordHasher, password: str) -> None:
    password_hash = hasher.hash(password)
    assert isinstance(password_hash, str)
    assert hasher.verify(password_hash, password) is True


@pytest.mark.parametrize("password", [p for p in PASSWORDS + LONE_SURROGATES if len(p) >= 4])
def test_a_hash_never_contains_the_password(hasher: PasswordHasher, password: str) -> None:
    assert password not in hasher.hash(password)


@pytest.mark.parametrize(
    ("password", "attempt"),
    [
        ("correct horse battery staple", "correct horse battery stapl"),
        ("correct horse battery staple", "Correct horse battery staple"),
        ("correct horse battery staple", "correct horse battery staple "),
        ("ünïcödé", "unicode"),
        ("\ud800", "\ud801"),
        ("", " "),
    ],
)
def test_a_wrong_password_does_not_verify(
    hasher: PasswordHasher, password: str, attempt: str
) -> None:
    assert hasher.verify(hasher.hash(password), attempt) is False


def test_the_same_password_hashes_differently_each_time(hasher: PasswordHasher) -> None:
    first, second = hasher.hash("same password"), hasher.hash("same password")
    assert first != second
    assert hasher.verify(first, "same password")
    assert hasher.verify(second, "same password")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not a hash",
        "$",
        "$$$$",
        "fake$v1$",
        "fake$v1$salt$",
        "$argon2id$",
        "$argon2id$v=19$m=65536,t=3,p=4$",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$",
        "$argon2id$v=19$m=x,t=y,p=z$c2FsdHNhbHQ$aGFzaA",
        "$2b$12$abcdefghijklmnopqrstuuQ4g7dgqtv0n6z1xQ0A1q1y2x3z4w5v6",
        "\x00\ud800",
        "ünïcode$hash",
    ],
)
def test_a_hash_it_cannot_read_is_false_not_an_exception(
    hasher: PasswordHasher, garbage: str
) -> None:
    assert hasher.verify(garbage, "correct horse battery staple") is False
    assert hasher.verify(garbage, "") is False


def test_a_hash_from_the_other_kind_of_hasher_does_not_verify(hasher: PasswordHasher) -> None:
    from adapters.argon2_hasher import OWASP_MINIMUM, Argon2PasswordHasher
    from adapters.memory import FakePasswordHasher

    other: PasswordHasher = (
        Argon2PasswordHasher(OWASP_MINIMUM)
        if isinstance(hasher, FakePasswordHasher)
        else FakePasswordHasher()
    )
    assert hasher.verify(other.hash("a password"), "a password") is False


def test_a_fresh_hash_needs_no_rehash(hasher: PasswordHasher) -> None:
    assert hasher.needs_rehash(hasher.hash("a password")) is False


def test_a_hash_made_with_other_parameters_needs_a_rehash(
    hasher: PasswordHasher, upgraded: PasswordHasher
) -> None:
    old = hasher.hash("a password")
    assert upgraded.needs_rehash(old) is True
    # ...and still verifies, so the log-in that rehashes it can succeed first.
    assert upgraded.verify(old, "a password") is True
    assert upgraded.needs_rehash(upgraded.hash("a password")) is False


def test_a_tampered_hash_does_not_verify(hasher: PasswordHasher) -> None:
    password_hash = hasher.hash("a password")
    last = password_hash[-2]
    tampered = password_hash[:-2] + ("A" if last != "A" else "B") + password_hash[-1]
    assert hasher.verify(tampered, "a password") is False
