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


def _encode(password: str) -> bytes:
    # surrogatepass: any str a caller holds hashes, instead of raising UnicodeEncodeError.
    return password.encode("utf-8", "surrogatepass")
