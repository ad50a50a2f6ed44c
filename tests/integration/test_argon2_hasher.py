"""Argon2PasswordHasher against the real argon2-cffi: the algorithm and its cost."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from argon2 import Type, extract_parameters

from adapters.argon2_hasher import (
    DEFAULT_PARAMETERS,
    OWASP_MINIMUM,
    Argon2Parameters,
    Argon2PasswordHasher,
)


@pytest.fixture(scope="module")
def production() -> Argon2PasswordHasher:
    return Argon2PasswordHasher()


def test_the_owasp_minimum_is_m_19456_t_2_p_1() -> None:
    assert Argon2Parameters(time_cost=2, memory_cost_kib=19456, parallelism=1) == OWASP_MINIMUM


def test_hashes_are_argon2id(production: Argon2PasswordHasher) -> None:
    password_hash = production.hash("correct horse battery staple")
    assert password_hash.startswith("$argon2id$v=19$")
    assert extract_parameters(password_hash).type is Type.ID


def test_the_production_parameters_read_back_from_the_hash_meet_owasp(
    production: Argon2PasswordHasher,
) -> None:
    parameters = extract_parameters(production.hash("correct horse battery staple"))
    assert parameters.memory_cost >= OWASP_MINIMUM.memory_cost_kib
    assert parameters.time_cost >= OWASP_MINIMUM.time_cost
    assert parameters.parallelism >= OWASP_MINIMUM.parallelism
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        DEFAULT_PARAMETERS.memory_cost_kib,
        DEFAULT_PARAMETERS.time_cost,
        DEFAULT_PARAMETERS.parallelism,
    )
    assert parameters.salt_len >= 16


def test_the_given_parameters_are_the_ones_used() -> None:
    hasher = Argon2PasswordHasher(OWASP_MINIMUM)
    parameters = extract_parameters(hasher.hash("a password"))
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        19456,
        2,
        1,
    )


@pytest.mark.parametrize(
    "weaker",
    [
        replace(OWASP_MINIMUM, memory_cost_kib=OWASP_MINIMUM.memory_cost_kib - 1),
        replace(OWASP_MINIMUM, time_cost=1),
        replace(OWASP_MINIMUM, parallelism=0),
        Argon2Parameters(time_cost=1, memory_cost_kib=8, parallelism=1),
    ],
)
def test_parameters_below_the_owasp_minimum_are_refused(weaker: Argon2Parameters) -> None:
    with pytest.raises(ValueError, match="OWASP"):
        Argon2PasswordHasher(weaker)


@pytest.mark.parametrize(
    "changed",
    [
        replace(OWASP_MINIMUM, time_cost=3),
        replace(OWASP_MINIMUM, memory_cost_kib=OWASP_MINIMUM.memory_cost_kib * 2),
        replace(OWASP_MINIMUM, parallelism=2),
    ],
)
def test_a_change_of_any_parameter_asks_for_a_rehash(changed: Argon2Parameters) -> None:
    old = Argon2PasswordHasher(OWASP_MINIMUM).hash("a password")
    new = Argon2PasswordHasher(changed)
    assert new.needs_rehash(old)
    assert new.verify(old, "a password")
    assert not new.needs_rehash(new.hash("a password"))


def test_a_hash_of_another_argon2_variant_asks_for_a_rehash() -> None:
    from argon2 import PasswordHasher

    argon2i = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.I)
    assert Argon2PasswordHasher(OWASP_MINIMUM).needs_rehash(argon2i.hash("a password"))


def test_an_unreadable_hash_asks_for_a_rehash_instead_of_raising() -> None:
    hasher = Argon2PasswordHasher(OWASP_MINIMUM)
    for garbage in ("", "not a hash", "$argon2id$v=19$m=x", "ünïcode"):
        assert hasher.needs_rehash(garbage) is True


def test_a_hash_made_with_the_parameters_before_issue_10_is_replaced_at_log_in() -> None:
    before = Argon2PasswordHasher(
        Argon2Parameters(time_cost=3, memory_cost_kib=64 * 1024, parallelism=4)
    ).hash("a password")
    production = Argon2PasswordHasher()
    assert production.verify(before, "a password")
    assert production.needs_rehash(before)


RSS_AFTER_HASHES = """
from adapters.argon2_hasher import Argon2PasswordHasher

def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))

hasher = Argon2PasswordHasher()
before = rss_kib()
stored = hasher.hash("a password")
for _ in range(3):
    hasher.verify(stored, "a password")
print(rss_kib() - before)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_worker_does_not_keep_argon2s_buffer_after_hashing() -> None:
    grown = subprocess.run(
        [sys.executable, "-c", RSS_AFTER_HASHES], capture_output=True, text=True, check=True
    )
    assert int(grown.stdout) < 8 * 1024, "KiB kept after hashing"
