"""Events, webhook endpoints and test clocks."""

from __future__ import annotations

from flask import Response

from .. import objects
from ..errors import StripeError, parameter_missing
from ..forms import Params, apply_metadata, new_metadata
from .common import LIST_PARAMS, list_response, params, respond, route, services, url_param

# -- events -------------------------------------------------------------------


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
    return list_response(
        services().store.events.values(),
        "/v1/events",
        lambda x: (
            (pattern is None or _type_matches(pattern, x["type"]))
            and (not types or x["type"] in types)
        ),
    )


# -- webhook endpoints --------------------------------------------------------


def _enabled_events(p: Params) -> list[str]:
    events = p.strings("enabled_events")
    if not events:
        raise parameter_missing("enabled_events")
    return events


@route("/webhook_endpoints", ["POST"])
def create_webhook_endpoint() -> Response:
    p = params()
    p.check_known(("url", "enabled_events", "description", "metadata", "api_version", "connect"))
    s = services()
    endpoint = s.add_webhook_endpoint(
        url=_webhook_url(p),
        enabled_events=_enabled_events(p),
        description=p.string("description"),
        metadata=new_metadata(p.metadata()),
        api_version=p.string("api_version"),
    )
    return respond(endpoint)


def _webhook_url(p: Params) -> str:
    url = url_param(p, "url", required=True)
    assert url is not None
    return url


@route("/webhook_endpoints/<endpoint_id>", ["GET"])
def retrieve_webhook_endpoint(endpoint_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.webhook_endpoints, endpoint_id, "webhook_endpoint"))


@route("/webhook_endpoints/<endpoint_id>", ["POST"])
def update_webhook_endpoint(endpoint_id: str) -> Response:
    p = params()
    p.check_known(("url", "enabled_events", "description", "metadata", "disabled"))
    store = services().store
    endpoint = store.get(store.webhook_endpoints, endpoint_id, "webhook_endpoint")
    if p.has("url"):
        endpoint["url"] = _webhook_url(p)
    if p.has("enabled_events"):
        endpoint["enabled_events"] = _enabled_events(p)
    if p.has("description"):
        endpoint["description"] = p.string("description")
    disabled = p.boolean("disabled")
    if disabled is not None:
        endpoint["status"] = "disabled" if disabled else "enabled"
    apply_metadata(endpoint["metadata"], p.metadata())
    return respond(endpoint)


@route("/webhook_endpoints/<endpoint_id>", ["DELETE"])
def delete_webhook_endpoint(endpoint_id: str) -> Response:
    params().check_known(())
    store = services().store
    store.get(store.webhook_endpoints, endpoint_id, "webhook_endpoint")
    del store.webhook_endpoints[endpoint_id]
    store.webhook_secrets.pop(endpoint_id, None)
    return respond(objects.deleted_object(endpoint_id, "webhook_endpoint"))


@route("/webhook_endpoints", ["GET"])
def list_webhook_endpoints() -> Response:
    params().check_known(LIST_PARAMS)
    return list_response(services().store.webhook_endpoints.values(), "/v1/webhook_endpoints")


# -- test clocks --------------------------------------------------------------


@route("/test_helpers/test_clocks", ["POST"])
def create_test_clock() -> Response:
    p = params()
    p.check_known(("frozen_time", "name"))
    store = services().store
    clock = objects.test_clock(
        created=int(store.now()),
        frozen_time=p.required_timestamp("frozen_time"),
        name=p.string("name", max_length=300),
    )
    store.test_clocks[clock["id"]] = clock
    store.record_event("test_helpers.test_clock.created", clock, created=clock["frozen_time"])
    return respond(clock)


@route("/test_helpers/test_clocks/<clock_id>", ["GET"])
def retrieve_test_clock(clock_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.test_clocks, clock_id, "test_helpers.test_clock"))


@route("/test_helpers/test_clocks", ["GET"])
def list_test_clocks() -> Response:
    params().check_known(LIST_PARAMS)
    return list_response(services().store.test_clocks.values(), "/v1/test_helpers/test_clocks")


@route("/test_helpers/test_clocks/<clock_id>", ["DELETE"])
def delete_test_clock(clock_id: str) -> Response:
    """Delete a clock and, as Stripe does, every customer on it with their objects."""
    params().check_known(())
    store = services().store
    clock = store.get(store.test_clocks, clock_id, "test_helpers.test_clock")
    customers = {c for c, obj in store.customers.items() if obj["test_clock"] == clock_id}
    for collection in (
        store.subscriptions,
        store.invoices,
        store.checkout_sessions,
        store.portal_sessions,
    ):
        for object_id in [k for k, v in collection.items() if v.get("customer") in customers]:
            del collection[object_id]
    for customer_id in customers:
        del store.customers[customer_id]
    del store.test_clocks[clock_id]
    store.record_event("test_helpers.test_clock.deleted", clock, created=clock["frozen_time"])
    return respond(objects.deleted_object(clock_id, "test_helpers.test_clock"))


@route("/test_helpers/test_clocks/<clock_id>/advance", ["POST"])
def advance_test_clock(clock_id: str) -> Response:
    p = params()
    p.check_known(("frozen_time",))
    s = services()
    clock = s.store.get(s.store.test_clocks, clock_id, "test_helpers.test_clock")
    s.billing.advance_test_clock(clock, p.required_timestamp("frozen_time"))
    return respond(clock)
