import hashlib
import hmac
import secrets

from application.ports import PasswordHasher


class FakePasswordHasher(PasswordHasher):
    """Salted SHA-256, fast for tests. Never for production: it is not a slow hash.

    `version` plays the part of argon2's parameters: a hash made by an older version
    needs a rehash.
    """

    def __init__(self, version: int = 1) -> None:
        self.version = version
        self.hash_calls = 0
        self.verify_calls = 0

    def hash(self, password: str) -> str:
        self.hash_calls += 1
        salt = secrets.token_hex(8)
        return f"fake$v{self.version}${salt}${self._digest(salt, password)}"

    def verify(self, password_hash: str, password: str) -> bool:
        self.verify_calls += 1
        parts = password_hash.split("$")
        if len(parts) != 4 or parts[0] != "fake":
            return False
        return hmac.compare_digest(parts[3], self._digest(parts[2], password))

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"fake$v{self.version}$")

    @staticmethod
    def _digest(salt: str, password: str) -> str:
        return hashlib.sha256(f"{salt}:{password}".encode("utf-8", "surrogatepass")).hexdigest()
