"""What every Stripe object builder shares: the JSON type, the API version, lists."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

API_VERSION = "2026-10-28.endive"
"""The API version the emulator speaks (that of the ``stripe`` SDK the project pins)."""


def list_object(data: list[Json], url: str, *, has_more: bool = False) -> Json:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def deleted_object(object_id: str, object_name: str) -> Json:
    return {"id": object_id, "object": object_name, "deleted": True}
