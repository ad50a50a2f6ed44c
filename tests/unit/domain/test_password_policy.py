import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.email import EmailAddress
from domain.errors import WeakPassword
from domain.password_policy import COMMON_PASSWORDS, MAX_LENGTH, MIN_LENGTH, check_password

ANN = EmailAddress("Annabel.Lee@Example.com")


def reason(password: object, email: EmailAddress | None = None) -> str:
    with pytest.raises(WeakPassword) as caught:
        check_password(password, email)  # type: ignore[arg-type]
    return caught.value.message


def test_the_bounds_are_8_and_1024_characters() -> None:
    assert (MIN_LENGTH, MAX_LENGTH) == (8, 1024)


def test_accepts_exactly_8_characters_and_refuses_7_saying_so() -> None:
    check_password("kq3!vz8m")
    assert reason("kq3!vz8") == "The password must be at least 8 characters long."


def test_accepts_exactly_1024_characters_and_refuses_1025_saying_so() -> None:
    check_password("x7" * 512)
    assert reason("x7" * 512 + "y") == "The password must be at most 1024 characters long."


def test_counts_characters_not_bytes() -> None:
    check_password("ÿé" * 4)  # 16 bytes in UTF-8, 8 characters
    check_password("🔑k" * 512)
    assert "at least" in reason("🔑" * 7)
    assert "at most" in reason("é" * 1025)


@pytest.mark.parametrize("password", [" " * 8, "z" * 9, "é" * 30])
def test_refuses_one_character_repeated(password: str) -> None:
    assert reason(password) == "The password must not be one character repeated."


def test_refuses_an_empty_password_and_a_non_string() -> None:
    assert "at least" in reason("")
    assert "at least" in reason(None)
    assert "at least" in reason(12345678)


@pytest.mark.parametrize("password", ["password1", "PassWord123", "  qwertyuiop ", "ILOVEYOU"])
def test_refuses_a_common_password_in_any_case_and_with_blanks_around(password: str) -> None:
    assert reason(password) == "That password is one of the most common ones. Choose another."


def test_every_listed_common_password_is_refused_and_long_enough_to_need_the_list() -> None:
    for common in COMMON_PASSWORDS:
        assert len(common) >= MIN_LENGTH, common
        assert "most common" in reason(common)


@pytest.mark.parametrize(
    "password",
    ["annabel.lee@example.com", "ANNABEL.LEE@EXAMPLE.COM", " annabel.lee ", "Annabel.Lee"],
)
def test_refuses_the_email_address_or_its_local_part(password: str) -> None:
    assert reason(password, ANN) == "The password must not be your email address."


def test_the_email_rule_applies_only_when_the_email_is_known() -> None:
    check_password("annabel.lee@example.com")


def test_accepts_a_password_that_merely_contains_the_email() -> None:
    check_password("annabel.lee@example.com is my login", ANN)


def test_length_is_checked_before_the_other_rules() -> None:
    short_local = EmailAddress("bob@example.com")
    assert "at least" in reason("bob", short_local)


@given(st.text(min_size=MIN_LENGTH, max_size=64))
def test_accepts_any_long_enough_password_that_breaks_no_other_rule(password: str) -> None:
    folded = password.strip().lower()
    assume(folded not in COMMON_PASSWORDS and folded not in {ANN.value, "annabel.lee"})
    assume(len(set(password)) > 1)
    check_password(password, ANN)


@given(st.text(max_size=MIN_LENGTH - 1))
def test_refuses_every_shorter_password(password: str) -> None:
    assert "at least" in reason(password, ANN)
