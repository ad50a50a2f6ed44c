"""Test clocks: ``/v1/test_helpers/test_clocks``."""

from __future__ import annotations

from flask import Response

from .. import objects
from .common import LIST_PARAMS, list_response, params, respond, route, services


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
    s.engine.advance_test_clock(clock, p.required_timestamp("frozen_time"))
    return respond(clock)
