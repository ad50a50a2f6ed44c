"""Events: ``/v1/events``."""

from __future__ import annotations

from flask import Response

from ..errors import StripeError
from .common import LIST_PARAMS, list_response, params, respond, route, services


@route("/events/<event_id>", ["GET"])
def retrieve_event(event_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.events, event_id, "event"))


def _type_matches(pattern: str, event_type: str) -> bool:
    if pattern.endswith("*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


@route("/events", ["GET"])
def list_events() -> Response:
    p = params()
    p.check_known((*LIST_PARAMS, "type", "types", "delivery_success"))
    pattern, types = p.string("type"), p.strings("types")
    if pattern is not None and types:
        raise StripeError(
            "You may only specify one of these parameters: type, types.", param="types"
        )
    # false: events some endpoint has not received yet (pending, or failed every
    # attempt), the query that recovers missed webhooks; true: received by all.
    delivered = p.boolean("delivery_success")
    return list_response(
        services().store.events.values(),
        "/v1/events",
        lambda x: (
            (pattern is None or _type_matches(pattern, x["type"]))
            and (not types or x["type"] in types)
            and (delivered is None or (x["pending_webhooks"] == 0) == delivered)
        ),
    )
