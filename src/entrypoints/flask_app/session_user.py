from dataclasses import dataclass

from flask_login import UserMixin


@dataclass(frozen=True)
class SessionUser(UserMixin):  # type: ignore[misc]
    """What the web session knows of the signed-in user."""

    id: str
    email: str

    def get_id(self) -> str:
        return self.id
