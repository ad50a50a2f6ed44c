"""An event."""

from __future__ import annotations

from ..ids import new_id
from .common import API_VERSION, Json


def event(
    *,
    event_type: str,
    created: int,
    data_object: Json,
    previous_attributes: Json | None,
    pending_webhooks: int,
    request_id: str | None,
    idempotency_key: str | None,
) -> Json:
    data: Json = {"object": data_object}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": new_id("evt_"),
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": pending_webhooks,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }
