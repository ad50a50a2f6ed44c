from dataclasses import dataclass

from flask_login import UserMixin


@dataclass(frozen=True)
class SessionUser(UserMixin):  # type: ignore[misc]
    """What the web session knows of the signed-in user.

    The cookie keeps `"<user id>:<session generation>"`; a session from an earlier
    generation (before a log-out) no longer loads its user.
    """

    id: str
    email: str
    generation: int

    def get_id(self) -> str:
        return f"{self.id}:{self.generation}"


def parse_session_id(value: str) -> tuple[str, int] | None:
    user_id, _, generation = value.partition(":")
    if not user_id or not generation.isdigit():
        return None
    return user_id, int(generation)
