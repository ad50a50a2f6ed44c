import ctypes
import ctypes.util
import functools
from dataclasses import dataclass

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from application.ports import PasswordHasher


@dataclass(frozen=True)
class Argon2Parameters:
    """argon2id cost. The one place the production parameters are chosen."""

    time_cost: int
    memory_cost_kib: int
    parallelism: int


# OWASP Password Storage Cheat Sheet minimum: m=19 MiB, t=2, p=1.
OWASP_MINIMUM = Argon2Parameters(time_cost=2, memory_cost_kib=19 * 1024, parallelism=1)
# Production: OWASP's memory, one pass more than its minimum (t=3). About 30 ms of one
# core a hash on the 2-core machine of docs/performance.md, so two workers log in about 65
# people a second, and a worker's peak memory stays near its steady size. Until issue 10
# it was argon2-cffi's default (t=3, 64 MiB, p=4): 150-200 ms of CPU a hash, 11 log-ins a
# second, and 64 MiB more per worker at each log-in. Hashes made with other parameters
# are replaced at their next log-in (AuthenticateUser).
DEFAULT_PARAMETERS = Argon2Parameters(time_cost=3, memory_cost_kib=19 * 1024, parallelism=1)


class Argon2PasswordHasher(PasswordHasher):
    """argon2id through argon2-cffi. Parameters below OWASP's minimum are refused."""

    def __init__(self, parameters: Argon2Parameters = DEFAULT_PARAMETERS) -> None:
        if (
            parameters.time_cost < OWASP_MINIMUM.time_cost
            or parameters.memory_cost_kib < OWASP_MINIMUM.memory_cost_kib
            or parameters.parallelism < OWASP_MINIMUM.parallelism
        ):
            raise ValueError("argon2 parameters below OWASP's minimum (m=19 MiB, t=2, p=1)")
        self.parameters = parameters
        _give_big_buffers_back()
        self._argon2 = _Argon2(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost_kib,
            parallelism=parameters.parallelism,
            type=Type.ID,
        )

    def hash(self, password: str) -> str:
        return self._argon2.hash(_encode(password))

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, _encode(password))
        # UnicodeEncodeError: argon2-cffi encodes the hash as ASCII, and a corrupt stored
        # hash may not be.
        except (VerifyMismatchError, VerificationError, InvalidHashError, UnicodeEncodeError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


@functools.cache
def _give_big_buffers_back() -> None:
    """Make glibc return argon2's buffer (m KiB, freed after each hash) to the system.

    glibc raises its mmap threshold to the size of a large block once freed (up to 32
    MiB), so from the second hash on a 19 MiB buffer comes from the heap and stays in
    the worker for good: +19 MiB of resident memory in every worker that served a
    log-in. A fixed threshold of 1 MiB keeps large blocks mmapped and released at free.
    Process-wide, once; nothing happens where the C library is not glibc.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024)


def _encode(password: str) -> bytes:
    # surrogatepass: any str a caller holds hashes, instead of raising UnicodeEncodeError.
    return password.encode("utf-8", "surrogatepass")
