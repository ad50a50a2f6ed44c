from dataclasses import dataclass, field

from flask_login import UserMixin

from domain.user import User


@dataclass(frozen=True)
class SessionUser(UserMixin):  # type: ignore[misc]
    """What the web session knows of the signed-in user.

    The cookie keeps `"<user id>:<session generation>"`; a session from an earlier
    generation (before a log-out) no longer loads its user. `account` is the user as
    loaded for this request (subscriptions too): the views' use cases take it rather
    than read it again.
    """

    id: str
    email: str
    generation: int
    account: User = field(compare=False, repr=False)

    def get_id(self) -> str:
        return f"{self.id}:{self.generation}"


def parse_session_id(value: object) -> tuple[str, int] | None:
    """`(user id, generation)` from the cookie's value; None for anything else (a value
    of another type, in a cookie signed by an old key, or digits that are not ASCII)."""
    if not isinstance(value, str):
        return None
    user_id, _, generation = value.partition(":")
    if not user_id or not (generation.isascii() and generation.isdigit()):
        return None
    return user_id, int(generation)
