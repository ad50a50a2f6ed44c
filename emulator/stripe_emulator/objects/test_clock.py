"""A test clock."""

from __future__ import annotations

from ..ids import new_id
from .common import Json


def test_clock(*, created: int, frozen_time: int, name: str | None) -> Json:
    return {
        "id": new_id("clock_"),
        "object": "test_helpers.test_clock",
        "created": created,
        "deletes_after": created + 30 * 86400,
        "frozen_time": frozen_time,
        "livemode": False,
        "name": name,
        "status": "ready",
        "status_details": {},
    }
