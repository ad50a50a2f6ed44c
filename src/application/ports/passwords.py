import abc


class PasswordHasher(abc.ABC):
    """One-way password hashing.

    `verify` returns False for a wrong password or a hash it cannot read; it never
    raises for those. `needs_rehash` is True when the hash was made with older
    parameters than the hasher's current ones.
    """

    @abc.abstractmethod
    def hash(self, password: str) -> str: ...

    @abc.abstractmethod
    def verify(self, password_hash: str, password: str) -> bool: ...

    @abc.abstractmethod
    def needs_rehash(self, password_hash: str) -> bool: ...
