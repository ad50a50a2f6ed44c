import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.email import MAX_LENGTH, EmailAddress
from domain.errors import InvalidEmail

ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
ALNUM = string.ascii_letters + string.digits

atoms = st.text(ATEXT, min_size=1, max_size=12)
local_parts = st.lists(atoms, min_size=1, max_size=4).map(".".join).filter(lambda s: len(s) <= 64)


@st.composite
def labels(draw: st.DrawFn, max_size: int = 20) -> str:
    """A DNS label: letters, digits and inner hyphens, never a hyphen at either end."""
    first = draw(st.sampled_from(ALNUM))
    if draw(st.booleans()):
        return first
    middle = draw(st.text(ALNUM + "-", max_size=max_size - 2))
    return first + middle + draw(st.sampled_from(ALNUM))


top_level_domains = st.text(string.ascii_letters, min_size=2, max_size=10)
domains = st.builds(
    lambda names, tld: ".".join([*names, tld]),
    st.lists(labels(), min_size=1, max_size=3),
    top_level_domains,
)
blanks = st.text(" \t\r\n", max_size=3)
# Each kind of invalid input is simple: fewer examples find the same thing, faster.
few = settings(max_examples=40)


@st.composite
def typed_addresses(draw: st.DrawFn) -> str:
    """A valid address as a person might type it: any letter case, blanks around it."""
    address = f"{draw(local_parts)}@{draw(domains)}"
    cased = "".join(c.upper() if draw(st.booleans()) else c for c in address)
    return draw(blanks) + cased + draw(blanks)


@given(typed_addresses())
def test_accepts_valid_addresses_trimmed_and_lower_cased(typed: str) -> None:
    assert EmailAddress(typed).value == typed.strip().lower()


@given(typed_addresses())
def test_normalising_twice_changes_nothing(typed: str) -> None:
    once = EmailAddress(typed)
    assert EmailAddress(once.value) == once
    assert str(once) == once.value


@given(typed_addresses(), typed_addresses())
def test_two_spellings_of_one_address_are_equal(a: str, b: str) -> None:
    assert (EmailAddress(a) == EmailAddress(b)) == (a.strip().lower() == b.strip().lower())


@few
@given(local_parts, domains)
def test_refuses_an_address_without_at_sign(local: str, domain: str) -> None:
    with pytest.raises(InvalidEmail):
        EmailAddress(local + domain)


@few
@given(local_parts, local_parts, domains)
def test_refuses_an_address_with_two_at_signs(first: str, second: str, domain: str) -> None:
    with pytest.raises(InvalidEmail):
        EmailAddress(f"{first}@{second}@{domain}")


@few
@given(local_parts, domains)
def test_refuses_an_empty_local_part_or_domain(local: str, domain: str) -> None:
    for address in (f"@{domain}", f"{local}@", "@", ""):
        with pytest.raises(InvalidEmail):
            EmailAddress(address)


@few
@given(local_parts, domains, st.data())
def test_refuses_blanks_inside_the_address(local: str, domain: str, data: st.DataObject) -> None:
    address = f"{local}@{domain}"
    at = data.draw(st.integers(1, len(address) - 1))
    blank = data.draw(st.sampled_from([" ", "\t", "\n", "\u00a0"]))
    with pytest.raises(InvalidEmail):
        EmailAddress(address[:at] + blank + address[at:])


@few
@given(local_parts, domains)
def test_refuses_dots_at_the_ends_of_the_local_part_or_doubled(local: str, domain: str) -> None:
    for bad in (f".{local}", f"{local}.", local.replace(".", "..") if "." in local else "a..b"):
        with pytest.raises(InvalidEmail):
            EmailAddress(f"{bad}@{domain}")


@few
@given(local_parts, labels(), top_level_domains, st.sampled_from(["-{}", "{}-", "-{}-"]))
def test_refuses_a_domain_label_with_a_hyphen_at_an_end(
    local: str, label: str, tld: str, shape: str
) -> None:
    with pytest.raises(InvalidEmail):
        EmailAddress(f"{local}@{shape.format(label)}.{tld}")


@few
@given(local_parts, labels(), top_level_domains)
def test_refuses_an_empty_domain_label(local: str, label: str, tld: str) -> None:
    for domain in (f"{label}..{tld}", f".{label}.{tld}", f"{label}.{tld}."):
        with pytest.raises(InvalidEmail):
            EmailAddress(f"{local}@{domain}")


@few
@given(local_parts, labels())
def test_refuses_a_domain_of_one_label_or_a_numeric_top_level_domain(
    local: str, label: str
) -> None:
    for domain in (label, f"{label}.123", f"{label}.c0m", f"{label}.x"):
        with pytest.raises(InvalidEmail):
            EmailAddress(f"{local}@{domain}")


@few
@given(st.one_of(st.none(), st.integers(), st.binary(), st.lists(st.text()), st.floats()))
def test_refuses_anything_that_is_not_a_string(value: object) -> None:
    with pytest.raises(InvalidEmail):
        EmailAddress(value)  # type: ignore[arg-type]


@few
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="@"), max_size=40))
def test_refuses_any_text_without_an_at_sign(text: str) -> None:
    with pytest.raises(InvalidEmail):
        EmailAddress(text)


@given(
    st.text(alphabet=st.characters(min_codepoint=0x80, categories=["L"]), min_size=1, max_size=5)
)
def test_refuses_non_ascii_letters(word: str) -> None:
    # Letters whose lower-case form is ASCII (the Kelvin sign) may legitimately pass as that
    # ASCII address; every other non-ASCII letter is refused.
    if word.lower().isascii():
        return
    with pytest.raises(InvalidEmail):
        EmailAddress(f"{word}@example.com")
    with pytest.raises(InvalidEmail):
        EmailAddress(f"ann@{word}.com")


def _domain_of_length(length: int) -> str:
    """A valid domain of exactly `length` characters (labels of at most 63)."""
    labels_, remaining = [], length - 3  # room for ".io"
    while remaining > 0:
        size = min(63, remaining)
        if remaining - size == 1:  # never leave a lone dot without a label after it
            size -= 1
        labels_.append("d" * size)
        remaining -= size + 1
    domain = ".".join(labels_) + ".io"
    assert len(domain) == length, (len(domain), length)
    return domain


def test_accepts_the_longest_address_and_refuses_one_character_more() -> None:
    local = "a" * 64
    longest = f"{local}@{_domain_of_length(MAX_LENGTH - 65)}"
    assert len(longest) == MAX_LENGTH == 254
    assert EmailAddress(longest).value == longest
    with pytest.raises(InvalidEmail):
        EmailAddress(f"{local}@{_domain_of_length(MAX_LENGTH - 64)}")


def test_blanks_around_do_not_count_towards_the_length() -> None:
    longest = f"{'a' * 64}@{_domain_of_length(MAX_LENGTH - 65)}"
    assert EmailAddress(f"  {longest}\n").value == longest


def test_accepts_a_local_part_of_64_characters_and_refuses_65() -> None:
    assert EmailAddress(f"{'a' * 64}@example.com")
    with pytest.raises(InvalidEmail):
        EmailAddress(f"{'a' * 65}@example.com")


def test_accepts_a_domain_label_of_63_characters_and_refuses_64() -> None:
    assert EmailAddress(f"ann@{'d' * 63}.com")
    with pytest.raises(InvalidEmail):
        EmailAddress(f"ann@{'d' * 64}.com")


@few
@given(st.text(ALNUM, min_size=300, max_size=2000))
def test_refuses_over_long_input_of_any_length(filler: str) -> None:
    with pytest.raises(InvalidEmail):
        EmailAddress(f"{filler}@example.com")


def test_normalises_a_typical_address() -> None:
    assert EmailAddress("  Ann.Lee+news@Example.CO.uk \n").value == "ann.lee+news@example.co.uk"


def test_the_error_says_what_to_do() -> None:
    with pytest.raises(InvalidEmail) as caught:
        EmailAddress("not an address")
    assert caught.value.message == "Please enter a valid email address."
